"""Cached query totals follow every write, the conditional UPDATEs included."""

from __future__ import annotations

import pytest
from django.conf import settings

from certification import services as certification
from connectors import counts
from connectors.drafts import Actor
from connectors.selectors import Page, query_drafts
from connectors.state import Status
from tests.conftest import move_to

pytestmark = pytest.mark.django_db(transaction=True)  # totals renew after commit


@pytest.fixture(autouse=True)
def shared_cache(settings, monkeypatch):
    """Redis as the cache, as in production, and every total cached (not only large ones)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.OutageTolerantRedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
        }
    }
    monkeypatch.setattr(counts, "CACHED_FROM", 0)
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def total(project, status: str) -> int:
    found, _rows = query_drafts(
        projects=project, page=Page(limit=20, offset=0, sort=[]), status=[status]
    )
    return found


def test_a_claim_by_conditional_update_renews_the_cached_totals(draft, project, certifier):
    assert counts.enabled(), settings.CACHES
    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    counts.renew_generation(project.pk)  # the test's own shortcut above wrote past the domain
    assert total(project, Status.READY_FOR_CERTIFICATION) == 1
    assert total(project, Status.IN_CERTIFICATION) == 0  # both now cached

    actor = Actor(label=certifier.username, user=certifier, is_certifier=True)
    certification.claim(draft_id=draft.id, actor=actor)
    assert total(project, Status.IN_CERTIFICATION) == 1
    assert total(project, Status.READY_FOR_CERTIFICATION) == 0


def test_a_deleted_draft_leaves_the_cached_totals(draft, project):
    assert total(project, Status.DRAFT) == 1
    draft.delete()
    assert total(project, Status.DRAFT) == 0
