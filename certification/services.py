"""Certification decisions: claim, release, approve, reject; claims that expire.

Claiming and releasing are conditional UPDATEs (``… WHERE status = … AND claimed_by …``):
0 rows changed means another certifier was first, which is a conflict to show, not a
crash. Releasing is ``connectors.services.release_claim``, the same write support's admin
action and the expiry of old claims use. Approving and rejecting lock the draft row
(``SELECT … FOR UPDATE``), check that the caller holds the claim and that the draft is
still the version they reviewed, then move it through ``connectors.state`` like every
other status change. Each step commits through ``connectors.drafts`` (version, history
event, live event after commit).

A rejection gives its reasons: some of the ``RejectionReason`` list, free text, or both.
They become one certification comment (what the API shows the creator); the history keeps
the reason codes and the text apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors import schemas
from connectors.drafts import Actor, Change, commit, publish_to_production, record, set_status
from connectors.errors import (
    ConcurrentModification,
    ConnectError,
    InvalidInput,
    ResourceNotFound,
)
from connectors.models import ConnectorStaged, DraftEvent
from connectors.parsing import parse
from connectors.services import release_claim
from connectors.state import Status, ensure_transition
from connectors.update_actions import HANDLERS

from .changes import reviewed_details
from .deadlines import claim_lifetime
from .models import RejectionReason
from .selectors import QUEUE_STATUSES

SYSTEM = Actor(label="system")


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
    draft = release_claim(
        draft_id=draft_id, actor=actor, holder=actor.user, summary="released to the queue"
    )
    if draft is None:
        _queued(draft_id)
        raise CertificationConflict("Only the certifier who claimed this draft can release it.")
    return draft


def release_expired_claims(*, now: datetime | None = None) -> list[Any]:
    """Give back to the queue every claim older than CERTIFICATION_CLAIM_HOURS.

    Each through ``release_claim`` as the actor "system" (version bump, history event);
    a claim decided or released meanwhile is left alone. Returns the released drafts' ids.
    """
    cutoff = (now or timezone.now()) - claim_lifetime()
    hours = settings.CERTIFICATION_CLAIM_HOURS
    expired = ConnectorStaged.objects.filter(
        status=Status.IN_CERTIFICATION, claimed_at__lt=cutoff
    ).values_list("id", flat=True)
    released = []
    for draft_id in list(expired):
        draft = release_claim(
            draft_id=draft_id,
            actor=SYSTEM,
            claimed_before=cutoff,
            summary=f"claim expired after {hours} hours: released to the queue",
        )
        if draft is not None:
            released.append(draft.id)
    return released


def parse_reason(reason: str) -> schemas.AddCertificationComment:
    """A rejection's reason, validated like an addCertificationComment. Raises ConnectErrors."""
    return parse(
        schemas.AddCertificationComment, {"action": "addCertificationComment", "comment": reason}
    )


def _chosen_reasons(codes: Sequence[str]) -> list[RejectionReason]:
    wanted = list(dict.fromkeys(codes))
    # In the list's order, whatever order they were posted in.
    found = {r.code: r for r in RejectionReason.objects.filter(code__in=wanted, active=True)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise InvalidInput(
            "A chosen rejection reason is not offered.",
            at=("reasons",),
            problem=f"Unknown rejection reason '{unknown[0]}': choose from the list.",
        )
    return list(found.values())


def compose_rejection(reasons: Sequence[RejectionReason], text: str) -> str:
    """The certification comment of a rejection: each reason's title and text, then the text."""
    parts = [f"{reason.title}: {reason.text}" for reason in reasons]
    if text.strip():
        parts.append(text.strip())
    return "\n\n".join(parts)


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
    # What the certifier decided on: the next round shows what changed since.
    details = {**details, **reviewed_details(change.draft)}
    commit(change, kind=DraftEvent.Kind.DECISION, summary=summary, details=details)


def approve(*, draft_id: Any, version: int, actor: Actor, note: str = "") -> ConnectorStaged:
    """Certify the draft: → Published, public, listed; the production Connector certified.

    A ``note``, when given, is added as the certifier's certification comment and kept in
    the history. Locks the draft row; the caller must hold the claim and have reviewed
    ``version``. Raises ConnectErrors (note too long), ResourceNotFound,
    CertificationConflict, ConcurrentModification.
    """
    comment = parse_reason(note.strip()) if note.strip() else None
    with transaction.atomic():
        draft = _locked_for_decision(draft_id=draft_id, version=version, actor=actor)
        change = Change(draft=draft, actor=actor, snapshots={})
        if comment is not None:
            HANDLERS["addCertificationComment"](change, comment)
        # A certified connector is public: the Connector copies ``private`` from the draft.
        change.set("private", False)
        change.set("already_listed", True)
        set_status(change, Status.PUBLISHED)
        publish_to_production(draft=draft, certified=True)
        details = {"decision": "approved", "note": comment.comment if comment else ""}
        _save_decision(change, summary="certification approved", details=details)
    return draft


def reject(
    *,
    draft_id: Any,
    version: int,
    actor: Actor,
    reason: str = "",
    reason_codes: Sequence[str] = (),
) -> ConnectorStaged:
    """Refuse the certification: → Failed, the reasons added as one certification comment.

    ``reason_codes`` name active RejectionReasons, ``reason`` is free text; at least one
    of them is needed. The comment holds each chosen reason's title and text, then the
    free text; the history keeps the reasons (code, title and text as they were) and the
    free text (``note``). Locks the draft row; the caller
    must hold the claim and have reviewed ``version``. Raises InvalidInput (no reason, a
    reason not offered), ConnectErrors (comment too long), ResourceNotFound,
    CertificationConflict, ConcurrentModification.
    """
    reasons = _chosen_reasons(reason_codes)
    if not reasons and not reason.strip():
        raise InvalidInput(
            "A rejection needs a reason.",
            at=("reason",),
            problem="Choose at least one reason from the list or write one.",
        )
    comment = parse_reason(compose_rejection(reasons, reason))
    with transaction.atomic():
        draft = _locked_for_decision(draft_id=draft_id, version=version, actor=actor)
        change = Change(draft=draft, actor=actor, snapshots={})
        HANDLERS["addCertificationComment"](change, comment)
        set_status(change, Status.FAILED)
        _save_decision(
            change,
            summary="certification rejected",
            details={
                "decision": "rejected",
                "reasons": [{"code": r.code, "title": r.title, "text": r.text} for r in reasons],
                "note": reason.strip(),
                "reason": comment.comment,
            },
        )
    return draft
