"""The one way a change to a draft is committed.

Every writer (update actions, services, pipelines, certification decisions, the admin
through services) collects its field changes in a ``Change`` and hands it to ``commit``:
the version goes up once, the row is saved with only the changed fields, the history
event is recorded and, after the transaction commits, the draft's live event is sent.
``record`` is the history-and-event half alone, for writes that bump the version in SQL
(the certification claim's conditional UPDATE) or create the row.

The refusals say, one function a rule, why the draft's state refuses an action: each
returns the domain error (or None). The update actions raise it; the draft page shows its
message beside the disabled button, so both give the same reason.

This module sits under the services and the pipelines: it imports models, state, errors,
events and dispatch only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .counts import renew_generation
from .dispatch import fan_out_on_commit
from .errors import (
    ConnectError,
    ConnectorAlreadyCertified,
    ConnectorStagedInCertification,
    ConnectorStagedNotPrivate,
    ConnectorStagedPreviewRequestUnderProcess,
    InvalidOperation,
)
from .events import publish_event
from .models import SHARED_FIELDS, Connector, ConnectorAccess, ConnectorStaged, DraftEvent
from .state import Previewable, Status, ensure_transition


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: an API client's project, a signed-in user or the pipeline."""

    label: str  # the comment ``userId`` and the name in the history
    user: Any = None  # a django User, when a person acts
    is_certifier: bool = False


@dataclass
class Change:
    """One write to a locked draft: the fields it sets and what runs once it commits."""

    draft: ConnectorStaged
    actor: Actor
    snapshots: dict[tuple[str, str], Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    followups: list[Callable[[ConnectorStaged], None]] = field(default_factory=list)

    def set(self, name: str, value: Any) -> None:
        if getattr(self.draft, name) != value:
            setattr(self.draft, name, value)
            self.changed.add(name)


# The live event each history kind sends after commit.
_LIVE_EVENT: dict[str, str] = {
    DraftEvent.Kind.CREATED: "created",
    DraftEvent.Kind.UPDATED: "updated",
    DraftEvent.Kind.STATE: "state",
    DraftEvent.Kind.DECISION: "state",
}


def commit(
    change: Change, *, kind: str, summary: str, details: dict[str, Any] | None = None
) -> ConnectorStaged:
    """Save the change to its (locked) draft: version + 1, history event, live event after commit.

    Call inside the transaction that locked the draft row.
    """
    draft = change.draft
    draft.version += 1
    draft.has_changes = differs_from_connector(draft)
    draft.save(update_fields=[*change.changed, "version", "has_changes", "last_modified_at"])
    for followup in change.followups:
        followup(draft)
    for callback in change.after_commit:
        transaction.on_commit(callback)
    record(draft, kind=kind, actor=change.actor.label, summary=summary, details=details)
    return draft


def record(
    draft: ConnectorStaged,
    *,
    kind: str,
    actor: str,
    summary: str,
    details: dict[str, Any] | None = None,
) -> None:
    """The history event of a write at the draft's current version; after commit, its live
    event, its notifications (emails, webhooks) and new cached totals (``counts``)."""
    event = DraftEvent.objects.create(
        draft=draft,
        kind=kind,
        actor=actor,
        summary=summary[:1024],
        details=details or {},
        version=draft.version,
    )
    draft_id = draft.id
    transaction.on_commit(lambda: publish_draft_event(draft_id, _LIVE_EVENT[kind]))
    fan_out_on_commit(event.id)
    renew_generation(draft.project_id)


def publish_draft_event(draft_id: uuid.UUID, kind: str) -> None:
    publish_event(draft_id, {"kind": kind})


def set_status(change: Change, status: str) -> None:
    ensure_transition(change.draft.status, status)
    change.set("status", status)
    change.set("status_changed_at", timezone.now())


def production_connector(draft: ConnectorStaged) -> Connector | None:
    try:
        return draft.connector
    except Connector.DoesNotExist:
        return None


def differs_from_connector(draft: ConnectorStaged) -> bool:
    """``hasChanges``: does the draft differ from its production Connector?"""
    connector = production_connector(draft)
    if connector is None:
        return False
    return any(getattr(draft, name) != getattr(connector, name) for name in SHARED_FIELDS)


def publish_to_production(*, draft: ConnectorStaged, certified: bool) -> Connector:
    """Create or update the production Connector from the draft (caller holds the draft lock).

    The Connector takes every shared field (a public certification makes the draft
    non-private first), its version goes up by one on each publish, and its access list
    mirrors ``privateProjects``. A certified Connector is listed.
    """
    connector = Connector.objects.filter(staged=draft).first()
    if connector is None:
        connector = Connector(staged=draft, project=draft.project, version=0)
    for name in SHARED_FIELDS:
        setattr(connector, name, getattr(draft, name))
    connector.version += 1
    connector.certified = certified or connector.certified
    connector.listed = certified or connector.listed
    connector.save()
    ConnectorAccess.objects.filter(connector=connector).delete()
    ConnectorAccess.objects.bulk_create(
        ConnectorAccess(connector=connector, project_identifier=identifier)
        for identifier in dict.fromkeys(draft.private_projects)
    )
    draft.connector = connector
    return connector


# --- refusals: why the draft's state refuses an action -----------------------------------------

# Update actions accepted while a publish is being processed.
ALLOWED_WHILE_PROCESSING = frozenset({"addCertificationComment"})


def refuse_while_publishing(
    draft: ConnectorStaged, actions: Collection[str]
) -> InvalidOperation | None:
    if draft.status == Status.PROCESSING and set(actions) - ALLOWED_WHILE_PROCESSING:
        return InvalidOperation(
            "The connector is being published: only certification comments can be added "
            "until publishing ends."
        )
    return None


def refuse_preview(draft: ConnectorStaged) -> ConnectError | None:
    if draft.is_previewable == Previewable.PENDING:
        return ConnectorStagedPreviewRequestUnderProcess()
    return None


def refuse_publish(draft: ConnectorStaged) -> ConnectError | None:
    if draft.status == Status.IN_CERTIFICATION:
        return ConnectorStagedInCertification(
            "The connector is being certified: wait for the certifier's decision."
        )
    return None


def refuse_certification(draft: ConnectorStaged) -> ConnectError | None:
    """A publish for certification: refused like any publish, and when nothing is left to
    certify (the production Connector is certified and the draft does not differ)."""
    refused = refuse_publish(draft)
    if refused is not None:
        return refused
    connector = production_connector(draft)
    if connector is not None and connector.certified and not differs_from_connector(draft):
        return ConnectorAlreadyCertified()
    return None


def refuse_private_projects(draft: ConnectorStaged) -> ConnectError | None:
    if not draft.private:
        return ConnectorStagedNotPrivate(
            "The connector is public: private projects can only be managed on a private connector."
        )
    return None
