"""Server-sent events for a draft's page: "the report or the state changed".

The stream wakes on the pipeline's Redis events (``connectors.events``) or, without
Redis, checks the database a few times a second. Each event carries the draft's version
and entry count; the page then fetches the changed fragments. The stream ends with a
``done`` event once no run is going, so idle pages hold no connection.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.db.models import Max
from django.http import Http404, HttpRequest, StreamingHttpResponse

from .events import draft_channel, redis_url
from .models import ConnectorStaged, ReportEntry
from .state import Previewable, Status

POLL_SECONDS = 0.1
MAX_STREAM_SECONDS = 15 * 60


def _snapshot(draft_id: uuid.UUID) -> tuple[int, int, bool] | None:
    row = (
        ConnectorStaged.objects.filter(id=draft_id)
        .values_list("version", "is_previewable", "status")
        .first()
    )  # noqa: E501
    if row is None:
        return None
    version, previewable, status = row
    last_entry = (
        ReportEntry.objects.filter(draft_id=draft_id).aggregate(last=Max("id"))["last"] or 0
    )
    running = previewable == Previewable.PENDING or status == Status.PROCESSING
    return version, last_entry, running


def _format(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def _wake_ups(draft_id: str) -> AsyncIterator[None]:
    """Yields whenever something may have changed: a Redis event, or the poll interval."""
    url = redis_url()
    if not url:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            yield None
    import redis.asyncio as aioredis  # noqa: PLC0415

    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(draft_channel(draft_id))
        while True:
            # A timeout too, so a missed event only delays the page by a second.
            await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            yield None
    finally:
        await pubsub.aclose()
        await client.aclose()


async def draft_events(draft_id: str) -> AsyncIterator[bytes]:
    snapshot = await sync_to_async(_snapshot)(uuid.UUID(draft_id))
    if snapshot is None:
        return
    yield _format("hello", {"version": snapshot[0], "lastEntry": snapshot[1]})
    started = time.monotonic()
    async for _ in _wake_ups(draft_id):
        current = await sync_to_async(_snapshot)(uuid.UUID(draft_id))
        if current is None:
            yield _format("done", {})
            return
        if current[:2] != snapshot[:2]:
            yield _format("report", {"version": current[0], "lastEntry": current[1]})
        if not current[2] or time.monotonic() - started > MAX_STREAM_SECONDS:
            yield _format("done", {"version": current[0]})
            return
        snapshot = current


def event_stream_response(request: HttpRequest, draft: ConnectorStaged) -> StreamingHttpResponse:
    """The caller has already checked that ``request`` may see ``draft``."""
    if draft is None:
        raise Http404
    response = StreamingHttpResponse(draft_events(str(draft.id)), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
