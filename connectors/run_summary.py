"""What the newest run of a draft's report is doing or did, check by check (for the pages).

Reads, never writes. The caller has fetched the draft through ``selectors`` (which decide
who may see it); these functions take it, or its id, as given.

- ``run_summary(draft, report)``: the run's state, how long it waited and ran, whether a
  worker is alive to take it while it waits, and each check in the pipeline's order with
  its state, duration, finding counts and findings (``RunSummary``).
- ``superseded_entries(draft, report)``: while a new run has written nothing, the previous
  run's entries, still kept (the run's first write removes them); the API no longer shows
  them.

A check's state is ``passed``, ``warning`` (passed with Warning or Error findings),
``failed``, ``skipped``, ``running``, ``queued``, or ``stopped`` (the run ended before the
check did: cancelled, interrupted, superseded). It comes from the check's summary entry
("<Check> check succeeded|failed|skipped") once written, else from the run's record of the
check (``PipelineRun.checks``, written by the pipeline as it goes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import ConnectorStaged, PipelineRun, ReportEntry
from .monitoring import worker_alive
from .state import EntryType, Report

PASSED = "passed"
WARNING = "warning"
FAILED = "failed"
SKIPPED = "skipped"
RUNNING = "running"
QUEUED = "queued"
STOPPED = "stopped"

_OUTCOMES = ("succeeded", "failed", "skipped")
_ACTIVE = frozenset({PipelineRun.State.QUEUED, PipelineRun.State.RUNNING})


@dataclass(frozen=True)
class FindingLine:
    """One entry of the report, as a page lists it."""

    type: str
    title: str
    message: str | None
    application: str | None = None
    file: str | None = None
    line: int | None = None
    id: int | None = None  # the entry's id: the page's anchor for it


@dataclass(frozen=True)
class CheckSummary:
    key: str  # the stable short name: "specification", "code", …
    name: str  # the title: "Code analysis"
    state: str  # passed, warning, failed, skipped, running, queued or stopped
    seconds: float | None  # its duration; a running check's time so far
    errors: int = 0
    warnings: int = 0
    information: int = 0
    message: str | None = None  # the summary entry's message
    findings: list[FindingLine] = field(default_factory=list)  # in written order


@dataclass(frozen=True)
class RunSummary:
    run_id: uuid.UUID
    report: str  # preview or publishing
    state: str  # PipelineRun.State: queued, running, succeeded, failed, cancelled, …
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # Queued: how long it has waited so far; claimed: how long it waited; never claimed: None.
    waiting_seconds: float | None
    seconds: float | None  # from claim to end; a running run's time so far
    fetch_seconds: float | None
    # Only for a queued run: whether a worker's heartbeat is recent enough to take it.
    worker_alive: bool | None
    checks: list[CheckSummary]
    notes: list[FindingLine]  # the run's own entries: started, fetch errors, cancelled, …

    @property
    def over(self) -> bool:
        return self.state in PipelineRun.FINAL_STATES


def _draft_id(draft: ConnectorStaged | uuid.UUID | str) -> Any:
    return draft.pk if isinstance(draft, ConnectorStaged) else draft


def newest_run(
    draft: ConnectorStaged | uuid.UUID | str, report: str = Report.PREVIEW
) -> PipelineRun | None:
    """The run whose entries the report shows: the newest one of that report."""
    return (
        PipelineRun.objects.filter(draft_id=_draft_id(draft), report=report)
        .order_by("-created_at")
        .first()
    )


def superseded_entries(
    draft: ConnectorStaged | uuid.UUID | str, report: str = Report.PREVIEW
) -> list[ReportEntry]:
    """The previous run's entries while the newest run has none yet; otherwise nothing."""
    run = newest_run(draft, report)
    if run is None:
        return []
    entries = ReportEntry.objects.filter(draft_id=_draft_id(draft), report=report)
    if entries.filter(run_id=run.id).exists():
        return []
    return list(entries.exclude(run_id=run.id).order_by("id"))


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _line(entry: ReportEntry) -> FindingLine:
    return FindingLine(
        type=entry.type,
        title=entry.title,
        message=entry.message,
        application=entry.application,
        file=entry.file,
        line=entry.line,
        id=entry.id,
    )


def _outcome_of(entry: ReportEntry, name: str) -> str | None:
    for outcome in _OUTCOMES:
        if entry.title == f"{name} check {outcome}":
            return outcome
    return None


def _check_state(outcome: str | None, problems: int, record: dict, run_state: str) -> str:
    if outcome == "succeeded":
        return WARNING if problems else PASSED
    if outcome == "failed":
        return FAILED
    if outcome == "skipped":
        return SKIPPED
    if run_state not in _ACTIVE:
        return STOPPED
    return RUNNING if record.get("started") else QUEUED


def _records(run: PipelineRun, entries: list[ReportEntry]) -> list[dict]:
    """The run's checks in order: its own record, or (older runs) the checks its entries name."""
    if run.checks:
        return list(run.checks)
    records: dict[str, dict] = {}
    for entry in entries:
        if entry.check_key and entry.check_key not in records:
            name = entry.title
            for outcome in _OUTCOMES:
                name = name.removesuffix(f" check {outcome}")
            records[entry.check_key] = {"key": entry.check_key, "name": name}
    return list(records.values())


def _check_summary(
    record: dict, entries: list[ReportEntry], run: PipelineRun, now: datetime
) -> CheckSummary:
    name = record.get("name") or record["key"]
    summary_entry = next((e for e in entries if _outcome_of(e, name)), None)
    findings = [e for e in entries if e is not summary_entry]
    counts = record.get("counts") or {
        kind: sum(1 for e in findings if e.type == kind) for kind in EntryType.values
    }
    errors = counts.get(EntryType.ERROR, 0)
    warnings = counts.get(EntryType.WARNING, 0)
    outcome = _outcome_of(summary_entry, name) if summary_entry else record.get("status")
    state = _check_state(outcome, errors + warnings, record, run.state)
    seconds = record.get("seconds")
    if seconds is None:
        seconds = (run.timings or {}).get(name)
    if seconds is None and state == RUNNING:
        seconds = _seconds(_parse(record.get("started")), now)
    return CheckSummary(
        key=record["key"],
        name=name,
        state=state,
        seconds=seconds,
        errors=errors,
        warnings=warnings,
        information=counts.get(EntryType.INFORMATION, 0),
        message=summary_entry.message if summary_entry else None,
        findings=[_line(e) for e in findings],
    )


def run_summary(
    draft: ConnectorStaged | uuid.UUID | str,
    report: str = Report.PREVIEW,
    *,
    now: datetime | None = None,
) -> RunSummary | None:
    """The newest run of the draft's ``report`` check by check; None when it never had one.

    Three queries (the run, its entries, and for a queued run the workers' heartbeat).
    """
    run = newest_run(draft, report)
    if run is None:
        return None
    now = now or timezone.now()
    entries = list(ReportEntry.objects.filter(run_id=run.id).order_by("id"))
    by_check: dict[str, list[ReportEntry]] = {}
    for entry in entries:
        by_check.setdefault(entry.check_key, []).append(entry)
    checks = [
        _check_summary(record, by_check.get(record["key"], []), run, now)
        for record in _records(run, entries)
    ]
    queued = run.state == PipelineRun.State.QUEUED
    waiting = _seconds(run.created_at, now if queued else run.started_at)
    ended = run.finished_at or (now if run.state == PipelineRun.State.RUNNING else None)
    return RunSummary(
        run_id=run.id,
        report=run.report,
        state=run.state,
        requested_by=run.requested_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        waiting_seconds=waiting,
        seconds=_seconds(run.started_at, ended),
        fetch_seconds=(run.timings or {}).get("fetch"),
        worker_alive=worker_alive() if queued else None,
        checks=checks,
        notes=[_line(e) for e in by_check.get("", [])],
    )
