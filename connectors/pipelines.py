"""Preview and publish pipelines: plain Python, the Celery tasks only call these.

A run goes: claim (a conditional UPDATE: one worker only) → fetch the tag into a
temporary folder → run the checks in order, writing each check's entries as soon as it
ends → finish (isPreviewable, or the publishing status). A heartbeat keeps the claim
alive; the periodic sweep fails runs whose heartbeat stopped (the worker died).
The outcome is committed to the draft through ``drafts.commit``, like any other change.

The run records its checks as they go in ``PipelineRun.checks`` (queued, started, ended,
with their outcome and finding counts), and every entry names its check (``check_key``).
The previous run's entries stay until the new run writes its first one, in the same
transaction. ``cancel_run`` ends a queued or running run: its worker writes nothing more
(every write locks the run's row and needs it running) and the heartbeat tells the checks
still going through ``context.options["stop"]``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from .checks.base import (
    Application,
    Check,
    CheckContext,
    CheckOutcome,
    Finding,
    TransientCheckError,
)
from .drafts import Actor, Change, commit, publish_draft_event, publish_to_production, set_status
from .errors import GitRepositoryNotReachable
from .models import ConnectorStaged, DraftEvent, PipelineRun, ReportEntry
from .state import EntryType, Previewable, Report, Status, ensure_preview_transition

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# Seconds a new run is given for its first send before the sweep treats it as never sent.
SEND_GRACE_SECONDS = 10
PIPELINE = Actor(label="pipeline")  # who the history names for a run's outcome
State = PipelineRun.State


RETRY_FIRST_DELAY_SECONDS = 1.0
RETRY_MAX_DELAY_SECONDS = 10.0
_SEVERITY_ORDER: dict[str, int] = {
    EntryType.ERROR: 0,
    EntryType.WARNING: 1,
    EntryType.INFORMATION: 2,
}


# The short, stable name of each check, kept on its entries and in the run's progress (the
# titles are for people and may change; migration 0007 holds a copy for old entries).
CHECK_KEYS: dict[str, str] = {
    "Connector specification file validation": "specification",
    "Repository structure": "structure",
    "Build": "build",
    "Unit test": "tests",
    "Dependency analysis": "dependencies",
    "Code analysis": "code",
    "Secret scanning": "secrets",
}


def check_key(check: Check) -> str:
    """The check's short name: its own ``key`` if it has one, else from its title."""
    key = getattr(check, "key", None) or CHECK_KEYS.get(check.name) or slugify(check.name)
    return str(key)[:32]


def default_checks() -> list[Check]:
    from .checks.build import build_checks
    from .checks.code import CodeCheck
    from .checks.dependencies import DependencyCheck
    from .checks.secrets import SecretCheck
    from .checks.specification import SpecificationCheck
    from .checks.structure import StructureCheck

    return [
        SpecificationCheck(),
        StructureCheck(),
        *(build_checks() if settings.CONNECTORS_BUILD_CHECKS else []),
        DependencyCheck(),
        CodeCheck(),
        SecretCheck(),
    ]


# --- claiming and keeping a run ---------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedRun:
    run_id: uuid.UUID
    draft_id: uuid.UUID
    report: str
    certification: bool
    url: str
    tag: str


def claim(run_id: str) -> ClaimedRun | None:
    """Take a queued run for this worker; None if another has it or it is over.

    A redelivered task (its worker died) finds the run already claimed and returns:
    the run is never executed twice; the sweep finishes it.
    """
    now = timezone.now()
    taken = PipelineRun.objects.filter(id=run_id, state=State.QUEUED).update(
        state=State.RUNNING, started_at=now, heartbeat_at=now
    )
    if not taken:
        return None
    run = PipelineRun.objects.select_related("draft").get(id=run_id)
    PipelineRun.objects.filter(id=run_id).update(attempts=run.attempts + 1)
    return ClaimedRun(
        run_id=run.id,
        draft_id=run.draft_id,
        report=run.report,
        certification=run.certification,
        url=run.draft.repository_url,
        tag=run.draft.repository_tag,
    )


class Heartbeat:
    """Refreshes ``heartbeat_at`` every few seconds while the run works.

    A run found over (cancelled, superseded, failed by support) sets ``over``, which the
    run hands to its checks as ``context.options["stop"]``.
    """

    def __init__(self, run_id: uuid.UUID, interval: float = HEARTBEAT_SECONDS) -> None:
        self.run_id = run_id
        self.interval = interval
        self.over = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{run_id}")

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                beating = PipelineRun.objects.filter(id=self.run_id, state=State.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
                if not beating and run_is_over(self.run_id):
                    logger.info("Run %s is over: its checks are told to stop", self.run_id)
                    self.over.set()
        finally:
            close_old_connections()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)


# --- writing entries -------------------------------------------------------------------------


def run_is_over(run_id: Any) -> bool:
    """Whether the run has ended (a run that cannot be seen is not taken for over)."""
    return PipelineRun.objects.filter(id=run_id, state__in=PipelineRun.FINAL_STATES).exists()


@dataclass(frozen=True)
class NewEntry:
    type: str
    title: str
    message: str | None = None
    application: str | None = None
    file: str | None = None
    line: int | None = None
    check: str = ""  # the check's key; blank for the run's own entries


def entries_for(
    check_name: str, outcome: CheckOutcome, *, limit: int | None = None, key: str = ""
) -> list[NewEntry]:
    """The check's summary line, then one entry per finding, at most ``limit`` of them.

    Past the limit the most severe findings are kept (in their order) and one more entry
    counts the rest, so a repository cannot make a report of any size. Every entry carries
    the check's ``key``.
    """
    summary_type = {
        "succeeded": EntryType.INFORMATION,
        "skipped": EntryType.WARNING,
        "failed": EntryType.ERROR,
    }[outcome.status]
    entries = [
        NewEntry(summary_type, f"{check_name} check {outcome.status}", outcome.summary, check=key)
    ]
    findings = outcome.findings
    if limit is None or len(findings) <= limit:
        return entries + [_finding_entry(check_name, finding, key) for finding in findings]
    kept_limit = max(limit - 1, 0)
    by_severity = sorted(
        range(len(findings)), key=lambda i: (_SEVERITY_ORDER.get(findings[i].type, 3), i)
    )
    kept = sorted(by_severity[:kept_limit])
    hidden = [findings[i] for i in by_severity[kept_limit:]]
    entries += [_finding_entry(check_name, findings[i], key) for i in kept]
    counts = ", ".join(
        f"{count} {kind.lower()}"
        for kind in (EntryType.ERROR, EntryType.WARNING, EntryType.INFORMATION)
        if (count := sum(1 for f in hidden if f.type == kind))
    )
    worst = min((f.type for f in hidden), key=lambda t: _SEVERITY_ORDER.get(t, 3))
    entries.append(
        NewEntry(
            worst,
            check_name,
            f"{len(hidden)} more findings of this check are not listed ({counts}): "
            f"a report lists at most {kept_limit} per check. Fix the ones listed and run again.",
            check=key,
        )
    )
    return entries


def _finding_entry(check_name: str, finding: Finding, key: str = "") -> NewEntry:
    return NewEntry(
        type=finding.type,
        title=check_name,
        message=finding.message,
        application=finding.application,
        file=finding.file,
        line=finding.line,
        check=key,
    )


def write_entries(run: ClaimedRun, entries: Sequence[NewEntry]) -> bool:
    """Append entries to the run's report; False if the run is no longer current.

    Locks the run's row (``_still_current``) until the entries are committed, so a
    cancellation either comes before them (and they are not written) or after them. The
    first write of a run also removes the previous runs' entries of the report.
    """
    with transaction.atomic():
        if not _still_current(run):
            return False
        _insert_entries(
            draft_id=run.draft_id, report=run.report, run_id=run.run_id, entries=entries
        )
    transaction.on_commit(lambda: publish_draft_event(run.draft_id, "entry"))
    return True


def _insert_entries(
    *, draft_id: uuid.UUID, report: str, run_id: uuid.UUID, entries: Sequence[NewEntry]
) -> None:
    """Write a run's entries in place of the report's entries of earlier runs (call in a
    transaction). Until a run writes, its report still shows the previous run's."""
    ReportEntry.objects.filter(draft_id=draft_id, report=report).exclude(run_id=run_id).delete()
    ReportEntry.objects.bulk_create(
        ReportEntry(
            draft_id=draft_id,
            report=report,
            run_id=run_id,
            check_key=e.check,
            type=e.type,
            title=e.title[:512],
            message=e.message,
            application=e.application,
            file=e.file,
            line=e.line,
        )
        for e in entries
    )


def _still_current(run: ClaimedRun) -> bool:
    """Whether the run is running and still the draft's current run of its report.

    The conditional UPDATE (the heartbeat) locks the run's row until the transaction ends.
    """
    running = PipelineRun.objects.filter(id=run.run_id, state=State.RUNNING).update(
        heartbeat_at=timezone.now()
    )
    field = "preview_run_id" if run.report == Report.PREVIEW else "publish_run_id"
    return bool(running) and (
        ConnectorStaged.objects.filter(id=run.draft_id, **{field: run.run_id}).exists()
    )


# --- the run's progress, check by check -------------------------------------------------------


def _now_text() -> str:
    return timezone.now().isoformat()


def progress_record(check: Check) -> dict[str, Any]:
    """A check not started yet, as ``PipelineRun.checks`` holds it."""
    return {
        "key": check_key(check),
        "name": check.name,
        "started": None,
        "ended": None,
        "status": None,  # the outcome: succeeded, failed or skipped
        "seconds": None,
        "counts": None,  # findings by type, those a report could not list included
    }


def planned_checks() -> list[dict[str, Any]]:
    """The checks a run requested now will run, none started: a queued run's progress."""
    return [progress_record(check) for check in default_checks()]


class Progress:
    """The run's checks as they go, written to ``PipelineRun.checks``.

    The check threads record their start and the run's thread their end; each change
    writes the whole list under one lock (never inside a transaction, so a write never
    waits for a row lock while holding it).
    """

    def __init__(self, run_id: uuid.UUID, checks: Sequence[Check]) -> None:
        self.run_id = run_id
        self.records = [progress_record(check) for check in checks]
        self._lock = threading.Lock()

    def save(self) -> None:
        with self._lock:
            self._save()

    def _save(self) -> None:
        PipelineRun.objects.filter(id=self.run_id).update(
            checks=[dict(record) for record in self.records]
        )

    def started(self, index: int) -> None:
        with self._lock:
            self.records[index]["started"] = _now_text()
            self._save()

    def ended(self, index: int, outcome: CheckOutcome, seconds: float) -> None:
        counts = {kind: 0 for kind in EntryType.values}
        for finding in outcome.findings:
            counts[finding.type] = counts.get(finding.type, 0) + 1
        with self._lock:
            record = self.records[index]
            record.update(
                ended=_now_text(),
                status=outcome.status,
                seconds=round(seconds, 3),
                counts=counts,
            )
            self._save()


# --- finishing ---------------------------------------------------------------------------------


def finish(run: ClaimedRun, *, succeeded: bool, state: str | None = None) -> bool:
    """Set the draft's outcome and bump its version. False if the run was no longer current.

    Locks the draft row. Publishing success creates/updates the production Connector
    (private publish) or sends the draft to certification.
    """
    final_state = state or (State.SUCCEEDED if succeeded else State.FAILED)
    with transaction.atomic():
        draft = (
            ConnectorStaged.objects.select_for_update(no_key=True, of=("self",))
            .select_related("connector")
            .filter(id=run.draft_id)
            .first()
        )
        ended = PipelineRun.objects.filter(id=run.run_id, state=State.RUNNING).update(
            state=final_state, finished_at=timezone.now()
        )
        if draft is None or not ended:
            return False
        change = Change(draft=draft, actor=PIPELINE)
        if run.report == Report.PREVIEW:
            if draft.preview_run_id != run.run_id:
                return False
            outcome = Previewable.TRUE if succeeded else Previewable.FALSE
            ensure_preview_transition(draft.is_previewable, outcome)
            change.set("is_previewable", outcome)
            summary = f"preview {'succeeded' if succeeded else 'failed'}"
        else:
            if draft.publish_run_id != run.run_id or draft.status != Status.PROCESSING:
                return False
            if not succeeded:
                set_status(change, Status.FAILED)
            elif run.certification:
                set_status(change, Status.READY_FOR_CERTIFICATION)
            else:
                set_status(change, Status.PUBLISHED)
                publish_to_production(draft=draft, certified=False)
            summary = f"publishing ended: {draft.status}"
        commit(change, kind=DraftEvent.Kind.STATE, summary=summary)
    return True


# --- the run ------------------------------------------------------------------------------------


def _applications(root, spec) -> list[Application]:
    from .spec.acceptance import read_specification

    path = root / "connect.yaml"
    if not path.is_file():
        return []
    try:
        accepted = read_specification(path.read_bytes())
    except Exception:
        return []
    return [Application(name=n, type=t, path=root / n) for n, t in accepted.applications]


def _load_spec(root):
    from .spec.loader import load_spec

    path = root / "connect.yaml"
    try:
        return load_spec(path.read_bytes()) if path.is_file() else None
    except Exception:
        return None


def run_check(
    check: Check, context: CheckContext, *, retry_seconds: float | None = None
) -> tuple[CheckOutcome, float]:
    """Run one check to an outcome, and how long it took; never raises.

    A transient failure (an outside service down) is tried again with backoff for up to
    ``retry_seconds``; after that, or on any other exception, the check ends failed with an
    Error entry that says what went wrong, and the other checks are not affected.
    """
    budget = settings.CONNECTORS_CHECK_RETRY_SECONDS if retry_seconds is None else retry_seconds
    started = time.perf_counter()
    delay = RETRY_FIRST_DELAY_SECONDS
    tries = 0
    while True:
        tries += 1
        try:
            outcome = check.run(context)
            break
        except TransientCheckError as exc:
            elapsed = time.perf_counter() - started
            if elapsed + delay > budget:
                outcome = _unreachable_outcome(check, exc, tries, elapsed)
                break
            logger.warning("%s: %s; trying again in %.0f s", check.name, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_DELAY_SECONDS)
        except Exception as exc:
            logger.exception("The check %s failed unexpectedly", check.name)
            problem = f"The check stopped on an internal error ({type(exc).__name__})."
            outcome = CheckOutcome(
                status="failed",
                findings=[Finding(type="Error", message=problem)],
                summary=problem,
            )
            break
    return outcome, time.perf_counter() - started


def run_check_in_thread(
    check: Check, context: CheckContext, started: Callable[[], None] | None = None
) -> tuple[CheckOutcome, float]:
    """``run_check`` in a pool thread: the database connections it opened close with it.

    ``started`` is called first, in the thread (the run records the check's start).
    """
    try:
        if started is not None:
            try:
                started()
            except Exception:
                logger.warning("Could not record the start of %s", check.name, exc_info=True)
        return run_check(check, context)
    finally:
        connections.close_all()


def _unreachable_outcome(
    check: Check, error: TransientCheckError, tries: int, elapsed: float
) -> CheckOutcome:
    problem = (
        f"{check.name} could not run: {error}. Tried {tries} time(s) over {elapsed:.0f} s; "
        "the other checks ran as usual. Run the preview again later."
    )
    return CheckOutcome(
        status="failed",
        findings=[Finding(type="Error", message=problem)],
        summary=problem,
    )


def execute(
    run: ClaimedRun, checks: Iterable[Check] | None = None, *, stop: threading.Event | None = None
) -> bool:
    """Fetch, check, write entries. True when no check failed.

    Entries are only ever added: a check that fails (for now or for good) ends with its own
    Error entry, and the entries of the checks that finished stay. Each check's start and
    end go to ``PipelineRun.checks``. ``stop`` (set when the run is found over, e.g.
    cancelled) reaches the checks as ``context.options["stop"]``; a run no longer current
    writes nothing more, and returns once the checks already going have returned.
    """
    from .repositories import RepositoryRejected, checkout

    kind = "Preview" if run.report == Report.PREVIEW else "Publishing"
    if not write_entries(
        run,
        [
            NewEntry(
                EntryType.INFORMATION, f"{kind} started", f"Fetching {run.url} at tag {run.tag}."
            )
        ],
    ):
        return False
    chosen = list(checks) if checks is not None else default_checks()
    progress = Progress(run.run_id, chosen)
    progress.save()
    timings: dict[str, float] = {}
    failed = False
    try:
        started = time.perf_counter()
        with checkout(run.url, run.tag, owner=str(run.run_id)) as repository:
            timings["fetch"] = time.perf_counter() - started
            if (stop is not None and stop.is_set()) or run_is_over(run.run_id):
                return False  # cancelled while fetching: no check starts
            context = CheckContext(
                root=repository.path,
                applications=_applications(repository.path, None),
                spec=_load_spec(repository.path),
            )
            context.options["run_id"] = run.run_id  # the build checks keep their logs with it
            context.options["stop"] = stop or threading.Event()
            # The checks only read the checkout, so they run side by side (Semgrep, the
            # slowest, is a subprocess); their entries are still written in check order,
            # each as soon as it and the checks before it have ended.
            room = settings.CONNECTORS_MAX_ENTRIES_PER_RUN - 1  # "… started" is written
            with ThreadPoolExecutor(max_workers=len(chosen) or 1) as pool:
                # Each check's thread logs with this run's correlation and run ids.
                running = [
                    (
                        check,
                        pool.submit(
                            copy_context().run,
                            run_check_in_thread,
                            check,
                            context,
                            functools.partial(progress.started, index),
                        ),
                    )
                    for index, check in enumerate(chosen)
                ]
                for index, (check, future) in enumerate(running):
                    outcome, seconds = future.result()
                    timings[check.name] = seconds
                    failed |= outcome.status == "failed"
                    # Each check still to come keeps room for its summary line and the
                    # line counting what it could not list.
                    after = len(running) - index - 1
                    limit = max(
                        min(settings.CONNECTORS_MAX_ENTRIES_PER_CHECK, room - 1 - 2 * after), 1
                    )
                    entries = entries_for(check.name, outcome, limit=limit, key=check_key(check))
                    room -= len(entries)
                    if not write_entries(run, entries):
                        context.options["stop"].set()
                        pool.shutdown(wait=False, cancel_futures=True)
                        return False
                    progress.ended(index, outcome, seconds)
    except GitRepositoryNotReachable as exc:
        failed = True
        write_entries(
            run, [NewEntry(EntryType.ERROR, "Repository could not be fetched", exc.message)]
        )
    except RepositoryRejected as exc:
        failed = True
        write_entries(run, [NewEntry(EntryType.ERROR, "Repository rejected", str(exc))])
    PipelineRun.objects.filter(id=run.run_id).update(timings=timings)
    return not failed


def run_pipeline(run_id: str, checks: Iterable[Check] | None = None) -> None:
    """Run one claimed preview or publish to its end. Quietly returns if the run is not ours."""
    claimed = claim(run_id)
    if claimed is None:
        logger.info("Run %s is already taken or over; nothing to do", run_id)
        return
    logger.info(
        "Run %s started: %s of %s at %s",
        run_id,
        claimed.report,
        claimed.url,
        claimed.tag,
        extra={"event": "run_started", "draft_id": str(claimed.draft_id)},
    )
    with Heartbeat(claimed.run_id) as heartbeat:
        try:
            succeeded = execute(claimed, checks, stop=heartbeat.over)
        except Exception as exc:
            logger.exception("Run %s failed unexpectedly", run_id)
            write_entries(
                claimed,
                [
                    NewEntry(
                        EntryType.ERROR, "Internal error", f"The run stopped: {type(exc).__name__}."
                    )
                ],
            )
            succeeded = False
    finish(claimed, succeeded=succeeded)
    _log_run_end(claimed)


def _log_run_end(run: ClaimedRun) -> None:
    """One line per run end: its outcome, how long it took, and each check's seconds."""
    row = PipelineRun.objects.filter(id=run.run_id).values_list(
        "state", "started_at", "finished_at", "timings"
    )
    state, started_at, finished_at, timings = row.first() or ("gone", None, None, {})
    seconds = (finished_at - started_at).total_seconds() if started_at and finished_at else None
    checks = ", ".join(f"{name} {value:.1f} s" for name, value in (timings or {}).items())
    logger.info(
        "Run %s ended: %s in %s s (%s)",
        run.run_id,
        state,
        f"{seconds:.1f}" if seconds is not None else "?",
        checks or "no checks",
        extra={
            "event": "run_ended",
            "draft_id": str(run.draft_id),
            "outcome": state,
            "seconds": seconds,
            "timings": timings,
        },
    )


def run_with_retries(task, draft_id: str, run_id: str) -> None:
    """Celery glue. Transient failures are retried inside the run, check by check, so a
    task never starts a run over (which would take back entries already shown)."""
    run_pipeline(run_id)


def fail_run(run_id: str, message: str, *, state: str = State.FAILED) -> bool:
    """End a run as failed with an Error entry saying why (sweep, admin, retries exhausted)."""
    run = PipelineRun.objects.select_related("draft").filter(id=run_id).first()
    if run is None or run.state in PipelineRun.FINAL_STATES:
        return False
    if run.state == State.QUEUED:
        PipelineRun.objects.filter(id=run_id, state=State.QUEUED).update(state=State.RUNNING)
    claimed = ClaimedRun(
        run.id,
        run.draft_id,
        run.report,
        run.certification,
        run.draft.repository_url,
        run.draft.repository_tag,
    )
    write_entries(claimed, [NewEntry(EntryType.ERROR, "Run interrupted", message)])
    return finish(claimed, succeeded=False, state=state)


def cancel_run(run_id: Any, *, actor: Actor) -> bool:
    """End a queued or running run as CANCELLED; False when it is over already (or unknown).

    Locks the draft's row, then the run's (the order ``finish`` takes them in): a write of
    the run's worker in progress ends first, and every later one finds the run over. The
    draft goes back as when a run fails (``isPreviewable`` "false", or status Failed), with
    a history event and a version bump; one entry says who cancelled. A queued run's task,
    when a worker gets it, finds the run taken and does nothing.
    """
    try:
        run_id = uuid.UUID(str(run_id))
    except ValueError:
        return False
    run = PipelineRun.objects.filter(id=run_id).values("draft_id", "report").first()
    if run is None:
        return False
    kind = "Preview" if run["report"] == Report.PREVIEW else "Publishing"
    with transaction.atomic():
        draft = (
            ConnectorStaged.objects.select_for_update(no_key=True, of=("self",))
            .select_related("connector")
            .filter(id=run["draft_id"])
            .first()
        )
        cancelled = PipelineRun.objects.filter(
            id=run_id, state__in=(State.QUEUED, State.RUNNING)
        ).update(state=State.CANCELLED, finished_at=timezone.now())
        if draft is None or not cancelled:
            return False
        _insert_entries(
            draft_id=draft.id,
            report=run["report"],
            run_id=run_id,
            entries=[
                NewEntry(
                    EntryType.WARNING,
                    f"{kind} cancelled by {actor.label}",
                    "The run was cancelled before it ended: its checks did not all run. "
                    f"Request a new {kind.lower()} to check the connector.",
                )
            ],
        )
        change = Change(draft=draft, actor=actor)
        if run["report"] == Report.PREVIEW:
            if draft.preview_run_id == run_id and draft.is_previewable == Previewable.PENDING:
                ensure_preview_transition(draft.is_previewable, Previewable.FALSE)
                change.set("is_previewable", Previewable.FALSE)
        elif draft.publish_run_id == run_id and draft.status == Status.PROCESSING:
            set_status(change, Status.FAILED)
        commit(
            change, kind=DraftEvent.Kind.STATE, summary=f"{kind.lower()} cancelled by {actor.label}"
        )
    draft_id = draft.id
    transaction.on_commit(lambda: publish_draft_event(draft_id, "entry"))
    logger.info("Run %s cancelled by %s", run_id, actor.label, extra={"event": "run_cancelled"})
    return True


def mark_sent(run_id: Any) -> None:
    """Note that the broker accepted a message for the run (the sweep's resend clock)."""
    if run_id is not None:
        PipelineRun.objects.filter(id=run_id).update(sent_at=timezone.now())


class SendRun(Protocol):
    def __call__(self, *, draft_id: Any, run_id: Any, report: str) -> None: ...


def sweep_interrupted_runs(*, now=None, send: SendRun | None = None) -> int:
    """Fail runs whose worker died (no heartbeat); send again, then fail, runs no worker took.

    A QUEUED run whose task never reached the broker (it was down when the write
    committed), or that the broker has held unclaimed for CONNECTORS_RESEND_RUN_SECONDS
    (it may have lost it), is sent again with ``send``; a redelivered duplicate finds the
    run claimed and stops. A run still unclaimed after CONNECTORS_UNCLAIMED_RUN_SECONDS is
    failed. Returns the number of runs failed.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CONNECTORS_STALE_RUN_SECONDS)
    unclaimed = now - timedelta(seconds=settings.CONNECTORS_UNCLAIMED_RUN_SECONDS)
    queued = PipelineRun.objects.filter(state=State.QUEUED)
    runs = list(
        PipelineRun.objects.filter(state=State.RUNNING, heartbeat_at__lt=stale).values_list(
            "id", flat=True
        )
    ) + list(queued.filter(created_at__lt=unclaimed).values_list("id", flat=True))
    swept = 0
    for run_id in runs:
        swept += fail_run(
            str(run_id),
            "The run was interrupted (its worker stopped before finishing, or none took it). "
            "Request it again.",
            state=State.INTERRUPTED,
        )
    if send is not None:
        resend_unclaimed_runs(send, now=now)
    return swept


def resend_unclaimed_runs(send: SendRun, *, now) -> int:
    """Send again the QUEUED runs the broker may not hold (see sweep_interrupted_runs)."""
    due = now - timedelta(seconds=settings.CONNECTORS_RESEND_RUN_SECONDS)
    # A run is sent after its write commits: give that send a moment before counting it lost.
    never_sent = Q(sent_at__isnull=True, created_at__lt=now - timedelta(seconds=SEND_GRACE_SECONDS))
    runs = PipelineRun.objects.filter(never_sent | Q(sent_at__lt=due), state=State.QUEUED)
    resent = 0
    for run_id, draft_id, report in runs.values_list("id", "draft_id", "report"):
        logger.info("Sending run %s again: no worker has taken it", run_id)
        send(draft_id=draft_id, run_id=run_id, report=report)
        resent += 1
    return resent


def _modified_after(path: Path, moment: datetime) -> bool:
    with contextlib.suppress(OSError):
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) > moment
    return False


def clear_abandoned_checkouts(*, now=None) -> int:
    """Remove the checkouts (and stop their processes) that no live run owns.

    A checkout is kept while its run is RUNNING with a heartbeat newer than
    CONNECTORS_STALE_RUN_SECONDS. A checkout of a run this database does not know (another
    installation's, or a test's, sharing the folder; or a run deleted with its draft) is
    kept until it is older than that too: its owner may be alive elsewhere. Anything else
    was left by a worker that died. Returns the number of checkouts removed.
    """
    from .repositories import leftover_checkouts, remove_checkout

    leftovers = leftover_checkouts()
    if not leftovers:
        return 0
    fresh = (now or timezone.now()) - timedelta(seconds=settings.CONNECTORS_STALE_RUN_SECONDS)
    owners = []
    for owner in leftovers:
        with contextlib.suppress(ValueError):
            owners.append(uuid.UUID(owner))
    known = PipelineRun.objects.filter(id__in=owners)
    live = {
        str(run_id)
        for run_id in known.filter(state=State.RUNNING, heartbeat_at__gte=fresh).values_list(
            "id", flat=True
        )
    }
    ours = {str(run_id) for run_id in known.values_list("id", flat=True)}
    removed = 0
    for owner, paths in leftovers.items():
        if owner in live:
            continue
        for path in paths:
            if owner not in ours and _modified_after(path, fresh):
                continue
            logger.warning("Removing the checkout %s: its run %s is not running", path, owner)
            remove_checkout(path)
            removed += 1
    return removed


RunFunction = Callable[[str], None]
