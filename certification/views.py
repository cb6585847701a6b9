"""The certifier pages: the queue, the review page and the decisions.

Only members of the ``certifiers`` group reach them (403 for anyone else). Claim,
release, approve and reject are plain form posts that redirect (PRG) with a message;
the comment form works like the creator page's (htmx, same update action).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_POST

from connectors.drafts import Actor, production_connector
from connectors.errors import ConcurrentModification, ConnectError, ResourceNotFound
from connectors.models import ConnectorStaged, Project
from connectors.pages.base import (
    HISTORY_LIMIT,
    HtmxHttpRequest,
    changes_since,
    mutate,
    posted_version,
    render_list,
    require_version,
)
from connectors.pages.comments import post_comment
from connectors.pages.fields import GENERAL, errors_by_field
from connectors.state import Report, Status

from . import services
from .changes import review_changes
from .selectors import get_draft_for_review, is_certifier, queue

REVIEW_PAGE = "certification/review.html"


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
    context = {"drafts": list(queue()), "user_id": request.user.pk}
    return render_list(request, "certification/queue.html", context, table="queue-table")


def review_context(
    request: HtmxHttpRequest, draft: ConnectorStaged, page_version: int | None = None, **extra: Any
) -> dict[str, Any]:
    entries = list(draft.report_entries.all())
    mine = draft.claimed_by_id == request.user.pk
    context = {
        "draft": draft,
        "connector": production_connector(draft),
        "page_version": draft.version if page_version is None else page_version,
        "publishing_entries": [e for e in entries if e.report == Report.PUBLISHING],
        "preview_entries": [e for e in entries if e.report == Report.PREVIEW],
        "comments": list(draft.certification_comments.all()),
        "events": list(draft.events.order_by("-id")[:HISTORY_LIMIT]),
        "comment_url": reverse("certification-comments", args=[draft.id]),
        # Worked out only where a template shows it: the page, not the live answers.
        "changes": SimpleLazyObject(lambda: review_changes(draft, entries=entries)),
        "changes_url": reverse("certification-changes", args=[draft.id]),
        "claimed_by_me": mine,
        "can_claim": draft.status == Status.READY_FOR_CERTIFICATION,
        "can_decide": draft.status == Status.IN_CERTIFICATION and mine,
        "page_template": REVIEW_PAGE,
    }
    context.update(extra)
    return context


@certifier_required
@require_GET
def review_page(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_for_review(draft_id)
    return render(request, REVIEW_PAGE, review_context(request, draft))


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


@certifier_required
@require_POST
def decide_view(request: HtmxHttpRequest, draft_id: Any, decision: str) -> HttpResponse:
    """``approve`` or ``reject`` (with a reason) the draft the certifier holds."""
    if decision not in ("approve", "reject"):
        raise Http404("No such decision.")
    queue_url = reverse("certification-queue")

    def gone(_exc: ResourceNotFound) -> HttpResponse:
        return _with_message(request, messages.ERROR, LEFT_THE_QUEUE, queue_url)

    try:
        draft = get_draft_for_review(id=draft_id)
    except ResourceNotFound as exc:
        return gone(exc)
    version = posted_version(request.POST)
    reason = request.POST.get("reason", "")
    actor = certifier_actor(request)

    def decide() -> ConnectorStaged:
        if decision == "approve":
            return services.approve(
                draft_id=draft.id, version=require_version(version), actor=actor
            )
        return services.reject(
            draft_id=draft.id, version=require_version(version), actor=actor, reason=reason
        )

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        fresh = load_for_review(draft.id)
        changes = changes_since(fresh, version or 0)
        context = review_context(request, fresh, decision_conflict=changes, reason=reason)
        return render(request, REVIEW_PAGE, context, status=409)

    def refused(exc: ConnectError) -> HttpResponse:
        errors = errors_by_field(exc, aliases={"comment": "reason"})
        context = review_context(
            request,
            draft,
            page_version=version,
            reason=reason,
            reason_errors=errors.get("reason", []),
            decision_errors=errors.get(GENERAL, []),
        )
        return render(request, REVIEW_PAGE, context, status=exc.status)

    if decision == "approve":
        done_message = f"“{draft.name}” is certified and published."
    else:
        done_message = f"“{draft.name}” was rejected; the reason is in its comments."
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
