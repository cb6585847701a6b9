"""Events for live pages: "something about draft X changed".

When a report entry or a state is written, the writer publishes a small JSON event on
the Redis channel ``connectors:draft:<id>`` (and ``connectors:drafts`` for lists).
Subscribers (the dashboard's event stream) re-read what they show. Without Redis,
publishing is a no-op and pages fall back to polling the database.

Event payload: ``{"draft": "<uuid>", "kind": "entry"|"state"|"updated", ...}``.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import cache
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

ALL_DRAFTS_CHANNEL = "connectors:drafts"


def draft_channel(draft_id: uuid.UUID | str) -> str:
    return f"connectors:draft:{draft_id}"


@cache
def _redis(url: str) -> Any:
    import redis  # noqa: PLC0415

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis_url() -> str:
    return settings.CONNECTORS_EVENTS_REDIS_URL


def publish_event(draft_id: uuid.UUID | str, payload: dict[str, Any]) -> None:
    """Best effort: a page that misses an event still catches up on its next read."""
    url = redis_url()
    if not url:
        return
    message = json.dumps({"draft": str(draft_id), **payload})
    try:
        client = _redis(url)
        client.publish(draft_channel(draft_id), message)
        client.publish(ALL_DRAFTS_CHANNEL, message)
    except Exception:  # noqa: BLE001 - events must never break a write
        logger.warning("Could not publish a draft event", exc_info=True)
