"""Reads of the certification pages: the queue and the draft under review.

Certifiers see every draft sent to certification, whatever its project, and nothing else:
a draft outside the queue is ``ResourceNotFound`` to them, like any draft they may not see.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from connectors.errors import ResourceNotFound
from connectors.models import ConnectorStaged
from connectors.roles import CERTIFIERS_GROUP, is_certifier
from connectors.selectors import with_details
from connectors.state import Status

__all__ = ["CERTIFIERS_GROUP", "QUEUE_STATUSES", "get_draft_for_review", "is_certifier", "queue"]

QUEUE_STATUSES = (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)


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
