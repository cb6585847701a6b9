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
import time
import uuid
from functools import cache
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

ALL_DRAFTS_CHANNEL = "connectors:drafts"


def draft_channel(draft_id: uuid.UUID | str) -> str:
    return f"connectors:draft:{draft_id}"


# After a failed publish, events are dropped for this long instead of each write waiting
# on Redis again (a page that misses events still reads the database every second).
RETRY_AFTER_SECONDS = 5.0
_silent_until = 0.0


@cache
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def redis_url() -> str:
    return settings.CONNECTORS_EVENTS_REDIS_URL


def publish_event(draft_id: uuid.UUID | str, payload: dict[str, Any]) -> None:
    """Best effort, never raises: a page that misses an event catches up on its next read.

    Runs after the write has committed, so a failure here must not turn into an error
    for the caller; after one, events are dropped for RETRY_AFTER_SECONDS.
    """
    global _silent_until
    url = redis_url()
    if not url or time.monotonic() < _silent_until:
        return
    try:
        message = json.dumps({"draft": str(draft_id), **payload})
        pipe = _redis(url).pipeline(transaction=False)
        pipe.publish(draft_channel(draft_id), message)
        pipe.publish(ALL_DRAFTS_CHANNEL, message)
        pipe.execute()
    except Exception as error:
        _silent_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning(
            "Could not publish a draft event (%s); dropping events for %.0f s",
            error,
            RETRY_AFTER_SECONDS,
        )
