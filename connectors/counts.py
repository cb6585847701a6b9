"""Totals of large draft queries, cached until the project's drafts change.

A query page answers ``total`` too. For a project with tens of thousands of drafts that
count costs more than the page itself, so totals of 1,000 and more are kept in the shared
cache under the project's *generation*. Every write to a draft goes through
``drafts.record`` (creations, update actions, runs, claims, decisions, support actions,
conditional UPDATEs included), which renews the generation after commit; so does every
delete (the ``post_delete`` signal, which Django sends for queryset deletes too). Nothing
writes a draft past both, so a cached total cannot outlive a change. Smaller totals are
counted every time. Without a shared cache (Redis) nothing is cached, since processes
could not tell each other about changes. While Redis cannot be
reached the cache answers as an empty one (``config.cache``), so totals are counted then;
a generation renewed during the outage is lost, so a total cached before it may be served
until it expires (TIMEOUT_SECONDS) if Redis kept its data.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Hashable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

CACHED_FROM = 1_000
TIMEOUT_SECONDS = 600


def enabled() -> bool:
    return "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()


def _generation_key(project_id: int) -> str:
    return f"connectors:drafts-generation:{project_id}"


def renew_generation(project_id: int) -> None:
    if enabled():
        transaction.on_commit(
            lambda: cache.set(_generation_key(project_id), uuid.uuid4().hex, TIMEOUT_SECONDS)
        )


def count(queryset: QuerySet[Any], *, project_id: int | None, filters: Hashable) -> int:
    """``queryset.count()``; ``filters`` must say everything that narrows the queryset."""
    if project_id is None or not enabled():
        return queryset.count()
    generation = cache.get(_generation_key(project_id))
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(_generation_key(project_id), generation, TIMEOUT_SECONDS)
    digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:32]
    key = f"connectors:drafts-count:{project_id}:{generation}:{digest}"
    total = cache.get(key)
    if total is None:
        total = queryset.count()
        if total >= CACHED_FROM:
            cache.set(key, total, TIMEOUT_SECONDS)
    return total


def on_draft_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    renew_generation(instance.project_id)
