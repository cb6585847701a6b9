"""Certification decisions: claim, release, approve, reject.

Claiming and releasing are conditional UPDATEs (``… WHERE status = … AND claimed_by …``):
0 rows changed means another certifier was first, which is a conflict to show, not a
crash. Approving and rejecting lock the draft row (``SELECT … FOR UPDATE``), check that
the caller holds the claim and that the draft is still the version they reviewed, then
move it through ``connectors.state`` like every other status change. Each step commits
through ``connectors.drafts`` (version, history event, live event after commit).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors import schemas
from connectors.drafts import Actor, Change, commit, publish_to_production, record, set_status
from connectors.errors import ConcurrentModification, ConnectError, ResourceNotFound
from connectors.models import ConnectorStaged, DraftEvent
from connectors.parsing import parse
from connectors.state import Status, ensure_transition
from connectors.update_actions import HANDLERS

from .selectors import QUEUE_STATUSES


class CertificationConflict(ConnectError):
    """Another certifier holds the draft, or the caller does not hold it."""

    code = "InvalidOperation"
    status = 409


def _not_found(draft_id: Any) -> ResourceNotFound:
    return ResourceNotFound(f"The ConnectorStaged with ID '{draft_id}' was not found.")


def _queued(draft_id: Any) -> ConnectorStaged:
    draft = (
        ConnectorStaged.objects.filter(id=draft_id, status__in=QUEUE_STATUSES)
        .select_related("claimed_by")
        .first()
    )
    if draft is None:
        raise _not_found(draft_id)
    return draft


def claim(*, draft_id: Any, actor: Actor) -> ConnectorStaged:
    """Take a ReadyForCertification draft for review (→ InCertification).

    A conditional UPDATE: of two certifiers claiming at once, one gets 0 rows and a
    CertificationConflict naming who has it. Raises ResourceNotFound, CertificationConflict.
    """
    ensure_transition(Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)
    now = timezone.now()
    with transaction.atomic():
        taken = ConnectorStaged.objects.filter(
            id=draft_id, status=Status.READY_FOR_CERTIFICATION, claimed_by__isnull=True
        ).update(
            status=Status.IN_CERTIFICATION,
            claimed_by=actor.user,
            claimed_at=now,
            version=F("version") + 1,
            last_modified_at=now,
        )
        if not taken:
            current = _queued(draft_id)
            if current.claimed_by is None:
                raise CertificationConflict("The draft is not waiting for a certifier any more.")
            holder = current.claimed_by.get_username()
            raise CertificationConflict(f"{holder} has already claimed this draft.")
        draft = ConnectorStaged.objects.get(id=draft_id)
        record(
            draft,
            kind=DraftEvent.Kind.STATE,
            actor=actor.label,
            summary="claimed for certification",
        )
    return draft


def release(*, draft_id: Any, actor: Actor) -> ConnectorStaged:
    """Give a claimed draft back to the queue (→ ReadyForCertification), keeping its place.

    Only the certifier holding it may release it. Raises ResourceNotFound,
    CertificationConflict.
    """
    ensure_transition(Status.IN_CERTIFICATION, Status.READY_FOR_CERTIFICATION)
    now = timezone.now()
    with transaction.atomic():
        released = ConnectorStaged.objects.filter(
            id=draft_id, status=Status.IN_CERTIFICATION, claimed_by=actor.user
        ).update(
            status=Status.READY_FOR_CERTIFICATION,
            claimed_by=None,
            claimed_at=None,
            version=F("version") + 1,
            last_modified_at=now,
        )
        if not released:
            _queued(draft_id)
            raise CertificationConflict("Only the certifier who claimed this draft can release it.")
        draft = ConnectorStaged.objects.get(id=draft_id)
        record(
            draft, kind=DraftEvent.Kind.STATE, actor=actor.label, summary="released to the queue"
        )
    return draft


def parse_reason(reason: str) -> schemas.AddCertificationComment:
    """A rejection's reason, validated like an addCertificationComment. Raises ConnectErrors."""
    return parse(
        schemas.AddCertificationComment, {"action": "addCertificationComment", "comment": reason}
    )


def _locked_for_decision(*, draft_id: Any, version: int, actor: Actor) -> ConnectorStaged:
    draft = (
        ConnectorStaged.objects.select_for_update(no_key=True, of=("self",))
        .select_related("connector")
        .filter(id=draft_id, status__in=QUEUE_STATUSES)
        .first()
    )
    if draft is None:
        raise _not_found(draft_id)
    if draft.status != Status.IN_CERTIFICATION or draft.claimed_by_id != actor.user.pk:
        raise CertificationConflict("Claim the draft before deciding: only its certifier decides.")
    if draft.version != version:
        raise ConcurrentModification(expected=version, current=draft.version)
    return draft


def _save_decision(change: Change, *, summary: str, details: dict[str, Any]) -> None:
    change.set("claimed_by", None)
    change.set("claimed_at", None)
    commit(change, kind=DraftEvent.Kind.DECISION, summary=summary, details=details)


def approve(*, draft_id: Any, version: int, actor: Actor) -> ConnectorStaged:
    """Certify the draft: → Published, public, listed; the production Connector certified.

    Locks the draft row; the caller must hold the claim and have reviewed ``version``.
    Raises ResourceNotFound, CertificationConflict, ConcurrentModification.
    """
    with transaction.atomic():
        draft = _locked_for_decision(draft_id=draft_id, version=version, actor=actor)
        change = Change(draft=draft, actor=actor, snapshots={})
        # A certified connector is public: the Connector copies ``private`` from the draft.
        change.set("private", False)
        change.set("already_listed", True)
        set_status(change, Status.PUBLISHED)
        publish_to_production(draft=draft, certified=True)
        _save_decision(change, summary="certification approved", details={"decision": "approved"})
    return draft


def reject(*, draft_id: Any, version: int, actor: Actor, reason: str) -> ConnectorStaged:
    """Refuse the certification: → Failed, the reason added as a certification comment.

    Locks the draft row; the caller must hold the claim and have reviewed ``version``.
    Raises ConnectErrors (empty or too long reason), ResourceNotFound,
    CertificationConflict, ConcurrentModification.
    """
    comment = parse_reason(reason)
    with transaction.atomic():
        draft = _locked_for_decision(draft_id=draft_id, version=version, actor=actor)
        change = Change(draft=draft, actor=actor, snapshots={})
        HANDLERS["addCertificationComment"](change, comment)
        set_status(change, Status.FAILED)
        _save_decision(
            change,
            summary="certification rejected",
            details={"decision": "rejected", "reason": comment.comment},
        )
    return draft
