"""Failed client authentications, counted in the cache per client id and per address.

Each try at a client secret costs a deliberately slow password hash, so guessing is both an
attack on the secret and on the server. Past CONNECTORS_AUTH_FAILURES_PER_CLIENT failures for
one client id, or CONNECTORS_AUTH_FAILURES_PER_ADDRESS from one address, within a window of
CONNECTORS_AUTH_FAILURE_WINDOW_SECONDS, the caller gets 429 with ``Retry-After`` (before any
hash runs) until the window ends. Successes are not counted: a client asks for a token once
in its lifetime (two days), so only guessing reaches the limits.

The counters live in the shared cache (Redis in production), so every process sees them. If
the cache cannot be reached, nobody is throttled: the token endpoint keeps working.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from ..errors import TooManyRequests

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int


def _window() -> tuple[int, int]:
    """The current window's number and the seconds until it ends."""
    length = settings.CONNECTORS_AUTH_FAILURE_WINDOW_SECONDS
    now = time.time()
    return int(now // length), max(1, int(length - now % length))


def _counters(request: HttpRequest, client_id: str | None) -> list[_Counter]:
    window, _ = _window()
    address = request.META.get("REMOTE_ADDR") or "unknown"
    counters = [
        _Counter(
            f"connectors:auth-failures:address:{window}:{address}",
            settings.CONNECTORS_AUTH_FAILURES_PER_ADDRESS,
        )
    ]
    if client_id:
        # Hashed: a client id is caller input of any length and character.
        digest = hashlib.sha256(client_id.encode("utf-8", "replace")).hexdigest()
        counters.append(
            _Counter(
                f"connectors:auth-failures:client:{window}:{digest}",
                settings.CONNECTORS_AUTH_FAILURES_PER_CLIENT,
            )
        )
    return counters


def ensure_not_throttled(request: HttpRequest, client_id: str | None) -> None:
    """Raises TooManyRequests when the address or the client id used up its failures."""
    counters = _counters(request, client_id)
    try:
        counts = cache.get_many([counter.key for counter in counters])
    except Exception:  # any cache failure: throttling is best-effort
        logger.warning("The cache is unreachable: client authentications are not throttled")
        return
    for counter in counters:
        if counts.get(counter.key, 0) >= counter.limit:
            _, retry_after = _window()
            raise TooManyRequests(
                f"Too many failed client authentications: try again in {retry_after} seconds.",
                retry_after=retry_after,
            )


def record_failure(request: HttpRequest, client_id: str | None) -> None:
    _, remaining = _window()
    for counter in _counters(request, client_id):
        try:
            # add() starts the count only once; incr() is atomic in Redis.
            cache.add(counter.key, 0, timeout=remaining + 1)
            cache.incr(counter.key)
        except ValueError:
            pass  # the window's key expired between add and incr: the next window starts clean
        except Exception:  # any cache failure: throttling is best-effort
            logger.warning("The cache is unreachable: a failed authentication was not counted")
            return
