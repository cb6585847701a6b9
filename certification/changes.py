"""What changed since a certifier last decided on a draft: fields and repository.

Every decision keeps, in its history event's details (``REVIEWED``), a snapshot of what the
certifier decided on (``connectors.diffs.draft_snapshot``). In the next round the review
page shows the fields that changed since (computed on the spot: it is cheap) and what
changed in the repository between the reviewed commit and the submitted tag.

The repository comparison runs git on two fetched commits, which can take a minute: it is a
Celery task's job (``certification.compare_repositories``), its result kept in a
``RepositoryComparison`` row per round. It is requested when the draft enters the queue
(a ``post_save`` receiver, connected in ``apps.py``: connectors must not know about
certification) and, failing that, when the page is first shown; the page says "computing"
until the row is ready. A request whose task never ran (a broker outage, a worker killed)
is sent again by the next page view once it is older than the task's time limit.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from connectors.diffs import (
    ComparisonFailed,
    FieldChange,
    compare_repositories,
    draft_snapshot,
    metadata_changes,
    place_findings,
)
from connectors.drafts import publish_draft_event
from connectors.models import ConnectorStaged, DraftEvent
from connectors.repositories import Revision
from connectors.state import Report, Status

from .models import RepositoryComparison

logger = logging.getLogger(__name__)

# The key of a decision event's details that holds what the certifier decided on.
REVIEWED = "reviewed"
COMPARE_TASK = "certification.compare_repositories"
# The comparison task's own limits: git shares CONNECTORS_DIFF_SECONDS, then some margin.
TASK_SOFT_TIME_LIMIT = settings.CONNECTORS_DIFF_SECONDS + 60
TASK_TIME_LIMIT = TASK_SOFT_TIME_LIMIT + 30


def reviewed_details(draft: ConnectorStaged) -> dict[str, Any]:
    """What a decision event keeps, so the next round can show what changed since."""
    return {REVIEWED: draft_snapshot(draft)}


@dataclass(frozen=True)
class LastReview:
    """The last decision on a draft, and the snapshot of what it decided on."""

    event_id: int
    decision: str
    actor: str
    at: datetime
    snapshot: dict[str, Any]


def last_review(draft: ConnectorStaged) -> LastReview | None:
    """The last decision that kept a snapshot; None in a first round."""
    event = (
        DraftEvent.objects.filter(
            draft=draft, kind=DraftEvent.Kind.DECISION, details__has_key=REVIEWED
        )
        .order_by("-id")
        .first()
    )
    if event is None or not isinstance(event.details.get(REVIEWED), dict):
        return None
    return LastReview(
        event_id=event.id,
        decision=str(event.details.get("decision", "")),
        actor=event.actor,
        at=event.created_at,
        snapshot=event.details[REVIEWED],
    )


@dataclass
class ReviewChanges:
    """What the review page shows of the changes since the last decision."""

    last_review: LastReview | None  # None: a first round, nothing to compare with
    fields: list[FieldChange] = field(default_factory=list)
    comparison: RepositoryComparison | None = None
    repository: dict[str, Any] | None = None  # the ready comparison, findings at their lines

    @property
    def first_round(self) -> bool:
        return self.last_review is None

    @property
    def computing(self) -> bool:
        return self.comparison is not None and self.comparison.state in PENDING_STATES


PENDING_STATES = (RepositoryComparison.State.PENDING, RepositoryComparison.State.RUNNING)


def review_changes(draft: ConnectorStaged, *, entries: Any = ()) -> ReviewChanges:
    """The changes since the last decision on ``draft``; requests the repository comparison
    when it was never requested (or its task was lost).

    ``entries`` are the draft's report entries: the publishing report's (the submission's;
    the preview report's when it has none) are shown at the diff lines they point at.
    """
    last = last_review(draft)
    if last is None:
        return ReviewChanges(last_review=None)
    changes = ReviewChanges(
        last_review=last,
        fields=metadata_changes(last.snapshot, draft_snapshot(draft)),
        comparison=request_comparison(draft, last),
    )
    if changes.comparison is not None and changes.comparison.state == "ready":
        changes.repository = place_findings(changes.comparison.result, _submitted(entries))
    return changes


def _submitted(entries: Any) -> list[Any]:
    entries = list(entries)
    publishing = [entry for entry in entries if entry.report == Report.PUBLISHING]
    return publishing or [entry for entry in entries if entry.report == Report.PREVIEW]


def request_comparison(draft: ConnectorStaged, last: LastReview) -> RepositoryComparison:
    """The comparison of this round, created (and its task sent after commit) if there is
    none yet, sent again if its task was lost. Same commit on both sides: ready at once."""
    base = _revision(last.snapshot, draft)
    key = _comparison_key(last, draft)
    comparison = RepositoryComparison.objects.filter(draft=draft, key=key).first()
    if comparison is None:
        comparison = _create(draft, key, base)
    elif comparison.state in PENDING_STATES and _lost(comparison):
        resent = RepositoryComparison.objects.filter(
            id=comparison.id, requested_at=comparison.requested_at
        ).update(state=RepositoryComparison.State.PENDING, requested_at=timezone.now())
        if resent:
            comparison.refresh_from_db()
            _send_after_commit(comparison.id)
    return comparison


def _create(draft: ConnectorStaged, key: str, base: Revision) -> RepositoryComparison:
    unchanged = (
        base.commit is not None
        and base.commit == draft.repository_commit
        and base.url == draft.repository_url
    )
    comparison = RepositoryComparison(
        draft=draft,
        key=key,
        base_url=base.url,
        base_tag=base.tag,
        base_commit=base.commit or "",
        head_url=draft.repository_url,
        head_tag=draft.repository_tag,
        requested_at=timezone.now(),
    )
    if unchanged:
        comparison.state = RepositoryComparison.State.READY
        comparison.result = {"unchanged": True, "files": []}
        comparison.finished_at = comparison.requested_at
    try:
        with transaction.atomic():
            comparison.save()
    except IntegrityError:  # another request created it meanwhile
        return RepositoryComparison.objects.get(draft=draft, key=key)
    if not unchanged:
        _send_after_commit(comparison.id)
    return comparison


def _revision(snapshot: dict[str, Any], draft: ConnectorStaged) -> Revision:
    commit = snapshot.get("repository_commit") or None
    return Revision(
        url=str(snapshot.get("repository_url") or draft.repository_url),
        tag=str(snapshot.get("repository_tag") or draft.repository_tag),
        commit=commit if isinstance(commit, str) else None,
    )


def _comparison_key(last: LastReview, draft: ConnectorStaged) -> str:
    """One comparison per reviewed decision and submitted repository, url, tag and commit."""
    parts = [str(last.event_id), draft.repository_url, draft.repository_tag]
    parts.append(draft.repository_commit)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _lost(comparison: RepositoryComparison) -> bool:
    """Requested longer ago than its task may run: its task never ran or its worker died."""
    return comparison.requested_at < timezone.now() - timedelta(seconds=TASK_TIME_LIMIT + 30)


def _send_after_commit(comparison_id: int) -> None:
    transaction.on_commit(lambda: send_comparison(comparison_id))


def send_comparison(comparison_id: int) -> None:
    """Send the comparison's task by name; a broker that cannot be reached loses nothing
    (a later page view sends it again)."""
    try:
        current_app.send_task(COMPARE_TASK, args=[comparison_id])
    except (OperationalError, OSError) as error:
        logger.warning("Comparison %s was not sent (%s)", comparison_id, error)


def compute_comparison(comparison_id: int) -> None:
    """The task's work: claim the comparison, run it, store the result or why it failed.

    A claim is a conditional UPDATE (PENDING → RUNNING): a duplicate task finds it taken and
    returns. Publishes the draft's live event ``comparison`` when done.
    """
    now = timezone.now()
    claimed = RepositoryComparison.objects.filter(
        id=comparison_id, state=RepositoryComparison.State.PENDING
    ).update(state=RepositoryComparison.State.RUNNING, started_at=now)
    if not claimed:
        return
    comparison = RepositoryComparison.objects.get(id=comparison_id)
    base = Revision(
        url=comparison.base_url, tag=comparison.base_tag, commit=comparison.base_commit or None
    )
    head = Revision(url=comparison.head_url, tag=comparison.head_tag)
    outcome: dict[str, Any]
    try:
        result = compare_repositories(base=base, head=head)
    except ComparisonFailed as failed:
        outcome = {"state": RepositoryComparison.State.FAILED, "message": failed.message}
    except Exception:
        logger.exception("Comparison %s failed", comparison_id)
        message = "The comparison failed unexpectedly; support staff can find why in the logs."
        outcome = {"state": RepositoryComparison.State.FAILED, "message": message}
    else:
        outcome = {"state": RepositoryComparison.State.READY, "result": result}
    RepositoryComparison.objects.filter(
        id=comparison_id, state=RepositoryComparison.State.RUNNING, started_at=now
    ).update(finished_at=timezone.now(), **outcome)
    publish_draft_event(comparison.draft_id, "comparison")


def draft_saved(
    sender: Any, instance: ConnectorStaged, update_fields: Any = None, **_: Any
) -> None:
    """``post_save`` of a draft: one entering the queue gets its comparison requested once
    the write commits (never raising into the writer)."""
    if update_fields is not None and "status" not in update_fields:
        return
    if instance.status != Status.READY_FOR_CERTIFICATION:
        return
    draft_id = instance.pk
    transaction.on_commit(lambda: prepare_comparison(draft_id), robust=True)


def prepare_comparison(draft_id: Any) -> None:
    draft = ConnectorStaged.objects.filter(id=draft_id).first()
    if draft is None or draft.status != Status.READY_FOR_CERTIFICATION:
        return
    last = last_review(draft)
    if last is not None:
        request_comparison(draft, last)
