"""The create form: a new draft in one of the user's projects.

A refused form comes back with what was typed, each error beside its input and all of
them in a summary at the top that links to each input (focus moves to the summary).
"""

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


# The create form's inputs in page order: error key (form name, dots as underscores),
# the input's id (what the error summary links to) and its label there.
FORM_INPUTS: tuple[tuple[str, str, str], ...] = (
    ("project", "input-project", "Project"),
    ("name", "input-name", "Name"),
    ("key", "input-key", "Key"),
    ("description", "input-description", "Description"),
    ("documentationUrl", "input-documentationUrl", "Documentation URL"),
    ("integrationTypes", "input-integrationTypes", "Integration types"),
    ("repository", "input-repository-url", "Repository"),
    ("repository_url", "input-repository-url", "Git URL"),
    ("repository_tag", "input-repository-tag", "Tag"),
    *(
        (f"creator_{name}", f"input-creator-{name}", f"Creator {label[0].lower()}{label[1:]}")
        for name, label, _kind in CREATOR_FIELDS
    ),
    ("supportedRegions", "input-supportedRegions", "Supported regions"),
    ("privateProjects", "input-privateProjects", "Private projects"),
)


def error_summary(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every error of the form, in page order, each with the input it links to (``href``;
    empty for errors that concern no one input)."""
    known = {key for key, _id, _label in FORM_INPUTS}
    items = [
        {"href": f"#{input_id}", "label": label, "message": message}
        for key, input_id, label in FORM_INPUTS
        for message in errors.get(key, [])
    ]
    general = [m for key, value in errors.items() if key not in known for m in value]
    return [{"href": "", "label": "", "message": m} for m in general] + items


def create_form_context(
    request: HtmxHttpRequest,
    projects: list[Project],
    data: QueryDict | None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Values and errors keyed with underscores (``creator_email``) for the template, and
    the error summary (locations with no input of their own, ``creator``, come first)."""
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
    return {
        "projects": projects,
        "values": values,
        "errors": keyed_errors,
        "error_summary": error_summary(keyed_errors),
        "creator_fields": [
            {
                "id": f"input-creator-{name}",
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
