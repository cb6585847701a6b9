"""The certifier pages: the queue, the review page and the decisions.

Only members of the ``certifiers`` group reach them (403 for anyone else). The queue
shows due dates and claim expiries, filters by region, integration type and the
certifier's own claims (in the query string), and the last decisions.
Claim, release and reject are plain form posts that redirect (PRG) with a message; a
rejection gives reasons from the list and/or text. Approving publishes publicly, so it
has a confirmation page of its own first (no JavaScript needed), which takes an optional
note. The comment form works like the creator page's (htmx, same update action).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connectors.drafts import Actor, production_connector
from connectors.errors import ConcurrentModification, ConnectError, ResourceNotFound
from connectors.models import ConnectorStaged, Project
from connectors.pages.base import (
    HISTORY_LIMIT,
    LONG_POLL_SECONDS,
    HtmxHttpRequest,
    as_version,
    changes_since,
    mutate,
    posted_version,
    require_version,
)
from connectors.pages.comments import post_comment
from connectors.pages.fields import GENERAL, errors_by_field
from connectors.pages.live import follow_draft, follow_list, report_updates, version_sync
from connectors.pages.regions import report_context
from connectors.state import Status
from connectors.values import INTEGRATION_TYPES, REGIONS

from . import services
from .changes import review_changes
from .forms import ApproveForm, QueueFilters, RejectForm
from .selectors import (
    QUEUE_STATUSES,
    get_draft_for_review,
    is_certifier,
    offered_reasons,
    queue_item,
    queue_items,
    recent_decisions,
)

REVIEW_PAGE = "certification/review.html"
APPROVE_PAGE = "certification/approve.html"
RECENT_DECISIONS = 10


def certifier_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_certifier(request.user):
            raise PermissionDenied("The certification pages are for certifiers.")
        return view(request, *args, **kwargs)

    return wrapped


def certifier_actor(request: HtmxHttpRequest) -> Actor:
    return Actor(label=request.user.get_username(), user=request.user, is_certifier=True)


def load_for_review(draft_id: Any) -> ConnectorStaged:
    try:
        return get_draft_for_review(id=draft_id)
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None


@certifier_required
@require_GET
def queue_page(request: HtmxHttpRequest) -> HttpResponse:
    filters = QueueFilters.from_query(request.GET)

    def build() -> dict[str, Any]:
        items = queue_items(
            user=request.user,
            region=filters.region,
            integration_type=filters.integration_type,
            claimed_by_me=filters.mine,
        )
        return {
            "items": items,
            "drafts": [item.draft for item in items],
            "user_id": request.user.pk,
            "filters": filters,
            "regions": REGIONS,
            "integration_types": INTEGRATION_TYPES,
            "decisions": recent_decisions(limit=RECENT_DECISIONS),
        }

    return follow_list(request, build, "certification/queue.html", table="queue-table")


def claim_mark(draft: ConnectorStaged) -> str:
    """What the decision region depends on: the status and who holds the claim."""
    return f"{draft.status}:{draft.claimed_by_id or ''}"


def review_context(
    request: HtmxHttpRequest, draft: ConnectorStaged, page_version: int | None = None, **extra: Any
) -> dict[str, Any]:
    mine = draft.claimed_by_id == request.user.pk
    reports = report_context(draft)
    entries = reports["publishing_entries"] + reports["preview_entries"]
    context = {
        **reports,
        "claim_mark": claim_mark(draft),
        "long_poll_seconds": LONG_POLL_SECONDS,
        "left_queue": draft.status not in QUEUE_STATUSES,
        "draft": draft,
        "connector": production_connector(draft),
        "page_version": draft.version if page_version is None else page_version,
        "comments": list(draft.certification_comments.all()),
        "events": list(draft.events.order_by("-id")[:HISTORY_LIMIT]),
        "comment_url": reverse("certification-comments", args=[draft.id]),
        # Worked out only where a template shows it: the page, not the live answers.
        "changes": SimpleLazyObject(lambda: review_changes(draft, entries=entries)),
        "changes_url": reverse("certification-changes", args=[draft.id]),
        "claimed_by_me": mine,
        "can_claim": draft.status == Status.READY_FOR_CERTIFICATION,
        "can_decide": draft.status == Status.IN_CERTIFICATION and mine,
        "deadlines": queue_item(draft),
        "rejection_reasons": offered_reasons(),
        "chosen_reasons": [],
        "page_template": REVIEW_PAGE,
    }
    context.update(extra)
    return context


@certifier_required
@require_GET
def review_page(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_for_review(draft_id)
    return render(request, REVIEW_PAGE, review_context(request, draft))


# The regions of the review page a live answer brings when the draft moved.
REVIEW_REGIONS = (
    f"{REVIEW_PAGE}#summary",
    "connectors/_diff.html",
    "connectors/_comment_thread.html",
    "connectors/_history.html",
    "connectors/_applications.html",
)


def _draft_seen_in_review(request: HtmxHttpRequest, draft_id: Any) -> ConnectorStaged:
    """The draft under review, or (for the live poll) the draft that just left the queue:
    the page then says where it went and stops following it."""
    try:
        return get_draft_for_review(id=draft_id)
    except ResourceNotFound:
        gone = ConnectorStaged.objects.filter(id=draft_id).first()
        if gone is None:
            raise Http404(LEFT_THE_QUEUE) from None
        return gone


@certifier_required
@require_GET
def review_live(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """Follows the draft for the review page (see ``connectors.pages.live``): claims,
    comments, decisions, runs and the creator's changes appear without a reload."""
    if not request.htmx:
        return redirect(_review_url(draft_id))
    wait = bool(as_version(request.GET.get("wait")))
    shown_claim = request.GET.get("claim", "")

    def answer(draft: ConnectorStaged, known: Any, page_version: int) -> str | None:
        moved = known.seen != draft.version
        context = review_context(request, draft)
        entries_changed, entries_html = report_updates(request, context, known, moved=moved)
        if not moved and not entries_changed and not wait:
            return None
        html = render_to_string(f"{REVIEW_PAGE}#poller", context, request) + entries_html
        if moved:
            regions = list(REVIEW_REGIONS)
            if context["claim_mark"] != shown_claim or context["left_queue"]:
                regions.append(f"{REVIEW_PAGE}#decision")
            html += "".join(
                render_to_string(name, {**context, "oob": True}, request) for name in regions
            )
            html += version_sync(page_version, draft.version)
            html += render_to_string("connectors/_announcement.html", context, request)
        return html

    return follow_draft(request, lambda: _draft_seen_in_review(request, draft_id), answer)


@certifier_required
@require_GET
def review_changes_region(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """The review page's "Changes since the last review" alone: it asks for itself again
    while the repository comparison is computing."""
    if not request.htmx:
        return redirect(_review_url(draft_id))
    draft = load_for_review(draft_id)
    changes = review_changes(draft, entries=list(draft.report_entries.all()))
    context = {"changes": changes, "changes_url": request.path}
    return render(request, "certification/_changes.html", context)


def _review_url(draft_id: Any) -> str:
    return reverse("certification-review", args=[draft_id])


LEFT_THE_QUEUE = "That draft is no longer in the certification queue."


def _with_message(request: HtmxHttpRequest, level: int, message: str, to: str) -> HttpResponse:
    messages.add_message(request, level, message)
    return redirect(to)


@certifier_required
@require_POST
def claim_view(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    queue_url = reverse("certification-queue")
    return mutate(
        lambda: services.claim(draft_id=draft_id, actor=certifier_actor(request)),
        done=lambda _draft: _with_message(
            request,
            messages.SUCCESS,
            "You have claimed the draft: review it and decide.",
            _review_url(draft_id),
        ),
        refused=lambda exc: _with_message(request, messages.ERROR, exc.message, queue_url),
        gone=lambda _exc: _with_message(request, messages.ERROR, LEFT_THE_QUEUE, queue_url),
    )


@certifier_required
@require_POST
def release_view(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    queue_url = reverse("certification-queue")
    return mutate(
        lambda: services.release(draft_id=draft_id, actor=certifier_actor(request)),
        done=lambda _draft: _with_message(
            request, messages.SUCCESS, "The draft is back in the queue.", queue_url
        ),
        refused=lambda exc: _with_message(
            request, messages.ERROR, exc.message, _review_url(draft_id)
        ),
        gone=lambda _exc: _with_message(request, messages.ERROR, LEFT_THE_QUEUE, queue_url),
    )


def approve_confirmation(
    request: HtmxHttpRequest,
    draft: ConnectorStaged,
    form: ApproveForm,
    *,
    note_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The approval's confirmation page: what a public publish does, the note, "yes"."""
    if not (draft.status == Status.IN_CERTIFICATION and draft.claimed_by_id == request.user.pk):
        messages.error(request, "Claim the draft before deciding: only its certifier decides.")
        return redirect(_review_url(draft.id))
    version = form.version_value() or draft.version
    context = {
        "draft": draft,
        "connector": production_connector(draft),
        "version": version,
        "stale": changes_since(draft, version) if version != draft.version else None,
        "note": form.typed(),
        "note_errors": note_errors or [],
    }
    return render(request, APPROVE_PAGE, context, status=status)


@certifier_required
@require_http_methods(["GET", "POST"])
def decide_view(request: HtmxHttpRequest, draft_id: Any, decision: str) -> HttpResponse:
    """``approve`` (GET: its confirmation page; POST: the decision once confirmed) or
    ``reject`` (POST, with reasons and/or text) the draft the certifier holds."""
    if decision not in ("approve", "reject"):
        raise Http404("No such decision.")
    if request.method == "GET" and decision != "approve":
        return HttpResponseNotAllowed(["POST"])
    queue_url = reverse("certification-queue")

    def gone(_exc: ResourceNotFound) -> HttpResponse:
        return _with_message(request, messages.ERROR, LEFT_THE_QUEUE, queue_url)

    try:
        draft = get_draft_for_review(id=draft_id)
    except ResourceNotFound as exc:
        return gone(exc)
    approving = decision == "approve"
    approval = ApproveForm(request.POST if request.method == "POST" else request.GET)
    if approving and not (request.method == "POST" and approval.confirmed()):
        return approve_confirmation(request, draft, approval)
    rejection = RejectForm(request.POST)
    version = posted_version(request.POST)
    actor = certifier_actor(request)

    def decide() -> ConnectorStaged:
        if approving:
            return services.approve(
                draft_id=draft.id,
                version=require_version(version),
                actor=actor,
                note=approval.typed(),
            )
        return services.reject(
            draft_id=draft.id,
            version=require_version(version),
            actor=actor,
            reason=rejection.typed(),
            reason_codes=rejection.codes(),
        )

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        fresh = load_for_review(draft.id)
        changes = changes_since(fresh, version or 0)
        context = review_context(
            request,
            fresh,
            decision_conflict=changes,
            reason=rejection.typed(),
            chosen_reasons=rejection.codes(),
        )
        return render(request, REVIEW_PAGE, context, status=409)

    def refused(exc: ConnectError) -> HttpResponse:
        """A note the API refuses goes back to the confirmation page; any other refusal
        (the claim, the version) to the review page, beside the decision."""
        errors = errors_by_field(exc, aliases={"comment": "note" if approving else "reason"})
        if "note" in errors:
            return approve_confirmation(
                request, draft, approval, note_errors=errors["note"], status=exc.status
            )
        context = review_context(
            request,
            draft,
            page_version=version,
            reason=rejection.typed(),
            chosen_reasons=rejection.codes(),
            reason_errors=errors.get("reason", []),
            reasons_errors=errors.get("reasons", []),
            decision_errors=errors.get(GENERAL, []),
        )
        return render(request, REVIEW_PAGE, context, status=exc.status)

    if approving:
        done_message = f"“{draft.name}” is certified and published."
    else:
        done_message = f"“{draft.name}” was rejected; the reasons are in its comments."
    return mutate(
        decide,
        done=lambda _draft: _with_message(request, messages.SUCCESS, done_message, queue_url),
        refused=refused,
        conflict=conflict,
        gone=gone,
    )


@certifier_required
@require_POST
def review_comments(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_for_review(draft_id)

    def context_for(fresh: ConnectorStaged, version: int, **extra: Any) -> dict[str, Any]:
        return review_context(request, fresh, page_version=version, **extra)

    return post_comment(
        request,
        draft=draft,
        projects=Project.objects.filter(pk=draft.project_id),
        actor=certifier_actor(request),
        context_for=context_for,
        redirect_to=f"{_review_url(draft.id)}#draft-comments",
    )
