"""The words people use for a draft's state, where the API's names would need explaining.

The API keeps its names (``ReadyForCertification``, ``Failed``); pages show these. A draft
the certifier sent back is ``Failed`` in the API, with the reasons as a certification
comment (as the hosted service does); people call that "Changes requested", which is
not the same thing as a publish run that failed.
"""

from __future__ import annotations

from .models import ConnectorStaged, DraftEvent
from .state import Status

STATUS_LABELS: dict[str, str] = {
    Status.DRAFT: "Draft",
    Status.PROCESSING: "Publishing",
    Status.READY_FOR_CERTIFICATION: "Waiting for certification",
    Status.IN_CERTIFICATION: "In certification",
    Status.PUBLISHED: "Published",
    Status.FAILED: "Publishing failed",
}
CHANGES_REQUESTED = "Changes requested"


def last_rejection(draft: ConnectorStaged) -> DraftEvent | None:
    """The certifier's rejection that put the draft in ``Failed``, if that is what did."""
    if draft.status != Status.FAILED:
        return None
    if hasattr(draft, "_last_rejection"):
        return draft._last_rejection
    last = (
        draft.events.filter(kind__in=(DraftEvent.Kind.STATE, DraftEvent.Kind.DECISION))
        .order_by("-id")
        .first()
    )
    found = last if last and last.details.get("decision") == "rejected" else None
    draft._last_rejection = found  # type: ignore[attr-defined]
    return found


def status_label(draft: ConnectorStaged) -> str:
    if last_rejection(draft) is not None:
        return CHANGES_REQUESTED
    return STATUS_LABELS.get(draft.status, draft.status)


def status_tone(draft: ConnectorStaged) -> str:
    """The badge colour: a rejection asks for work (waiting), a failed run is bad."""
    if last_rejection(draft) is not None:
        return "attention"
    tones: dict[str, str] = {
        Status.DRAFT: "neutral",
        Status.PROCESSING: "busy",
        Status.READY_FOR_CERTIFICATION: "waiting",
        Status.IN_CERTIFICATION: "waiting",
        Status.PUBLISHED: "good",
        Status.FAILED: "bad",
    }
    return tones.get(draft.status, "neutral")
