"""What every page needs: who asks, which draft, which version, and how a write answers.

``mutate`` is the one way a page performs a write: it runs the domain call and turns its
outcome into the page's answer. A draft the user may not see (or that is gone) is a 404;
a stale version is the page's conflict answer (what changed since); any other domain error
is the page's error answer, with the error's own message. Nothing else catches domain
errors in the page layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from ..drafts import Actor
from ..errors import ConcurrentModification, ConnectError, ResourceNotFound
from ..models import ConnectorStaged, DraftEvent, Project
from ..selectors import get_draft
from ..values import ascii_integer

DRAFT_PAGE = "connectors/draft_detail.html"
HISTORY_LIMIT = 200
# The longest a draft page's poll waits for news before asking again (see live.draft_live).
LONG_POLL_SECONDS = 20


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for type checkers)."""

    htmx: HtmxDetails


# --- who and which draft ------------------------------------------------------------------------


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


def draft_url(draft: ConnectorStaged, anchor: str = "") -> str:
    url = reverse("draft-detail", args=[draft.id])
    return f"{url}#{anchor}" if anchor else url


# --- versions ----------------------------------------------------------------------------------


def as_version(raw: str | None) -> int | None:
    """A version (or ``wait``) parameter: ASCII digits within a 32-bit integer, else None."""
    return ascii_integer(raw)


def posted_version(data: QueryDict) -> int | None:
    return as_version(data.get("version"))


class MissingVersion(ConnectError):
    """A form without its draft version (a hand-made or truncated post)."""

    code = "InvalidInput"
    status = 400
    default_message = "The form did not say which version of the draft it edits: reload the page."


def require_version(version: int | None) -> int:
    if version is None:
        raise MissingVersion()
    return version


def changes_since(draft: ConnectorStaged, version: int) -> list[DraftEvent]:
    """What happened to the draft after ``version`` (the latest 50): shown to a stale form."""
    latest = draft.events.filter(version__gt=version).order_by("-id")[:50]
    return list(latest)[::-1]


# --- writes ------------------------------------------------------------------------------------


def _not_found(exc: ResourceNotFound) -> HttpResponse:
    raise Http404(exc.message) from None


def mutate[T](
    call: Callable[[], T],
    *,
    done: Callable[[T], HttpResponse],
    refused: Callable[[ConnectError], HttpResponse],
    conflict: Callable[[ConcurrentModification], HttpResponse] | None = None,
    gone: Callable[[ResourceNotFound], HttpResponse] = _not_found,
) -> HttpResponse:
    """Run one domain write and answer with ``done`` (its result), or say why it did not happen.

    ``gone``: the draft is not (or no longer) the user's to change, a 404 unless the page
    says otherwise. ``conflict``: the version the page showed is stale (``refused`` if the
    page has no conflict answer). ``refused``: any other domain error.
    """
    try:
        result = call()
    except ResourceNotFound as exc:
        return gone(exc)
    except ConcurrentModification as exc:
        return (conflict or refused)(exc)
    except ConnectError as exc:
        return refused(exc)
    return done(result)


def fragment_response(html: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(html, status=status)


def render_list(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], *, table: str
) -> HttpResponse:
    """A list page, or only its ``table`` partial when htmx asks for that element (filters,
    paging and live refreshes swap the table alone)."""
    if request.htmx and request.htmx.target == table:
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
