"""The draft page: its fields, buttons, private projects, comments and deletion.

Reads go through the selectors scoped to the signed-in user's projects (another project's
draft is a 404); every change goes through ``apply_update_actions`` or the services, the
same functions the REST API calls, inside ``base.mutate``. An htmx request gets the
fragment it targets plus out-of-band swaps of the regions that follow the draft's state; a
plain form post redirects (PRG), so the page works without JavaScript.

Versions: every form carries the draft version its region was rendered with (a hidden
``version`` input of class ``draft-version``). A successful change moves the inputs that
held the old version to the new one (the rest of the page is still accurate, since only
the user's own change happened); a stale form gets a 409 that lists what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..errors import ConcurrentModification, ConnectError
from ..models import ConnectorStaged
from ..services import cancel_run, delete_draft
from ..state import Report
from ..update_actions import apply_update_actions
from .base import (
    DRAFT_PAGE,
    HtmxHttpRequest,
    actor_for,
    changes_since,
    draft_url,
    fragment_response,
    load_draft,
    mutate,
    posted_version,
    require_version,
    user_projects,
)
from .comments import post_comment
from .fields import (
    FIELDS_BY_NAME,
    GENERAL,
    FieldSpec,
    action_body,
    current_values,
    errors_by_field,
    page_rule_errors,
    parse_action,
    posted_values,
)
from .forms import DeleteForm, PrivateProjectForm
from .landing import draft_elsewhere
from .regions import STATE_REGIONS, field_view, out_of_band, page_context, render_region


def send_action(
    request: HtmxHttpRequest, draft: ConnectorStaged, version: int | None, body: dict[str, Any]
) -> ConnectorStaged:
    """One update action, exactly as the API would receive it, at the version the page showed."""
    return apply_update_actions(
        projects=user_projects(request.user),
        version=require_version(version),
        actions=[parse_action(body)],
        actor=actor_for(request),
        id=str(draft.id),
    )


@login_required
@require_GET
def draft_detail(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """The draft page; a draft that is not the user's goes where their role may see it."""
    try:
        draft = load_draft(request, draft_id)
    except Http404:
        return draft_elsewhere(request, draft_id)
    states: dict[str, dict[str, Any]] = {}
    editing = request.GET.get("edit")
    if editing in FIELDS_BY_NAME:
        spec = FIELDS_BY_NAME[editing]
        states[editing] = {"editing": True, "values": current_values(spec, draft), "focus": True}
    return render(request, DRAFT_PAGE, page_context(draft, field_states=states))


# --- one field ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def draft_field(request: HtmxHttpRequest, draft_id: Any, name: str) -> HttpResponse:
    """One field of the draft page: its form (GET), its display (GET ?cancel), its save (POST)."""
    spec = FIELDS_BY_NAME.get(name)
    if spec is None:
        raise Http404("No such field.")
    draft = load_draft(request, draft_id)
    if request.method == "GET":
        return _field_form(request, draft, spec)
    return _save_field(request, draft, spec)


def _field_form(request: HtmxHttpRequest, draft: ConnectorStaged, spec: FieldSpec) -> HttpResponse:
    if not request.htmx:
        edit = "" if "cancel" in request.GET else f"?edit={spec.name}"
        return redirect(f"{reverse('draft-detail', args=[draft.id])}{edit}#field-{spec.name}")
    page_version = posted_version(request.GET) or draft.version
    if "cancel" in request.GET:
        state: dict[str, Any] = {"focus": True}
    else:
        state = {"editing": True, "values": current_values(spec, draft), "focus": True}
        if page_version != draft.version:
            # The form shows today's value: say what changed since the page was loaded.
            state["conflict"] = changes_since(draft, page_version)
            state["conflict_intro"] = (
                "This draft changed since the page was loaded: the form starts from the "
                "values saved now."
            )
            page_version = draft.version
    context = page_context(draft, page_version=page_version)
    view = field_view(spec, draft, page_version, **state)
    return fragment_response(render_region(request, "field", context, field=view))


def _save_field(request: HtmxHttpRequest, draft: ConnectorStaged, spec: FieldSpec) -> HttpResponse:
    version = posted_version(request.POST)
    typed = posted_values(spec, request.POST)
    aliases = {spec.param or "": "value", "repository.url": "url", "repository.tag": "tag"}
    aliases["repository"] = GENERAL

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        fresh = load_draft(request, draft.id)
        changes = changes_since(fresh, version or 0)
        state = {"editing": True, "values": typed, "conflict": changes, "focus": True}
        # The form now holds the current version: saving again applies the user's value.
        return _field_problem(request, fresh, spec, state, fresh.version, status=409)

    def refused(exc: ConnectError) -> HttpResponse:
        errors = errors_by_field(exc, aliases=aliases)
        state = {"editing": True, "values": typed, "errors": errors, "focus": True}
        return _field_problem(request, draft, spec, state, version, status=exc.status)

    def done(_saved: ConnectorStaged) -> HttpResponse:
        fresh = load_draft(request, draft.id)
        if not request.htmx:
            messages.success(request, f"{spec.label} saved.")
            return redirect(draft_url(fresh, f"field-{spec.name}"))
        context = page_context(fresh)
        view = field_view(spec, fresh, fresh.version, focus=True)
        html = render_region(request, "field", context, field=view)
        html += out_of_band(request, context, old_version=version)
        return fragment_response(html)

    refused_here = page_rule_errors(spec, request.POST)
    if refused_here:
        state = {"editing": True, "values": typed, "errors": refused_here, "focus": True}
        return _field_problem(request, draft, spec, state, version, status=400)
    body = action_body(spec, request.POST)
    return mutate(
        lambda: send_action(request, draft, version, body),
        done=done,
        refused=refused,
        conflict=conflict,
    )


def _field_problem(
    request: HtmxHttpRequest,
    draft: ConnectorStaged,
    spec: FieldSpec,
    state: dict[str, Any],
    version: int | None,
    *,
    status: int,
) -> HttpResponse:
    """The field's form again with what the user typed, and why it was not saved."""
    page_version = version if version is not None else draft.version
    if not request.htmx:
        context = page_context(draft, page_version=page_version, field_states={spec.name: state})
        return render(request, DRAFT_PAGE, context, status=status)
    context = page_context(draft, page_version=page_version)
    view = field_view(spec, draft, page_version, **state)
    html = render_region(request, "field", context, field=view)
    if status == 409:
        html += _display_regions(request, draft)
    return fragment_response(html, status=status)


def _display_regions(request: HtmxHttpRequest, draft: ConnectorStaged) -> str:
    """The summary and history at today's state: they only display, so a stale form may."""
    return out_of_band(
        request, page_context(draft), regions=("summary", "connectors/_history.html")
    )


def _region_problem(
    request: HtmxHttpRequest,
    draft: ConnectorStaged,
    region: str,
    version: int | None,
    status: int,
    extra: dict[str, Any],
) -> HttpResponse:
    """A region again with an error or the changes that made its form stale."""
    page_version = version if version is not None else draft.version
    context = page_context(draft, page_version=page_version, **extra)
    if not request.htmx:
        return render(request, DRAFT_PAGE, context, status=status)
    html = render_region(request, region, context)
    if status == 409:
        html += _display_regions(request, draft)
    return fragment_response(html, status=status)


# --- buttons: preview, publish, unlist ---------------------------------------------------------

BUTTON_ACTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "preview": ({"action": "updatePreviewable"}, "Preview requested: the report follows below."),
    "publish": (
        {"action": "publish", "certification": False},
        "Publishing requested: the connector will be published privately if every check passes.",
    ),
    "certify": (
        {"action": "publish", "certification": True},
        "Publishing for certification requested: a certifier reviews it once every check passes.",
    ),
    "unlist": ({"action": "unlist"}, "The connector is no longer listed."),
}


@login_required
@require_POST
def draft_action(request: HtmxHttpRequest, draft_id: Any, name: str) -> HttpResponse:
    if name not in BUTTON_ACTIONS:
        raise Http404("No such action.")
    body, notice = BUTTON_ACTIONS[name]
    draft = load_draft(request, draft_id)
    version = posted_version(request.POST)

    return _run_button(
        request, draft, version, notice, lambda: send_action(request, draft, version, dict(body))
    )


def _run_button(
    request: HtmxHttpRequest,
    draft: ConnectorStaged,
    version: int | None,
    notice: str,
    write: Callable[[], Any],
) -> HttpResponse:
    """A button of the actions region or a report (start, cancel a run): the actions
    region answers, with the state regions and the reports out of band."""

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        fresh = load_draft(request, draft.id)
        extra = {"action_conflict": changes_since(fresh, version or 0)}
        return _region_problem(request, fresh, "actions", fresh.version, 409, extra)

    def refused(exc: ConnectError) -> HttpResponse:
        extra = {"action_errors": errors_by_field(exc).get(GENERAL, [exc.message])}
        return _region_problem(request, draft, "actions", version, exc.status, extra)

    def done(_result: Any) -> HttpResponse:
        fresh = load_draft(request, draft.id)
        if not request.htmx:
            messages.success(request, notice)
            return redirect(draft_url(fresh, "draft-actions"))
        context = page_context(fresh, action_notice=notice)
        html = render_region(request, "actions", context)
        html += out_of_band(
            request,
            context,
            regions=(*STATE_REGIONS, "reports"),
            skip=("actions",),
            old_version=version,
        )
        return fragment_response(html)

    return mutate(write, done=done, refused=refused, conflict=conflict)


@login_required
@require_POST
def draft_run_cancel(request: HtmxHttpRequest, draft_id: Any, report: str) -> HttpResponse:
    """Cancel the draft's queued or running preview or publish (a button of its report)."""
    if report not in Report.values:
        raise Http404("No such report.")
    draft = load_draft(request, draft_id)
    version = posted_version(request.POST)
    notice = f"The {report} was cancelled."
    return _run_button(
        request,
        draft,
        version,
        notice,
        lambda: cancel_run(actor=actor_for(request), draft_id=draft.id, report=report),
    )


# --- private projects --------------------------------------------------------------------------

PRIVATE_PROJECT_ACTIONS = {"add": "addPrivateProject", "remove": "removePrivateProject"}


@login_required
@require_POST
def draft_private_projects(request: HtmxHttpRequest, draft_id: Any, operation: str) -> HttpResponse:
    """``add`` or ``remove`` one private project (addPrivateProject/removePrivateProject)."""
    if operation not in PRIVATE_PROJECT_ACTIONS:
        raise Http404("No such operation.")
    draft = load_draft(request, draft_id)
    form = PrivateProjectForm(request.POST)
    version, typed = form.version_value(), form.typed()
    kept = typed if operation == "add" else ""
    region = "private_projects"

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        fresh = load_draft(request, draft.id)
        extra = {"projects_conflict": changes_since(fresh, version or 0), "project_value": kept}
        return _region_problem(request, fresh, region, fresh.version, 409, extra)

    def refused(exc: ConnectError) -> HttpResponse:
        errors = errors_by_field(exc, aliases={"privateProject": "value"})
        extra = {"projects_errors": errors, "project_value": kept}
        return _region_problem(request, draft, region, version, exc.status, extra)

    def done(_saved: ConnectorStaged) -> HttpResponse:
        fresh = load_draft(request, draft.id)
        notice = f"Private project {typed} {'added' if operation == 'add' else 'removed'}."
        if not request.htmx:
            messages.success(request, notice)
            return redirect(draft_url(fresh, "draft-private-projects"))
        context = page_context(fresh, projects_notice=notice, focus_projects=True)
        html = render_region(request, region, context)
        html += out_of_band(request, context, old_version=version)
        return fragment_response(html)

    body = {"action": PRIVATE_PROJECT_ACTIONS[operation], "privateProject": typed}
    return mutate(
        lambda: send_action(request, draft, version, body),
        done=done,
        refused=refused,
        conflict=conflict,
    )


# --- comments ----------------------------------------------------------------------------------


@login_required
@require_POST
def draft_comments(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_draft(request, draft_id)

    def context_for(fresh: ConnectorStaged, version: int, **extra: Any) -> dict[str, Any]:
        return page_context(fresh, page_version=version, page_template=DRAFT_PAGE, **extra)

    return post_comment(
        request,
        draft=draft,
        projects=user_projects(request.user),
        actor=actor_for(request),
        context_for=context_for,
        redirect_to=draft_url(draft, "draft-comments"),
    )


# --- deleting ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def draft_delete(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """A confirmation page; the POST deletes the draft and its production Connector."""
    draft = load_draft(request, draft_id)
    template = "connectors/draft_delete.html"
    context: dict[str, Any] = {"draft": draft, "page_version": draft.version}
    if request.method == "GET":
        return render(request, template, context)
    version = DeleteForm(request.POST).version_value()

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        context["conflict"] = changes_since(draft, version or 0)
        return render(request, template, context, status=409)

    def refused(exc: ConnectError) -> HttpResponse:
        context["errors"] = [exc.message]
        return render(request, template, context, status=exc.status)

    def done(_result: Any) -> HttpResponse:
        messages.success(request, f"Draft “{draft.name}” deleted.")
        return redirect("home")

    return mutate(
        lambda: delete_draft(
            projects=user_projects(request.user),
            actor=actor_for(request),
            version=require_version(version),
            id=str(draft.id),
        ),
        done=done,
        refused=refused,
        conflict=conflict,
    )
