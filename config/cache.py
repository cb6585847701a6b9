"""A Redis cache that behaves as an empty one while Redis cannot be reached.

Everything kept in the cache (query-page totals, connect.yaml per commit, throttling
counters) can be recomputed from the database or simply started again, so an outage must
not fail a request: reads miss, writes are dropped, and the first failure makes the
process leave Redis alone for a few seconds, so that requests meanwhile do not each wait
for a connection attempt. Errors other than connection errors (a wrong command, a full
memory) still raise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# How long a process leaves Redis alone after a failed call.
RETRY_AFTER_SECONDS = 5.0


class OutageGuard:
    """Runs calls to one Redis server; after a connection failure, answers without it."""

    def __init__(self, name: str, retry_after: float = RETRY_AFTER_SECONDS) -> None:
        self.name = name
        self.retry_after = retry_after
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return time.monotonic() < self._down_until

    def call(self, action: Callable[[], T], fallback: Callable[[], T]) -> T:
        if self.down:
            return fallback()
        try:
            return action()
        except UNREACHABLE as error:
            with self._lock:
                first = not self.down
                self._down_until = time.monotonic() + self.retry_after
            if first:
                logger.warning(
                    "%s is unreachable (%s); going on without it for %.0f s",
                    self.name,
                    error,
                    self.retry_after,
                )
            return fallback()


def _missing(key: Any) -> Any:
    raise ValueError(f"Key '{key}' not found.")


class OutageTolerantRedisCacheClient(RedisCacheClient):
    """Django's Redis client, each call answered as an empty cache would while Redis is down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = OutageGuard("The Redis cache")

    def add(self, key, value, timeout):
        return self.guard.call(lambda: RedisCacheClient.add(self, key, value, timeout), _false)

    def get(self, key, default):
        return self.guard.call(lambda: RedisCacheClient.get(self, key, default), lambda: default)

    def set(self, key, value, timeout):
        return self.guard.call(lambda: RedisCacheClient.set(self, key, value, timeout), _none)

    def touch(self, key, timeout):
        return self.guard.call(lambda: RedisCacheClient.touch(self, key, timeout), _false)

    def delete(self, key):
        return self.guard.call(lambda: RedisCacheClient.delete(self, key), _false)

    def get_many(self, keys):
        return self.guard.call(lambda: RedisCacheClient.get_many(self, keys), dict)

    def has_key(self, key):
        return self.guard.call(lambda: RedisCacheClient.has_key(self, key), _false)

    def incr(self, key, delta):
        return self.guard.call(
            lambda: RedisCacheClient.incr(self, key, delta), lambda: _missing(key)
        )

    def set_many(self, data, timeout):
        return self.guard.call(
            lambda: RedisCacheClient.set_many(self, data, timeout), lambda: list(data)
        )

    def delete_many(self, keys):
        return self.guard.call(lambda: RedisCacheClient.delete_many(self, keys), _none)

    def clear(self):
        return self.guard.call(lambda: RedisCacheClient.clear(self), _false)


def _false() -> bool:
    return False


def _none() -> None:
    return None


class OutageTolerantRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = OutageTolerantRedisCacheClient
