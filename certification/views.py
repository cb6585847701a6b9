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
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from connectors.drafts import Actor, production_connector
from connectors.errors import ConcurrentModification, ConnectError, ResourceNotFound
from connectors.forms import GENERAL, errors_by_field
from connectors.models import ConnectorStaged, Project
from connectors.state import Report, Status
from connectors.views import (
    HISTORY_LIMIT,
    HtmxHttpRequest,
    MissingVersion,
    changes_since,
    post_comment,
    posted_version,
)

from . import services
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
    template = "certification/queue.html"
    if request.htmx and request.htmx.target == "queue-table":
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


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


def _review_url(draft_id: Any) -> str:
    return reverse("certification-review", args=[draft_id])


LEFT_THE_QUEUE = "That draft is no longer in the certification queue."


@certifier_required
@require_POST
def claim_view(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    try:
        services.claim(draft_id=draft_id, actor=certifier_actor(request))
    except ResourceNotFound:
        messages.error(request, LEFT_THE_QUEUE)
        return redirect("certification-queue")
    except ConnectError as exc:
        messages.error(request, exc.message)
        return redirect("certification-queue")
    messages.success(request, "You have claimed the draft: review it and decide.")
    return redirect(_review_url(draft_id))


@certifier_required
@require_POST
def release_view(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    try:
        services.release(draft_id=draft_id, actor=certifier_actor(request))
    except ResourceNotFound:
        messages.error(request, LEFT_THE_QUEUE)
        return redirect("certification-queue")
    except ConnectError as exc:
        messages.error(request, exc.message)
        return redirect(_review_url(draft_id))
    messages.success(request, "The draft is back in the queue.")
    return redirect("certification-queue")


@certifier_required
@require_POST
def decide_view(request: HtmxHttpRequest, draft_id: Any, decision: str) -> HttpResponse:
    """``approve`` or ``reject`` (with a reason) the draft the certifier holds."""
    if decision not in ("approve", "reject"):
        raise Http404("No such decision.")
    try:
        draft = get_draft_for_review(id=draft_id)
    except ResourceNotFound:
        messages.error(request, LEFT_THE_QUEUE)
        return redirect("certification-queue")
    version = posted_version(request.POST)
    reason = request.POST.get("reason", "")
    actor = certifier_actor(request)
    try:
        if version is None:
            raise MissingVersion()
        if decision == "approve":
            services.approve(draft_id=draft.id, version=version, actor=actor)
        else:
            services.reject(draft_id=draft.id, version=version, actor=actor, reason=reason)
    except ResourceNotFound:
        messages.error(request, LEFT_THE_QUEUE)
        return redirect("certification-queue")
    except ConcurrentModification:
        fresh = load_for_review(draft.id)
        context = review_context(
            request, fresh, decision_conflict=changes_since(fresh, version or 0), reason=reason
        )
        return render(request, REVIEW_PAGE, context, status=409)
    except ConnectError as exc:
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
        messages.success(request, f"“{draft.name}” is certified and published.")
    else:
        messages.success(request, f"“{draft.name}” was rejected; the reason is in its comments.")
    return redirect("certification-queue")


@certifier_required
@require_POST
def review_comments(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    draft = load_for_review(draft_id)

    def context_for(fresh: ConnectorStaged, version: int, **extra: Any) -> dict[str, Any]:
        return review_context(request, fresh, page_version=version, **extra)

    response = post_comment(
        request,
        draft=draft,
        projects=Project.objects.filter(pk=draft.project_id),
        actor=certifier_actor(request),
        context_for=context_for,
    )
    return response or redirect(f"{_review_url(draft.id)}#draft-comments")
