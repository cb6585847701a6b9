"""Drafts put in the certification queue, and the certifier acting on them."""

from __future__ import annotations

from datetime import datetime, timedelta

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
