"""The draft's two state machines: publishing ``status`` and ``isPreviewable``.

Every change of either goes through ``ensure_transition``/``ensure_preview_transition``
so that an impossible move is a programming error caught at once, not a corrupt row.
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    DRAFT = "Draft"
    PROCESSING = "Processing"
    READY_FOR_CERTIFICATION = "ReadyForCertification"
    IN_CERTIFICATION = "InCertification"
    PUBLISHED = "Published"
    FAILED = "Failed"


class Previewable(models.TextChoices):
    NONE = "none"
    PENDING = "pending"
    TRUE = "true"
    FALSE = "false"


class EntryType(models.TextChoices):
    INFORMATION = "Information"
    WARNING = "Warning"
    ERROR = "Error"


class Report(models.TextChoices):
    PREVIEW = "preview"
    PUBLISHING = "publishing"


# Where a publish can be requested from, and where each state may go.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.PROCESSING}),
    Status.PUBLISHED: frozenset({Status.PROCESSING}),
    Status.FAILED: frozenset({Status.PROCESSING}),
    Status.READY_FOR_CERTIFICATION: frozenset({Status.PROCESSING, Status.IN_CERTIFICATION}),
    Status.PROCESSING: frozenset({Status.PUBLISHED, Status.FAILED, Status.READY_FOR_CERTIFICATION}),
    Status.IN_CERTIFICATION: frozenset(
        {Status.PUBLISHED, Status.FAILED, Status.READY_FOR_CERTIFICATION}
    ),
}

PREVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    Previewable.NONE: frozenset({Previewable.PENDING}),
    Previewable.TRUE: frozenset({Previewable.PENDING, Previewable.NONE}),
    Previewable.FALSE: frozenset({Previewable.PENDING, Previewable.NONE}),
    Previewable.PENDING: frozenset({Previewable.TRUE, Previewable.FALSE, Previewable.NONE}),
}

# The certification queue: drafts waiting for a certifier or being reviewed by one.
IN_CERTIFICATION_QUEUE = (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)

# A pipeline run is over once its state is one of these.
FINAL_STATUSES = frozenset(
    {Status.PUBLISHED, Status.FAILED, Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION}
)
FINAL_PREVIEW_STATES = frozenset({Previewable.TRUE, Previewable.FALSE})


class InvalidTransition(Exception):
    """A move the state machine does not allow: a bug, not bad input."""


def ensure_transition(old: str, new: str) -> None:
    if new not in STATUS_TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"status cannot move from {old} to {new}")


def ensure_preview_transition(old: str, new: str) -> None:
    if new not in PREVIEW_TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"isPreviewable cannot move from {old} to {new}")
