"""Certification comments from a page's comment form: the creator's page and the review page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from ..drafts import Actor
from ..errors import ConcurrentModification, ConnectError
from ..models import ConnectorStaged
from ..selectors import get_draft
from ..update_actions import apply_update_actions
from .base import HtmxHttpRequest, changes_since, fragment_response, mutate, require_version
from .fields import errors_by_field, parse_action
from .forms import CommentForm
from .regions import out_of_band

TEMPLATE = "connectors/_comments.html"

# ``context_for(draft, page_version, **extra)``: the page's context for the comments region.
ContextFor = Callable[..., dict[str, Any]]


def post_comment(
    request: HtmxHttpRequest,
    *,
    draft: ConnectorStaged,
    projects: Any,
    actor: Actor,
    context_for: ContextFor,
    redirect_to: str,
) -> HttpResponse:
    """addCertificationComment from a comment form, for creators and certifiers.

    A plain post that succeeds is redirected to ``redirect_to`` (PRG).
    """
    form = CommentForm(request.POST)
    version = form.version_value()
    typed = form.typed()

    def answer(context: dict[str, Any], status: int) -> HttpResponse:
        if not request.htmx:
            return render(request, context["page_template"], context, status=status)
        return fragment_response(render_to_string(TEMPLATE, context, request), status=status)

    def conflict(_exc: ConcurrentModification) -> HttpResponse:
        fresh = get_draft(projects=projects, id=str(draft.id))
        changes = changes_since(fresh, version or 0)
        context = context_for(fresh, fresh.version, comment_value=typed, comment_conflict=changes)
        return answer(context, 409)

    def refused(exc: ConnectError) -> HttpResponse:
        errors = errors_by_field(exc, aliases={"comment": "value"})
        page_version = version if version is not None else draft.version
        context = context_for(draft, page_version, comment_value=typed, comment_errors=errors)
        return answer(context, exc.status)

    def done(_draft: ConnectorStaged) -> HttpResponse:
        if not request.htmx:
            messages.success(request, "Comment added.")
            return redirect(redirect_to)
        fresh = get_draft(projects=projects, id=str(draft.id))
        context = context_for(fresh, fresh.version, comment_notice="Comment added.")
        context["focus_comment"] = True
        html = render_to_string(TEMPLATE, context, request) + out_of_band(
            request, context, regions=("connectors/_history.html",), old_version=version
        )
        return fragment_response(html)

    def write() -> ConnectorStaged:
        action = parse_action({"action": "addCertificationComment", "comment": typed})
        return apply_update_actions(
            projects=projects,
            version=require_version(version),
            actions=[action],
            actor=actor,
            id=str(draft.id),
        )

    return mutate(write, done=done, refused=refused, conflict=conflict)
