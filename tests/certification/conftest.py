"""Drafts put in the certification queue, the certifier acting on them, and the rejection
reasons the migration seeds."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from certification import services
from connectors.drafts import Actor
from connectors.state import Status
from tests.conftest import move_to


def as_certifier(user) -> Actor:
    return Actor(label=user.username, user=user, is_certifier=True)


def ready(draft, *, waited: timedelta = timedelta(0), since: datetime | None = None):
    """The draft sent to certification ``waited`` ago (or at ``since``)."""
    return move_to(
        draft,
        status=Status.READY_FOR_CERTIFICATION,
        status_changed_at=since or timezone.now() - waited,
    )


def claimed_by(draft, user, **when):
    ready(draft, **when)
    services.claim(draft_id=draft.id, actor=as_certifier(user))
    draft.refresh_from_db()
    return draft


def approved_by(draft, user, **given):
    """Claimed by ``user``, then approved (``given``: the note)."""
    claimed_by(draft, user)
    return services.approve(
        draft_id=draft.id, version=draft.version, actor=as_certifier(user), **given
    )


def rejected_by(draft, user, **given):
    """Claimed by ``user``, then rejected (``given``: the reasons and text)."""
    claimed_by(draft, user)
    return services.reject(
        draft_id=draft.id, version=draft.version, actor=as_certifier(user), **given
    )


REASONS_MIGRATION = importlib.import_module("certification.migrations.0003_rejection_reasons")


def seed_rejection_reasons() -> None:
    """The reasons the migration seeds. A test on a transactional database (the browser's
    live server, threads) empties every table afterwards, seeded rows included."""
    REASONS_MIGRATION.add_reasons(apps, None)


@pytest.fixture
def rejection_reasons(db) -> None:
    seed_rejection_reasons()
