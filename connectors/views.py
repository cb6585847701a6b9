"""The creator pages: the draft list, the create form and the draft page.

Reads go through the selectors scoped to the signed-in user's projects (another project's
draft is a 404); every change goes through ``apply_update_actions`` or the services, the
same functions the REST API calls. An htmx request gets the fragment it targets plus
out-of-band swaps of the regions that follow the draft's state; a plain form post
redirects (PRG), so the pages work without JavaScript.

Versions: every form carries the draft version its region was rendered with (a hidden
``version`` input of class ``draft-version``). A successful change moves the inputs that
held the old version to the new one (the rest of the page is still accurate, since only
the user's own change happened); a stale form gets a 409 that lists what changed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from . import schemas
from .drafts import Actor, production_connector
from .errors import ConcurrentModification, ConnectError, ResourceNotFound
from .forms import (
    CREATOR_FIELDS,
    EDITABLE_FIELDS,
    FIELDS_BY_NAME,
    GENERAL,
    FieldSpec,
    action_body,
    current_values,
    draft_body,
    draft_controls,
    errors_by_field,
    is_running,
    parse_action,
    posted_values,
)
from .models import ConnectorStaged, DraftEvent, Project, ReportEntry
from .parsing import parse
from .roles import is_certifier
from .selectors import Page, get_draft, query_drafts
from .services import create_draft, delete_draft
from .state import Report, Status
from .update_actions import apply_update_actions
from .values import INTEGRATION_TYPES, REGIONS, ascii_integer

DRAFT_PAGE = "connectors/draft_detail.html"
PAGE_SIZE = 20
MAX_PAGE = 100_000  # the offset of the last page stays a small integer
HISTORY_LIMIT = 200
# The longest a draft page's poll waits for news before asking again (see draft_live).
LONG_POLL_SECONDS = 20

logger = logging.getLogger(__name__)


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for type checkers)."""

    htmx: HtmxDetails


# --- who and what ---------------------------------------------------------------------------


def user_projects(user: Any) -> QuerySet[Project]:
    """The projects whose drafts the user creates and sees."""
    return Project.objects.filter(members=user)


def actor_for(request: HtmxHttpRequest) -> Actor:
    return Actor(label=request.user.get_username(), user=request.user)


def load_draft(request: HtmxHttpRequest, draft_id: Any) -> ConnectorStaged:
    """The draft if it belongs to one of the user's projects; a 404 otherwise."""
    try:
        return get_draft(projects=user_projects(request.user), id=str(draft_id))
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None


def apply_page_action(
    request: HtmxHttpRequest, draft: ConnectorStaged, version: int | None, body: dict[str, Any]
) -> ConnectorStaged:
    """Send one update action, exactly as the API would, with the version the page showed.

    Raises MissingVersion, the parsing errors and everything ``apply_update_actions`` raises.
    """
    if version is None:
        raise MissingVersion()
    return apply_update_actions(
        projects=user_projects(request.user),
        version=version,
        actions=[parse_action(body)],
        actor=actor_for(request),
        id=str(draft.id),
    )


def as_version(raw: str | None) -> int | None:
    """A version (or ``wait``) parameter: ASCII digits within a 32-bit integer, else None."""
    return ascii_integer(raw)


def posted_version(data: QueryDict) -> int | None:
    return as_version(data.get("version"))


def changes_since(draft: ConnectorStaged, version: int) -> list[DraftEvent]:
    """What happened to the draft after ``version`` (the latest 50): shown to a stale form."""
    latest = draft.events.filter(version__gt=version).order_by("-id")[:50]
    return list(latest)[::-1]


class MissingVersion(ConnectError):
    """A form without its draft version (a hand-made or truncated post)."""

    code = "InvalidInput"
    status = 400
    default_message = "The form did not say which version of the draft it edits: reload the page."


class FormFieldError(ConnectError):
    """A form value the API body has no place for (the project of a new draft)."""

    code = "InvalidInput"
    status = 400

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(message, field=field)


# --- the draft page's regions ---------------------------------------------------------------


@dataclass
class FieldView:
    """One editable field as the page shows it: its value, or its form."""

    spec: FieldSpec
    current: dict[str, Any]
    version: int
    editing: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict: list[DraftEvent] | None = None
    # Why the form shows ``conflict``: a refused save (409) or a form opened late.
    conflict_intro: str = (
        "This draft changed since the page was loaded. Your value was not saved yet; "
        "it is kept below: save again to apply it."
    )
    focus: bool = False

    @property
    def form(self) -> dict[str, Any]:
        return self.values or self.current


def field_view(spec: FieldSpec, draft: ConnectorStaged, version: int, **state: Any) -> FieldView:
    return FieldView(spec=spec, current=current_values(spec, draft), version=version, **state)


def report_mark(entries: list[ReportEntry]) -> str:
    """What the page holds of a report: ``<count>-<last entry id>``."""
    return f"{len(entries)}-{entries[-1].id if entries else 0}"


def read_mark(raw: str | None) -> tuple[int, int] | None:
    count, _, last = (raw or "").partition("-")
    marks = ascii_integer(count), ascii_integer(last, maximum=2**63 - 1)
    return None if marks[0] is None or marks[1] is None else (marks[0], marks[1])


def page_context(
    draft: ConnectorStaged,
    *,
    page_version: int | None = None,
    field_states: dict[str, dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the draft page's regions show."""
    version = draft.version if page_version is None else page_version
    connector = production_connector(draft)
    entries = list(draft.report_entries.all())
    preview = [e for e in entries if e.report == Report.PREVIEW]
    publishing = [e for e in entries if e.report == Report.PUBLISHING]
    states = field_states or {}
    context = {
        "draft": draft,
        "connector": connector,
        "page_version": version,
        "controls": draft_controls(draft),
        "fields": [
            field_view(spec, draft, version, **states.get(spec.name, {}))
            for spec in EDITABLE_FIELDS
        ],
        "preview_entries": preview,
        "publishing_entries": publishing,
        "poll": {"preview": report_mark(preview), "publishing": report_mark(publishing)},
        "running": is_running(draft),
        "long_poll_seconds": LONG_POLL_SECONDS,
        "comments": list(draft.certification_comments.all()),
        "events": list(draft.events.order_by("-id")[:HISTORY_LIMIT]),
        "comment_url": reverse("draft-comments", args=[draft.id]),
    }
    context.update(extra)
    return context


def render_region(
    request: HtmxHttpRequest, name: str, context: dict[str, Any], **extra: Any
) -> str:
    """One region of the draft page (a partial), for a response or an out-of-band swap."""
    template = name if name.endswith(".html") else f"{DRAFT_PAGE}#{name}"
    return render_to_string(template, {**context, **extra}, request)


STATE_REGIONS = (
    "summary",
    "actions",
    "private_projects",
    "connectors/_diff.html",
    "connectors/_applications.html",
    "connectors/_history.html",
    "poller",
)


def out_of_band(
    request: HtmxHttpRequest,
    context: dict[str, Any],
    *,
    regions: tuple[str, ...] = STATE_REGIONS,
    skip: tuple[str, ...] = (),
    old_version: int | None = None,
) -> str:
    """The regions that follow the draft's state, as out-of-band swaps, and the version move."""
    parts = [
        render_region(request, name, context, oob=True) for name in regions if name not in skip
    ]
    new_version = context["page_version"]
    if old_version is not None and old_version != new_version:
        parts.append(
            render_to_string(
                "connectors/_version_sync.html", {"old": old_version, "new": new_version}
            )
        )
    return "".join(parts)


def fragment_response(html: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(html, status=status)


def draft_url(draft: ConnectorStaged, anchor: str = "") -> str:
    url = reverse("draft-detail", args=[draft.id])
    return f"{url}#{anchor}" if anchor else url


# --- the list -------------------------------------------------------------------------------

SORTS: dict[str, tuple[str, str, bool]] = {
    # form value: (label, API sort field, descending)
    "-createdAt": ("Newest first", "createdAt", True),
    "createdAt": ("Oldest first", "createdAt", False),
    "-lastModifiedAt": ("Recently changed", "lastModifiedAt", True),
    "name": ("Name A–Z", "name", False),
    "-name": ("Name Z–A", "name", True),
    "key": ("Key A–Z", "key", False),
}
DEFAULT_SORT = "-createdAt"


@dataclass(frozen=True)
class ListFilters:
    text: str
    statuses: list[str]
    private: str  # "", "yes", "no"
    types: list[str]
    sort: str
    page: int

    @classmethod
    def from_query(cls, params: QueryDict) -> ListFilters:
        """Lenient: an unknown value in a bookmarked URL is ignored, not an error page."""
        page = params.get("page", "1")
        sort = params.get("sort", DEFAULT_SORT)
        return cls(
            text=params.get("q", "").strip()[:200],
            statuses=[s for s in params.getlist("status") if s in Status.values],
            private=params.get("private", "") if params.get("private") in ("yes", "no") else "",
            types=[t for t in params.getlist("type") if t in INTEGRATION_TYPES],
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=max(ascii_integer(page, maximum=MAX_PAGE) or 1, 1),
        )

    def query(self, page: int) -> str:
        params = QueryDict(mutable=True)
        if self.text:
            params["q"] = self.text
        params.setlist("status", self.statuses)
        if self.private:
            params["private"] = self.private
        params.setlist("type", self.types)
        if self.sort != DEFAULT_SORT:
            params["sort"] = self.sort
        if page > 1:
            params["page"] = str(page)
        return params.urlencode()


@login_required
@require_GET
def draft_list(request: HtmxHttpRequest) -> HttpResponse:
    projects = user_projects(request.user)
    has_projects = projects.exists()
    if not has_projects and is_certifier(request.user):
        return redirect("certification-queue")
    filters = ListFilters.from_query(request.GET)
    _label, sort_field, descending = SORTS[filters.sort]
    total, drafts = query_drafts(
        projects=projects,
        page=Page(
            limit=PAGE_SIZE,
            offset=(filters.page - 1) * PAGE_SIZE,
            sort=[(sort_field, descending)],
        ),
        is_private={"yes": True, "no": False}.get(filters.private),
        integration_types=filters.types,
        status=filters.statuses,
        text=filters.text or None,
    )
    prefetch_related_objects(drafts, "project")
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    context = {
        "drafts": drafts,
        "total": total,
        "filters": filters,
        "has_projects": has_projects,
        "several_projects": projects.count() > 1,
        "page": filters.page,
        "pages": pages,
        "previous_query": filters.query(filters.page - 1) if filters.page > 1 else None,
        "next_query": filters.query(filters.page + 1) if filters.page < pages else None,
        "statuses": Status.values,
        "integration_types": INTEGRATION_TYPES,
        "sorts": [(value, label) for value, (label, _f, _d) in SORTS.items()],
    }
    template = "connectors/draft_list.html"
    if request.htmx and request.htmx.target == "draft-table":
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- creating -------------------------------------------------------------------------------


def create_form_context(
    request: HtmxHttpRequest,
    projects: list[Project],
    data: QueryDict | None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Values and errors keyed with underscores (``creator_email``) for the template."""
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
        return render(
            request, "connectors/draft_create.html", create_form_context(request, projects, None)
        )
    chosen = next((p for p in projects if p.key == request.POST.get("project")), None)
    if chosen is None and len(projects) == 1:
        chosen = projects[0]
    try:
        if chosen is None:
            raise FormFieldError(
                field="project", message="Choose the project the draft belongs to."
            )
        body = parse(schemas.ConnectorStagedDraft, draft_body(request.POST))
        draft = create_draft(project=chosen, draft=body, actor=actor_for(request))
    except ConnectError as exc:
        context = create_form_context(request, projects, request.POST, errors_by_field(exc))
        return render(request, "connectors/draft_create.html", context, status=exc.status)
    messages.success(request, f"Draft “{draft.name}” created.")
    return redirect(draft_url(draft))


# --- the draft page -------------------------------------------------------------------------


@login_required
@require_GET
def draft_detail(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_draft(request, draft_id)
    states: dict[str, dict[str, Any]] = {}
    editing = request.GET.get("edit")
    if editing in FIELDS_BY_NAME:
        spec = FIELDS_BY_NAME[editing]
        states[editing] = {"editing": True, "values": current_values(spec, draft), "focus": True}
    return render(request, DRAFT_PAGE, page_context(draft, field_states=states))


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
    try:
        apply_page_action(request, draft, version, action_body(spec, request.POST))
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None
    except ConcurrentModification:
        draft = load_draft(request, draft.id)
        state = {
            "editing": True,
            "values": typed,
            "conflict": changes_since(draft, version or 0),
            "focus": True,
        }
        # The form now holds the current version: saving again applies the user's value.
        return _field_problem(request, draft, spec, state, draft.version, status=409, old=version)
    except ConnectError as exc:
        errors = errors_by_field(exc, aliases=aliases)
        state = {"editing": True, "values": typed, "errors": errors, "focus": True}
        return _field_problem(request, draft, spec, state, version, status=exc.status, old=None)
    draft = load_draft(request, draft.id)
    if not request.htmx:
        messages.success(request, f"{spec.label} saved.")
        return redirect(draft_url(draft, f"field-{spec.name}"))
    context = page_context(draft)
    view = field_view(spec, draft, draft.version, focus=True)
    html = render_region(request, "field", context, field=view)
    html += out_of_band(request, context, old_version=version)
    return fragment_response(html)


def _field_problem(
    request: HtmxHttpRequest,
    draft: ConnectorStaged,
    spec: FieldSpec,
    state: dict[str, Any],
    version: int | None,
    *,
    status: int,
    old: int | None,
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
        # The summary and history only display: showing today's state there is safe.
        html += out_of_band(
            request,
            page_context(draft),
            regions=("summary", "connectors/_history.html"),
        )
    return fragment_response(html, status=status)


# --- buttons: preview, publish, unlist ------------------------------------------------------

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
    try:
        if version is None:
            raise MissingVersion()
        apply_update_actions(
            projects=user_projects(request.user),
            version=version,
            actions=[parse_action(dict(body))],
            actor=actor_for(request),
            id=str(draft.id),
        )
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None
    except ConcurrentModification:
        draft = load_draft(request, draft.id)
        extra: dict[str, Any] = {"action_conflict": changes_since(draft, version or 0)}
        return _region_problem(request, draft, "actions", draft.version, 409, extra)
    except ConnectError as exc:
        extra = {"action_errors": errors_by_field(exc).get(GENERAL, [exc.message])}
        return _region_problem(request, draft, "actions", version, exc.status, extra)
    draft = load_draft(request, draft.id)
    if not request.htmx:
        messages.success(request, notice)
        return redirect(draft_url(draft, "draft-actions"))
    context = page_context(draft, action_notice=notice)
    html = render_region(request, "actions", context)
    html += out_of_band(
        request,
        context,
        regions=(*STATE_REGIONS, "reports"),
        skip=("actions",),
        old_version=version,
    )
    return fragment_response(html)


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
        html += out_of_band(
            request, page_context(draft), regions=("summary", "connectors/_history.html")
        )
    return fragment_response(html, status=status)


# --- private projects -----------------------------------------------------------------------


@login_required
@require_POST
def draft_private_projects(request: HtmxHttpRequest, draft_id: Any, operation: str) -> HttpResponse:
    """``add`` or ``remove`` one private project (addPrivateProject/removePrivateProject)."""
    actions = {"add": "addPrivateProject", "remove": "removePrivateProject"}
    if operation not in actions:
        raise Http404("No such operation.")
    draft = load_draft(request, draft_id)
    version = posted_version(request.POST)
    typed = request.POST.get("privateProject", "").strip()
    region = "private_projects"
    try:
        body = {"action": actions[operation], "privateProject": typed}
        apply_page_action(request, draft, version, body)
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None
    except ConcurrentModification:
        draft = load_draft(request, draft.id)
        extra: dict[str, Any] = {"projects_conflict": changes_since(draft, version or 0)}
        if operation == "add":
            extra["project_value"] = typed
        return _region_problem(request, draft, region, draft.version, 409, extra)
    except ConnectError as exc:
        errors = errors_by_field(exc, aliases={"privateProject": "value"})
        extra = {"projects_errors": errors, "project_value": typed if operation == "add" else ""}
        return _region_problem(request, draft, region, version, exc.status, extra)
    draft = load_draft(request, draft.id)
    done = "added" if operation == "add" else "removed"
    notice = f"Private project {typed} {done}."
    if not request.htmx:
        messages.success(request, notice)
        return redirect(draft_url(draft, "draft-private-projects"))
    context = page_context(draft, projects_notice=notice, focus_projects=True)
    html = render_region(request, region, context)
    html += out_of_band(request, context, old_version=version)
    return fragment_response(html)


# --- comments -------------------------------------------------------------------------------


def post_comment(
    request: HtmxHttpRequest,
    *,
    draft: ConnectorStaged,
    projects: Any,
    actor: Actor,
    context_for: Any,
) -> HttpResponse | None:
    """addCertificationComment from a page's comment form, for creators and certifiers.

    Returns the htmx response, or None after a plain post succeeded (the caller redirects).
    ``context_for(draft, page_version, **extra)`` builds the page's context.
    """
    version = posted_version(request.POST)
    typed = request.POST.get("comment", "")
    template = "connectors/_comments.html"
    try:
        if version is None:
            raise MissingVersion()
        action = parse_action({"action": "addCertificationComment", "comment": typed})
        apply_update_actions(
            projects=projects, version=version, actions=[action], actor=actor, id=str(draft.id)
        )
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None
    except ConcurrentModification:
        fresh = get_draft(projects=projects, id=str(draft.id))
        extra: dict[str, Any] = {
            "comment_value": typed,
            "comment_conflict": changes_since(fresh, version or 0),
        }
        context = context_for(fresh, fresh.version, **extra)
        return _comment_response(request, context, template, status=409, full=not request.htmx)
    except ConnectError as exc:
        extra = {
            "comment_value": typed,
            "comment_errors": errors_by_field(exc, aliases={"comment": "value"}),
        }
        context = context_for(draft, version if version is not None else draft.version, **extra)
        return _comment_response(
            request, context, template, status=exc.status, full=not request.htmx
        )
    if not request.htmx:
        messages.success(request, "Comment added.")
        return None
    fresh = get_draft(projects=projects, id=str(draft.id))
    context = context_for(fresh, fresh.version, comment_notice="Comment added.", focus_comment=True)
    html = render_to_string(template, context, request) + out_of_band(
        request, context, regions=("connectors/_history.html",), old_version=version
    )
    return fragment_response(html)


def _comment_response(
    request: HtmxHttpRequest, context: dict[str, Any], template: str, *, status: int, full: bool
) -> HttpResponse:
    if full:
        return render(request, context["page_template"], context, status=status)
    return fragment_response(render_to_string(template, context, request), status=status)


@login_required
@require_POST
def draft_comments(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_draft(request, draft_id)

    def context_for(fresh: ConnectorStaged, version: int, **extra: Any) -> dict[str, Any]:
        return page_context(fresh, page_version=version, page_template=DRAFT_PAGE, **extra)

    response = post_comment(
        request,
        draft=draft,
        projects=user_projects(request.user),
        actor=actor_for(request),
        context_for=context_for,
    )
    return response or redirect(draft_url(draft, "draft-comments"))


# --- deleting -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def draft_delete(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """A confirmation page; the POST deletes the draft and its production Connector."""
    draft = load_draft(request, draft_id)
    context: dict[str, Any] = {"draft": draft, "page_version": draft.version}
    if request.method == "GET":
        return render(request, "connectors/draft_delete.html", context)
    version = posted_version(request.POST)
    try:
        if version is None:
            raise MissingVersion()
        delete_draft(
            projects=user_projects(request.user),
            actor=actor_for(request),
            version=version,
            id=str(draft.id),
        )
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None
    except ConcurrentModification:
        context["conflict"] = changes_since(draft, version or 0)
        return render(request, "connectors/draft_delete.html", context, status=409)
    except ConnectError as exc:
        context["errors"] = [exc.message]
        return render(request, "connectors/draft_delete.html", context, status=exc.status)
    messages.success(request, f"Draft “{draft.name}” deleted.")
    return redirect("home")


# --- following a pipeline run ---------------------------------------------------------------


# --- a run's durations and build logs (creators of the project, certifiers of the queue) ----


def load_run(request: HtmxHttpRequest, draft_id: Any, run_id: Any) -> tuple[ConnectorStaged, Any]:
    """The draft and one of its runs; a 404 for anyone who may not see the draft."""
    from .models import PipelineRun

    try:
        draft = load_draft(request, draft_id)
    except Http404:
        under_review = (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)
        found = ConnectorStaged.objects.filter(id=draft_id, status__in=under_review).first()
        if found is None or not is_certifier(request.user):
            raise
        draft = found
    run = PipelineRun.objects.filter(id=run_id, draft=draft).first()
    if run is None:
        raise Http404("No such run of this draft.")
    return draft, run


@login_required
@require_GET
def draft_run(request: HtmxHttpRequest, draft_id: Any, run_id: Any) -> HttpResponse:
    """Per-check durations and the step logs (install, build, test) of one run."""
    draft, run = load_run(request, draft_id, run_id)
    logs = run.step_logs.defer("text")
    timings = sorted((run.timings or {}).items(), key=lambda item: -float(item[1]))
    context = {"draft": draft, "run": run, "logs": logs, "timings": timings}
    return render(request, "connectors/draft_run.html", context)


@login_required
@require_GET
def draft_step_log(
    request: HtmxHttpRequest, draft_id: Any, run_id: Any, log_id: int
) -> HttpResponse:
    """One step's whole log, as plain text (kept without colour codes, secrets masked)."""
    _draft, run = load_run(request, draft_id, run_id)
    log = run.step_logs.filter(id=log_id).first()
    if log is None:
        raise Http404("No such log in this run.")
    ending = "succeeded" if log.succeeded else f"failed (exit code {log.exit_code})"
    header = (
        f"{log.application}: {log.step} — {log.command}\n{ending} after {log.duration:.1f} s\n\n"
    )
    response = HttpResponse(header + log.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = "inline"
    return response
