"""What a draft event is, as notifications name it: its type and the values it carries.

A ``DraftEvent`` says what happened in its kind, summary and details (see
``connectors.drafts``). ``describe`` turns it into one of the event types below, the type
of its webhook and the choice of emails. The summaries matched here are the ones the
pipelines and the certification decisions write; the tests run those writers for real, so
a summary that changes without this table changing fails them.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from connectors.models import ConnectorStaged, DraftEvent
from connectors.representations import timestamp
from connectors.state import Previewable, Status

PREFIX = "connector_staged."

# Every event type, with what it means (the README lists the same).
EVENT_TYPES: dict[str, str] = {
    "created": "a draft was created",
    "updated": "fields were changed by update actions",
    "comment_added": "a certification comment was added",
    "preview_requested": "a preview run was requested",
    "publish_requested": "a publish was requested (status Processing)",
    "preview_succeeded": "a preview run ended: isPreviewable true",
    "preview_failed": "a preview run ended: isPreviewable false",
    "publish_succeeded": "a publish run ended: Published",
    "publish_failed": "a publish run ended: Failed",
    "submitted_for_certification": "a publish for certification ended: ReadyForCertification",
    "certification_claimed": "a certifier claimed the draft (InCertification)",
    "certification_released": "the draft went back to the certification queue",
    "certification_approved": "a certifier approved the draft (Published, certified)",
    "certification_rejected": "a certifier rejected the draft (Failed), with reasons",
    "run_cancelled": "someone cancelled a preview or publish run",
    "status_changed": "any other change of status or run state (a run restarted by support)",
}

# The state a transition leaves the draft in: the event's ``status`` / ``isPreviewable``
# are these, whatever the draft became after it.
_STATUS_AFTER = {
    "publish_requested": Status.PROCESSING,
    "publish_succeeded": Status.PUBLISHED,
    "publish_failed": Status.FAILED,
    "submitted_for_certification": Status.READY_FOR_CERTIFICATION,
    "certification_claimed": Status.IN_CERTIFICATION,
    "certification_released": Status.READY_FOR_CERTIFICATION,
    "certification_approved": Status.PUBLISHED,
    "certification_rejected": Status.FAILED,
}
_PREVIEW_AFTER = {
    "preview_requested": Previewable.PENDING,
    "preview_succeeded": Previewable.TRUE,
    "preview_failed": Previewable.FALSE,
}
# Finished runs: the state events the pipeline writes, by summary.
_RUN_ENDS = {
    "preview succeeded": "preview_succeeded",
    "preview failed": "preview_failed",
    f"publishing ended: {Status.PUBLISHED}": "publish_succeeded",
    f"publishing ended: {Status.FAILED}": "publish_failed",
    f"publishing ended: {Status.READY_FOR_CERTIFICATION}": "submitted_for_certification",
}
RUN_ENDS = frozenset(_RUN_ENDS.values())
COMMENT = "addCertificationComment"


@dataclass(frozen=True)
class Described:
    """A draft event as notifications see it."""

    name: str  # one of EVENT_TYPES
    actions: list[str] = field(default_factory=list)
    comment: str = ""
    reason: str = ""
    certification: bool = False

    @property
    def type(self) -> str:
        return PREFIX + self.name


def _update(event: DraftEvent) -> Described:
    requested = [a for a in event.details.get("actions", []) if isinstance(a, dict)]
    names = [str(a.get("action", "")) for a in requested]
    comments = [str(a.get("comment", "")) for a in requested if a.get("action") == COMMENT]
    publishes = [a for a in requested if a.get("action") == "publish"]
    if publishes:
        name = "publish_requested"
    elif "updatePreviewable" in names:
        name = "preview_requested"
    elif comments:
        name = "comment_added"
    else:
        name = "updated"
    return Described(
        name=name,
        actions=names,
        comment="\n\n".join(comments),
        certification=bool(publishes and publishes[-1].get("certification")),
    )


def describe(event: DraftEvent) -> Described:
    if event.kind == DraftEvent.Kind.CREATED:
        return Described(name="created")
    if event.kind == DraftEvent.Kind.UPDATED:
        return _update(event)
    if event.kind == DraftEvent.Kind.DECISION:
        approved = event.details.get("decision") == "approved"
        return Described(
            name="certification_approved" if approved else "certification_rejected",
            reason=str(event.details.get("reason") or ""),
            comment=str(event.details.get("note") or ""),
        )
    summary = event.summary
    if summary in _RUN_ENDS:
        return Described(name=_RUN_ENDS[summary])
    if summary == "claimed for certification":
        return Described(name="certification_claimed")
    if summary.endswith("released to the queue"):
        return Described(name="certification_released")
    if summary.startswith(("preview cancelled by ", "publishing cancelled by ")):
        return Described(name="run_cancelled")
    return Described(name="status_changed")


def new_event_id() -> str:
    return "evt_" + secrets.token_urlsafe(18)


def webhook_body(
    *, event_id: str, event: DraftEvent, draft: ConnectorStaged, described: Described
) -> str:
    """The JSON body of the event's webhook, as every endpoint gets it.

    ``status`` and ``isPreviewable`` are what the event's transition set; for the others,
    the draft's when the event was sent out (a moment after it happened).
    """
    data: dict[str, Any] = {
        "id": str(draft.id),
        "key": draft.key,
        "name": draft.name,
        "projectKey": draft.project.key,
        "version": event.version,
        "status": _STATUS_AFTER.get(described.name, draft.status),
        "isPreviewable": _PREVIEW_AFTER.get(described.name, draft.is_previewable),
        "summary": event.summary,
        "actor": event.actor,
    }
    if described.actions:
        data["actions"] = described.actions
    if described.comment:
        data["comment"] = described.comment
    if described.reason:
        data["reason"] = described.reason
    if described.name == "publish_requested":
        data["certification"] = described.certification
    body = {
        "id": event_id,
        "type": described.type,
        "timestamp": timestamp(event.created_at),
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
