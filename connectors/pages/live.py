"""Live pages: a long poll that answers as soon as anything about the draft changes.

Every page that shows a draft (the creator's draft page, the certifier's review page)
holds a hidden poller. Its request waits on the draft's Redis channel
(``connectors.events``; every committed change publishes there), re-reads the database
every second while a run goes on and every few seconds otherwise, and answers with the
new report entries and, when the draft's version moved (an update from the API or another
tab, a claim, a comment, a decision, a run's end, a support action), the page's regions
at the new version. Field editors that are open stay as they are, with the version they
were opened at, so saving one that went stale still says what changed.

``follow_draft`` is the poll itself, shared by both pages; each page says how it renders.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from .. import events
from ..models import ConnectorStaged
from .base import (
    LONG_POLL_SECONDS,
    HtmxHttpRequest,
    as_version,
    draft_url,
    fragment_response,
    load_draft,
    posted_version,
    render_list,
)
from .controls import is_running
from .marks import LiveState, format_mark, live_snapshot
from .regions import STATE_REGIONS, out_of_band, page_context, render_region, report_region

# The regions a live answer brings when the draft moved (the fields are added one by one).
LIVE_REGIONS = (*STATE_REGIONS, "connectors/_comment_thread.html")

logger = logging.getLogger(__name__)


@cache
def _events_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def wait_for_change(
    draft_id: Any, known: LiveState, timeout: float, *, running: bool = True
) -> None:
    """Return once the draft differs from what the page holds, or after ``timeout`` seconds.

    Wakes on the draft's Redis channel (``connectors.events``) when one is configured, so
    a committed change reaches the page within milliseconds; the database is read again
    anyway (events are best effort): every second while a run goes on, every
    IDLE_RECHECK_SECONDS otherwise; without Redis every quarter second while a run goes
    on, every second otherwise.
    """
    wait_on(
        events.draft_channel(draft_id),
        lambda: live_snapshot(draft_id) != known,
        timeout,
        recheck=1.0 if running else IDLE_RECHECK_SECONDS,
    )


def wait_on(channel: str, changed: Callable[[], bool], timeout: float, *, recheck: float) -> None:
    """Return once ``changed()`` holds, or after ``timeout`` seconds; ``channel``'s events
    (``connectors.events``) wake the wait, ``changed`` is asked at least every ``recheck``."""
    deadline = time.monotonic() + timeout
    pubsub = None
    url = events.redis_url()
    if url:
        try:
            pubsub = _events_client(url).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel)
        except Exception:
            logger.warning("Could not listen for draft events", exc_info=True)
            pubsub = None
    try:
        while not changed():
            # Give the database connection back while waiting: a long poll must not hold
            # one of the pool's few connections for its whole wait.
            if not connection.in_atomic_block:
                connection.close()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if pubsub is None:
                # No events to wake the wait: read often while a run goes on, once a
                # second otherwise (an idle page is the common case).
                time.sleep(min(0.25 if recheck <= 1.0 else 1.0, remaining))
                continue
            try:
                pubsub.get_message(timeout=min(recheck, remaining))
            except Exception:
                logger.warning("Lost the draft event channel", exc_info=True)
                pubsub = None
    finally:
        if pubsub is not None:
            pubsub.close()


# Without a run going on, a waiting poll re-reads the database this often (events wake it
# at once; this only bounds how late a lost event is noticed).
IDLE_RECHECK_SECONDS = 5.0


def follow_draft(
    request: HtmxHttpRequest,
    load: Callable[[], ConnectorStaged],
    answer: Callable[[ConnectorStaged, LiveState, int], str | None],
) -> HttpResponse:
    """The long poll of a page showing a draft: wait for a change, then ``answer`` it.

    ``load`` reads the draft (raising Http404 when the user may no longer see it);
    ``answer(draft, known, page_version)`` renders the page's update, or None when there
    is nothing to send (a 204: the poller asks again).
    """
    draft = load()
    known = LiveState.from_query(request.GET)
    wait = min(as_version(request.GET.get("wait")) or 0, LONG_POLL_SECONDS)
    if wait and live_snapshot(draft.id) == known:
        wait_for_change(draft.id, known, wait, running=is_running(draft))
        draft = load()
    page_version = posted_version(request.GET) or draft.version
    html = answer(draft, known, page_version)
    if html is None:
        return HttpResponse(status=204)
    return fragment_response(html)


def report_updates(
    request: HtmxHttpRequest, context: dict[str, Any], known: LiveState, *, moved: bool = False
) -> tuple[bool, str]:
    """Each report whose entries changed since the page's mark (or all, when the draft
    moved), brought again whole: its run's state, its checks and their findings."""
    html = ""
    for report, mark in (("preview", known.preview), ("publishing", known.publishing)):
        if not moved and context["poll"][report] == format_mark(mark):
            continue
        html += render_to_string(
            "connectors/_report_update.html", {**context, **report_region(context, report)}, request
        )
    return bool(html), html


def version_sync(old: int, new: int) -> str:
    """Moves the page's forms from ``old`` to ``new``, except the field editors left open."""
    if old == new:
        return ""
    return render_to_string("connectors/_version_sync.html", {"old": old, "new": new, "live": True})


@login_required
@require_GET
def draft_live(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """Follows the draft for its page: new report entries and every change of the draft.

    The page's poller sends what it holds (its forms' version, the version it last saw, a
    mark per report, the fields being edited). The answer appends the new entries to the
    report lists (inside an ``aria-live`` container) and, when the version moved, brings
    every region at the new version, except the field editors that are open. With
    ``wait=N`` it is a long poll: it answers as soon as something changes, or after N
    seconds with the poller unchanged; the poller then asks again. Without it, an answer
    with nothing new is a 204.
    """
    if not request.htmx:
        return redirect(draft_url(load_draft(request, draft_id), "draft-reports"))
    editing = set(request.GET.getlist("editing"))
    wait = bool(as_version(request.GET.get("wait")))

    def answer(draft: ConnectorStaged, known: LiveState, page_version: int) -> str | None:
        moved = known.seen != draft.version
        context = page_context(draft)
        entries_changed, entries_html = report_updates(request, context, known, moved=moved)
        if not moved and not entries_changed and not wait:
            return None
        html = render_region(request, "poller", context) + entries_html
        if moved:
            html += out_of_band(request, context, regions=LIVE_REGIONS, skip=("poller",))
            html += "".join(
                render_region(request, "field", context, field=view, oob=True)
                for view in context["fields"]
                if view.spec.name not in editing
            )
            html += version_sync(page_version, draft.version)
            html += render_to_string("connectors/_announcement.html", context, request)
        return html

    return follow_draft(request, lambda: load_draft(request, draft_id), answer)


# --- lists: the drafts list and the certification queue ----------------------------------------


def list_mark(rows: Sequence[ConnectorStaged], total: int | None = None) -> str:
    """A digest of what a list's table shows of its drafts: it moves when the table would."""
    seen = [(str(d.id), d.version, d.status, d.is_previewable) for d in rows]
    return hashlib.sha256(repr((total, seen)).encode()).hexdigest()[:16]


def follow_list(
    request: HtmxHttpRequest,
    build: Callable[[], dict[str, Any]],
    template: str,
    *,
    table: str,
) -> HttpResponse:
    """A list page whose table follows every change of its drafts.

    ``build()`` gives the page's context (``drafts`` and, if paged, ``total``). The table
    holds a poller (``#<table>-poller``) that asks again with the table's ``mark`` and
    ``wait``: the answer waits for a change of any draft (``connectors:drafts``), then
    brings the new table, or, after ``wait`` seconds with nothing new, only a new poller.
    """
    context = build()
    mark = list_mark(context["drafts"], context.get("total"))
    known = request.GET.get("mark")
    wait = min(as_version(request.GET.get("wait")) or 0, LONG_POLL_SECONDS)
    if known is not None and wait and request.htmx and mark == known:

        def changed() -> bool:
            nonlocal context, mark
            context = build()
            mark = list_mark(context["drafts"], context.get("total"))
            return mark != known

        wait_on(events.ALL_DRAFTS_CHANNEL, changed, wait, recheck=IDLE_RECHECK_SECONDS)
    params = request.GET.copy()
    for name in ("mark", "wait"):
        params.pop(name, None)
    context.update(
        live_mark=mark,
        live_url=f"{request.path}?{params.urlencode()}" if params else request.path,
        long_poll_seconds=LONG_POLL_SECONDS,
    )
    if known is not None and request.htmx and mark == known:
        response = render(request, f"{template}#poller", {**context, "oob": True})
        response["HX-Reswap"] = "none"
        return response
    return render_list(request, template, context, table=table)
