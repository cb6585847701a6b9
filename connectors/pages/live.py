"""Live draft pages: a long poll that answers as soon as a pipeline run writes something.

The draft page holds a hidden poller while a preview or publish runs. Its request waits on
the draft's Redis channel (``connectors.events``), re-reads the database every second,
and answers with the new report entries and, when the version moved, the state regions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from .. import events
from ..models import ConnectorStaged, DraftEvent, ReportEntry
from ..state import Report
from .base import (
    LONG_POLL_SECONDS,
    HtmxHttpRequest,
    as_version,
    draft_url,
    fragment_response,
    load_draft,
    posted_version,
)
from .controls import is_running
from .regions import out_of_band, page_context, read_mark, render_region

logger = logging.getLogger(__name__)


def _report_update(
    entries: list[ReportEntry], mark: tuple[int, int] | None
) -> tuple[str, list[ReportEntry]]:
    """``append`` the entries the page lacks, ``replace`` all (a new run), or ``none``."""
    if mark is None:
        return "replace", entries
    count, last = mark
    kept = [e for e in entries if e.id <= last]
    if len(kept) != count:
        return "replace", entries
    new = [e for e in entries if e.id > last]
    if not new:
        return "none", []
    return ("append", new) if count else ("replace", entries)


def only_state_changes(draft: ConnectorStaged, since: int) -> bool:
    """True when nothing but state moves (pipeline ends, claims) followed ``since``.

    Those change no editable field, so the page's forms can move to the new version.
    """
    return not draft.events.filter(version__gt=since).exclude(kind=DraftEvent.Kind.STATE).exists()


@dataclass(frozen=True)
class LiveState:
    """What a draft page holds of the draft's live parts, as its poll reports it."""

    seen: int | None  # the draft version the page last rendered
    preview: tuple[int, int] | None  # (entry count, last entry id) of each report
    publishing: tuple[int, int] | None

    @classmethod
    def from_query(cls, params: QueryDict) -> LiveState:
        return cls(
            seen=as_version(params.get("seen")),
            preview=read_mark(params.get("preview")),
            publishing=read_mark(params.get("publishing")),
        )


def live_snapshot(draft_id: Any) -> LiveState | None:
    """The same figures, read from the database in one query (None: the draft is gone)."""

    def mark(report: str) -> tuple[Count, Max]:
        entries = Q(report_entries__report=report)
        return Count("report_entries", filter=entries), Max("report_entries__id", filter=entries)

    preview_count, preview_last = mark(Report.PREVIEW)
    publishing_count, publishing_last = mark(Report.PUBLISHING)
    row = (
        ConnectorStaged.objects.filter(id=draft_id)
        .annotate(
            preview_count=preview_count,
            preview_last=preview_last,
            publishing_count=publishing_count,
            publishing_last=publishing_last,
        )
        .values_list(
            "version", "preview_count", "preview_last", "publishing_count", "publishing_last"
        )
        .first()
    )
    if row is None:
        return None
    version, p_count, p_last, b_count, b_last = row
    return LiveState(version, (p_count, p_last or 0), (b_count, b_last or 0))


@cache
def _events_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def wait_for_change(draft_id: Any, known: LiveState, timeout: float) -> None:
    """Return once the draft differs from what the page holds, or after ``timeout`` seconds.

    Wakes on the draft's Redis channel (``connectors.events``) when one is configured, so
    a committed entry reaches the page within milliseconds; the database is read again
    every second anyway (events are best effort), every quarter second without Redis.
    """
    deadline = time.monotonic() + timeout
    pubsub = None
    url = events.redis_url()
    if url:
        try:
            pubsub = _events_client(url).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(events.draft_channel(draft_id))
        except Exception:
            logger.warning("Could not listen for draft events", exc_info=True)
            pubsub = None
    try:
        while live_snapshot(draft_id) == known:
            # Give the database connection back while waiting: a long poll must not hold
            # one of the pool's few connections for its whole wait.
            if not connection.in_atomic_block:
                connection.close()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if pubsub is None:
                time.sleep(min(0.25, remaining))
                continue
            try:
                pubsub.get_message(timeout=min(1.0, remaining))
            except Exception:
                logger.warning("Lost the draft event channel", exc_info=True)
                pubsub = None
    finally:
        if pubsub is not None:
            pubsub.close()


@login_required
@require_GET
def draft_live(request: HtmxHttpRequest, draft_id: Any) -> HttpResponse:
    """Follows a pipeline run for the draft page: new entries and state changes.

    The page's poller sends what it holds (its version, the version it last saw, a mark
    per report). The answer appends the new entries to the report lists (inside an
    ``aria-live`` container) and, when the version moved, refreshes the state regions.
    With ``wait=N`` it is a long poll: it answers as soon as something changes, or after
    N seconds with the poller unchanged; the poller then asks again. Without it, an
    answer with nothing new is a 204.
    """
    draft = load_draft(request, draft_id)
    if not request.htmx:
        return redirect(draft_url(draft, "draft-reports"))
    known = LiveState.from_query(request.GET)
    wait = min(as_version(request.GET.get("wait")) or 0, LONG_POLL_SECONDS)
    if wait and is_running(draft) and live_snapshot(draft.id) == known:
        wait_for_change(draft.id, known, wait)
        draft = load_draft(request, draft_id)
    page_version = posted_version(request.GET) or draft.version
    moved = known.seen != draft.version
    if moved and page_version != draft.version and only_state_changes(draft, page_version):
        new_version = draft.version
    else:
        new_version = page_version
    context = page_context(draft, page_version=new_version)
    updates = {
        "preview": _report_update(context["preview_entries"], known.preview),
        "publishing": _report_update(context["publishing_entries"], known.publishing),
    }
    changed = moved or any(mode != "none" for mode, _entries in updates.values())
    if not changed and context["running"] and not wait:
        return HttpResponse(status=204)
    html = render_region(request, "poller", context)
    for report, (mode, entries) in updates.items():
        if mode != "none":
            html += render_to_string(
                "connectors/_report_update.html",
                {"report": report, "mode": mode, "entries": entries},
                request,
            )
    if moved:
        html += out_of_band(request, context, skip=("poller",), old_version=page_version)
        html += render_to_string("connectors/_announcement.html", context, request)
    return fragment_response(html)
