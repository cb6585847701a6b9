"""Reads of the certification pages: the queue, the draft under review, recent decisions.

Certifiers see every draft sent to certification, whatever its project, and nothing else:
a draft outside the queue is ``ResourceNotFound`` to them, like any draft they may not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from connectors.errors import ResourceNotFound
from connectors.models import ConnectorStaged, DraftEvent
from connectors.roles import CERTIFIERS_GROUP, is_certifier
from connectors.selectors import filter_integration_types, with_details
from connectors.state import IN_CERTIFICATION_QUEUE

from .deadlines import claim_expires_at, due_at
from .models import RejectionReason

__all__ = [
    "CERTIFIERS_GROUP",
    "QUEUE_STATUSES",
    "Decision",
    "QueueItem",
    "get_draft_for_review",
    "is_certifier",
    "offered_reasons",
    "queue",
    "queue_item",
    "queue_items",
    "recent_decisions",
]

QUEUE_STATUSES = IN_CERTIFICATION_QUEUE


def queue() -> QuerySet[ConnectorStaged]:
    """Drafts waiting for or in certification, the longest waiting first.

    ``status_changed_at`` is when the draft entered the queue: claiming and releasing
    keep it, so a released draft keeps its place.
    """
    return (
        ConnectorStaged.objects.filter(status__in=QUEUE_STATUSES)
        .select_related("project", "claimed_by", "connector")
        .order_by("status_changed_at", "id")
    )


@dataclass(frozen=True)
class QueueItem:
    """A draft of the queue with its deadlines, as of ``now``."""

    draft: ConnectorStaged
    now: datetime
    due_at: datetime
    claim_expires_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.now > self.due_at


def queue_item(draft: ConnectorStaged, *, now: datetime | None = None) -> QueueItem:
    """The draft with its due date and its claim's expiry, as of ``now``."""
    return QueueItem(
        draft=draft,
        now=now or timezone.now(),
        due_at=due_at(draft.status_changed_at),
        claim_expires_at=claim_expires_at(draft.claimed_at) if draft.claimed_at else None,
    )


def queue_items(
    *,
    user: Any = None,
    region: str = "",
    integration_type: str = "",
    claimed_by_me: bool = False,
    now: datetime | None = None,
) -> list[QueueItem]:
    """The queue with due dates, overdue first, then by due date; filtered when asked.

    ``region``: the connector supports that region; ``integration_type``: it has that type;
    ``claimed_by_me``: ``user`` holds the claim. Values are not validated here (the page's
    form does it): an unknown region or type matches nothing.
    """
    now = now or timezone.now()
    drafts = queue()
    if integration_type:
        try:
            drafts = filter_integration_types(drafts, [integration_type])
        except ValueError:
            return []
    if claimed_by_me:
        drafts = drafts.filter(claimed_by=user)
    items = [
        queue_item(draft, now=now)
        for draft in drafts
        # Regions are a JSON list: compared here, the same way on every database.
        if not region or region in draft.supported_regions
    ]
    items.sort(key=lambda item: (not item.overdue, item.due_at, str(item.draft.id)))
    return items


@dataclass(frozen=True)
class Decision:
    """One approval or rejection, for the "recently decided" list."""

    draft_name: str
    draft_key: str | None
    actor: str
    at: datetime
    outcome: str  # "approved" or "rejected"
    reasons: list[str]  # the titles of a rejection's reasons


def recent_decisions(*, limit: int = 10) -> list[Decision]:
    """The last ``limit`` certification decisions, newest first, from the drafts' history."""
    events = (
        DraftEvent.objects.filter(kind=DraftEvent.Kind.DECISION)
        .select_related("draft")
        .order_by("-id")[:limit]
    )
    return [
        Decision(
            draft_name=event.draft.name,
            draft_key=event.draft.key,
            actor=event.actor,
            at=event.created_at,
            outcome=str(event.details.get("decision", "")),
            reasons=[r.get("title", "") for r in event.details.get("reasons", [])],
        )
        for event in events
    ]


def offered_reasons() -> list[RejectionReason]:
    """The rejection reasons certifiers choose from, in their order."""
    return list(RejectionReason.objects.filter(active=True))


def get_draft_for_review(*, id: Any, details: bool = True) -> ConnectorStaged:
    """A draft of the queue, with its reports and comments. Raises ResourceNotFound."""
    try:
        parsed = uuid.UUID(str(id))
    except ValueError:
        raise ResourceNotFound(f"The ConnectorStaged with ID '{id}' was not found.") from None
    drafts = queue()
    if details:
        drafts = with_details(drafts)
    draft = drafts.filter(id=parsed).first()
    if draft is None:
        raise ResourceNotFound(f"The ConnectorStaged with ID '{id}' was not found.")
    return draft
