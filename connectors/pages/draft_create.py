"""The create form: a new draft in one of the user's projects."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..errors import ConnectError
from ..models import ConnectorStaged, Project
from ..services import create_draft
from ..values import INTEGRATION_TYPES, REGIONS
from .base import HtmxHttpRequest, actor_for, draft_url, mutate, user_projects
from .fields import CREATOR_FIELDS
from .forms import DraftCreateForm

TEMPLATE = "connectors/draft_create.html"


def create_form_context(
    request: HtmxHttpRequest,
    projects: list[Project],
    data: QueryDict | None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Values and errors keyed with underscores (``creator_email``) for the template.

    ``__all__`` (the form's own errors) and locations with no input of their own
    (``creator``) show at the top."""
    user: Any = request.user
    defaults = {"creator.email": user.email, "creator.name": user.get_full_name()}
    if data is None:
        values: dict[str, Any] = {key.replace(".", "_"): value for key, value in defaults.items()}
        values.update({"integrationTypes": [], "supportedRegions": []})
    else:
        values = {key.replace(".", "_"): value for key, value in data.items()}
        values["integrationTypes"] = data.getlist("integrationTypes")
        values["supportedRegions"] = data.getlist("supportedRegions")
    keyed_errors = {key.replace(".", "_"): list(value) for key, value in (errors or {}).items()}
    # A message on a nested part we have no input for (``creator``) shows at the top.
    known = {"key", "name", "description", "documentationUrl", "integrationTypes"}
    known |= {"supportedRegions", "privateProjects", "project", "repository"}
    known |= {"repository_url", "repository_tag"}
    known |= {f"creator_{name}" for name, _label, _kind in CREATOR_FIELDS}
    general = [m for key, value in keyed_errors.items() if key not in known for m in value]
    return {
        "projects": projects,
        "values": values,
        "errors": keyed_errors,
        "general_errors": general,
        "creator_fields": [
            {
                "id": f"creator_{name}",
                "name": f"creator.{name}",
                "label": label,
                "type": kind,
                "value": values.get(f"creator_{name}", ""),
                "errors": keyed_errors.get(f"creator_{name}", []),
                "required": name == "email",
            }
            for name, label, kind in CREATOR_FIELDS
        ],
        "integration_types": INTEGRATION_TYPES,
        "regions": REGIONS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def draft_create(request: HtmxHttpRequest) -> HttpResponse:
    projects = list(user_projects(request.user))
    if not projects:
        return render(request, "connectors/no_project.html", status=403)
    if request.method == "GET":
        return render(request, TEMPLATE, create_form_context(request, projects, None))
    form = DraftCreateForm(request.POST, projects=projects)

    def refused(exc: ConnectError | None, status: int = 400) -> HttpResponse:
        if exc is not None:
            form.add_api_errors(exc)
            status = exc.status
        context = create_form_context(request, projects, request.POST, form.error_lists())
        return render(request, TEMPLATE, context, status=status)

    if not form.is_valid():
        return refused(None)
    assert form.project is not None and form.draft is not None

    def done(draft: ConnectorStaged) -> HttpResponse:
        messages.success(request, f"Draft “{draft.name}” created.")
        return redirect(draft_url(draft))

    project, body = form.project, form.draft
    return mutate(
        lambda: create_draft(project=project, draft=body, actor=actor_for(request)),
        done=done,
        refused=refused,
    )
