"""Runs check by check: entries name their check, the run's summary, queued runs and workers,
the previous report kept until the new run writes, and cancelling a queued or running run."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connections

from connectors import pipelines, run_summary, samples, services
from connectors.checks.base import CheckOutcome, Finding
from connectors.drafts import Actor
from connectors.errors import InvalidOperation
from connectors.models import ConnectorStaged, DraftEvent, PipelineRun, ReportEntry
from connectors.monitoring import HEARTBEAT_KEY, worker_alive
from tests.conftest import draft_body

from .conftest import finding_changes, wait_for


class FixedCheck:
    """A real check that reports what it is given."""

    def __init__(self, name: str, status: str, *findings: Finding) -> None:
        self.name = name
        self.status = status
        self.findings = list(findings)

    def run(self, context):
        return CheckOutcome(self.status, list(self.findings), summary=f"{self.name} looked.")


class WaitsForStop:
    """Blocks until the run tells its checks to stop (the heartbeat finds the run over)."""

    name = "Waits for stop"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = False

    def run(self, context):
        self.started.set()
        self.stopped = context.options["stop"].wait(timeout=60)
        return CheckOutcome("succeeded", [Finding("Information", "written after stopping")])


class IgnoresStop:
    """Takes no notice of the stop signal: returns once it sees its run over in the database."""

    name = "Ignores stop"

    def __init__(self) -> None:
        self.started = threading.Event()

    def run(self, context):
        self.started.set()
        run_id = context.options["run_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not pipelines.run_is_over(run_id):
            time.sleep(0.1)
        return CheckOutcome("failed", [Finding("Error", "written after cancellation")])


def entries_of(draft) -> list[tuple[str, str, str]]:
    return list(
        ReportEntry.objects.filter(draft_id=draft.id)
        .order_by("id")
        .values_list("check_key", "type", "title")
    )


def request_preview(api, draft_id, version, capture):
    with capture(execute=False):
        response = api.post(
            f"/connectors/drafts/{draft_id}",
            {"version": version, "actions": [{"action": "updatePreviewable"}]},
        )
    assert response.status_code == 201, response.content
    return ConnectorStaged.objects.get(id=draft_id)


# --- every entry names its check --------------------------------------------------------------


def test_every_entry_of_every_check_names_its_check(
    api, advisory_data, tmp_path, django_capture_on_commit_callbacks
):
    files = samples.good_connector_files()
    for changes in finding_changes().values():
        files = samples.merge(files, changes)
    repository = samples.create_repository(tmp_path / "findings", files)
    created = api.post("/connectors/drafts", draft_body(repository.url, key="findings")).json()
    draft = request_preview(api, created["id"], 1, django_capture_on_commit_callbacks)

    pipelines.run_pipeline(str(draft.preview_run_id))

    entries = entries_of(draft)
    assert entries[0] == ("", "Information", "Preview started")
    keys = {
        "Connector specification file validation": "specification",
        "Repository structure": "structure",
        "Dependency analysis": "dependencies",
        "Code analysis": "code",
        "Secret scanning": "secrets",
    }
    for key, _type, title in entries[1:]:
        name = title.rsplit(" check ", 1)[0]
        assert key == keys[name], (key, title)
    findings = {key for key, _type, title in entries if " check " not in title and key}
    assert findings == {"dependencies", "code", "secrets"}, entries
    # The API shows what the Connect API shows: no check field.
    body = api.get(f"/connectors/drafts/{draft.id}").json()
    for entry in body["previewableReport"]["entries"]:
        assert set(entry) <= {
            "type",
            "title",
            "message",
            "createdAt",
            "application",
            "file",
            "line",
        }


def test_the_build_checks_have_their_short_names_too(settings):
    settings.CONNECTORS_BUILD_CHECKS = True
    assert [pipelines.check_key(check) for check in pipelines.default_checks()] == [
        "specification",
        "structure",
        "build",
        "tests",
        "dependencies",
        "code",
        "secrets",
    ]


def test_older_entries_get_their_check_from_their_title(draft):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("connectors.migrations.0007_run_checks_and_cancel")
    for title in ("Code analysis check failed", "Code analysis", "Preview started", "Unit test"):
        ReportEntry.objects.create(draft=draft, report="preview", type="Error", title=title)
    migration.name_the_checks(apps, None)
    assert [key for key, _type, _title in entries_of(draft)] == ["code", "code", "", "tests"]


# --- the summary of a run ------------------------------------------------------------------------


def test_the_summary_shows_each_check_in_order_with_its_state_counts_and_findings(
    api, create_draft, django_capture_on_commit_callbacks
):
    created = create_draft()
    draft = request_preview(api, created["id"], 1, django_capture_on_commit_callbacks)
    queued = run_summary.run_summary(draft)
    assert queued.state == "queued" and not queued.over
    assert [c.key for c in queued.checks] == [
        "specification",
        "structure",
        "dependencies",
        "code",
        "secrets",
    ]
    assert {c.state for c in queued.checks} == {"queued"}

    checks = [
        FixedCheck("Passing", "succeeded", Finding("Information", "all good")),
        FixedCheck(
            "Warning",
            "succeeded",
            Finding("Warning", "old lockfile", application="service", file="a.json", line=3),
            Finding("Information", "noted"),
        ),
        FixedCheck(
            "Failing",
            "failed",
            Finding("Error", "eval of request input", file="service/src/run.js", line=4),
            Finding("Error", "another", file="service/src/other.js", line=9),
        ),
    ]
    pipelines.run_pipeline(str(draft.preview_run_id), checks=checks)

    summary = run_summary.run_summary(draft)
    assert summary.state == "failed" and summary.over
    assert summary.seconds is not None and summary.seconds > 0
    assert summary.fetch_seconds is not None and summary.waiting_seconds is not None
    assert summary.worker_alive is None  # asked only while a run waits
    assert [(c.key, c.name, c.state) for c in summary.checks] == [
        ("passing", "Passing", "passed"),
        ("warning", "Warning", "warning"),
        ("failing", "Failing", "failed"),
    ]
    passing, warning, failing = summary.checks
    assert (passing.errors, passing.warnings, passing.information) == (0, 0, 1)
    assert (warning.errors, warning.warnings, warning.information) == (0, 1, 1)
    assert (failing.errors, failing.warnings, failing.information) == (2, 0, 0)
    assert all(c.seconds is not None and c.seconds >= 0 for c in summary.checks)
    assert warning.message == "Warning looked."
    assert [(f.type, f.file, f.line, f.message) for f in failing.findings] == [
        ("Error", "service/src/run.js", 4, "eval of request input"),
        ("Error", "service/src/other.js", 9, "another"),
    ]
    assert warning.findings[0].application == "service"
    assert [note.title for note in summary.notes] == ["Preview started"]


def test_a_draft_without_runs_has_no_summary(draft):
    assert run_summary.run_summary(draft) is None
    assert run_summary.run_summary(draft, "publishing") is None
    assert run_summary.superseded_entries(draft) == []


# --- the previous report stays until the new run writes ------------------------------------------


def test_the_previous_report_stays_until_the_new_run_writes_its_first_entry(
    api, create_draft, django_capture_on_commit_callbacks
):
    created = create_draft()
    draft = request_preview(api, created["id"], 1, django_capture_on_commit_callbacks)
    pipelines.run_pipeline(
        str(draft.preview_run_id), checks=[FixedCheck("Old", "succeeded", Finding("Warning", "x"))]
    )
    first_run = draft.preview_run_id
    old = list(ReportEntry.objects.filter(run_id=first_run).values_list("id", flat=True))
    assert len(old) == 3

    draft = request_preview(api, draft.id, 3, django_capture_on_commit_callbacks)
    # Kept in the database and given to the page as superseded...
    assert [e.id for e in run_summary.superseded_entries(draft)] == old
    # ...while the API shows the new run's report, empty, as it always has.
    body = api.get(f"/connectors/drafts/{draft.id}").json()
    assert body["isPreviewable"] == "pending" and "previewableReport" not in body
    listed = api.get("/connectors/drafts").json()["results"]
    assert all("previewableReport" not in row for row in listed)
    assert run_summary.run_summary(draft).state == "queued"

    claimed = pipelines.claim(str(draft.preview_run_id))
    assert ReportEntry.objects.filter(run_id=first_run).count() == 3  # a claim writes nothing
    assert pipelines.write_entries(claimed, [pipelines.NewEntry("Information", "Preview started")])
    assert not ReportEntry.objects.filter(run_id=first_run).exists()
    assert run_summary.superseded_entries(draft) == []
    body = api.get(f"/connectors/drafts/{draft.id}").json()
    assert [e["title"] for e in body["previewableReport"]["entries"]] == ["Preview started"]


# --- queued runs, workers, cancelling --------------------------------------------------------


@pytest.mark.worker
def test_a_queued_run_without_a_worker_says_so_and_a_worker_then_completes_it(
    worker_factory, advisory_data, api, pipeline_repositories
):
    cache.delete(HEARTBEAT_KEY)  # no worker of an earlier test seems alive
    created = api.post("/connectors/drafts", draft_body(pipeline_repositories["good"].url)).json()
    response = api.post(
        f"/connectors/drafts/{created['id']}",
        {"version": 1, "actions": [{"action": "updatePreviewable"}]},
    )
    assert response.status_code == 201
    first = run_summary.run_summary(created["id"])
    assert first.state == "queued" and first.worker_alive is False
    assert not worker_alive()
    time.sleep(1.2)
    later = run_summary.run_summary(created["id"])
    assert later.state == "queued" and later.worker_alive is False
    assert later.waiting_seconds >= first.waiting_seconds + 1.0

    worker_factory()
    wait_for(worker_alive, timeout=60)
    done = wait_for(
        lambda: (s := run_summary.run_summary(created["id"])) and s.over and s, timeout=180
    )
    assert done.state == "succeeded", [(c.name, c.state, c.message) for c in done.checks]
    assert {c.state for c in done.checks} <= {"passed", "warning"}
    assert done.waiting_seconds >= 1.0 and done.worker_alive is None
    assert api.get(f"/connectors/drafts/{created['id']}").json()["isPreviewable"] == "true"


def test_a_cancelled_queued_run_never_runs(
    api, client, create_draft, django_capture_on_commit_callbacks
):
    created = create_draft()
    draft = request_preview(api, created["id"], 1, django_capture_on_commit_callbacks)
    run_id = draft.preview_run_id

    assert services.cancel_run(draft_id=draft.id, actor=Actor("creator-1")) == ["preview"]

    run = PipelineRun.objects.get(id=run_id)
    assert run.state == "cancelled" and run.finished_at is not None
    draft.refresh_from_db()
    assert draft.is_previewable == "false" and draft.version == 3
    event = DraftEvent.objects.filter(draft=draft).order_by("id").last()
    assert (event.summary, event.actor, event.version) == (
        "preview cancelled by creator-1",
        "creator-1",
        3,
    )
    assert entries_of(draft) == [("", "Warning", "Preview cancelled by creator-1")]
    summary = run_summary.run_summary(draft)
    assert summary.state == "cancelled" and {c.state for c in summary.checks} == {"stopped"}
    assert [note.title for note in summary.notes] == ["Preview cancelled by creator-1"]

    # Its task, delivered later, finds the run over and does nothing.
    check = FixedCheck("Never", "succeeded")
    pipelines.run_pipeline(str(run_id), checks=[check])
    assert entries_of(draft) == [("", "Warning", "Preview cancelled by creator-1")]
    with pytest.raises(InvalidOperation, match="no preview to cancel"):
        services.cancel_run(draft_id=draft.id, actor=Actor("creator-1"), report="preview")

    # Previewable again, and the metrics count the cancellation.
    again = api.post(
        f"/connectors/drafts/{draft.id}",
        {"version": 3, "actions": [{"action": "updatePreviewable"}]},
    )
    assert again.status_code == 201 and again.json()["isPreviewable"] == "pending"
    metrics = client.get("/metrics").content.decode()
    assert 'workbench_runs_total{outcome="cancelled",report="preview"} 1.0' in metrics
    assert 'workbench_runs_total{outcome="cancelled",report="publishing"} 0.0' in metrics


def test_a_cancelled_publish_fails_the_publishing(
    api, create_draft, django_capture_on_commit_callbacks
):
    created = create_draft()
    with django_capture_on_commit_callbacks(execute=False):
        api.post(
            f"/connectors/drafts/{created['id']}",
            {"version": 1, "actions": [{"action": "publish", "certification": False}]},
        )
    draft = ConnectorStaged.objects.get(id=created["id"])
    assert draft.status == "Processing"
    assert services.cancel_run(run_id=draft.publish_run_id, actor=Actor("support")) == [
        "publishing"
    ]
    draft.refresh_from_db()
    assert draft.status == "Failed"
    assert entries_of(draft) == [("", "Warning", "Publishing cancelled by support")]
    assert (
        DraftEvent.objects.filter(draft=draft).last().summary == "publishing cancelled by support"
    )


@pytest.mark.django_db(transaction=True)
def test_a_running_run_cancelled_writes_nothing_more_and_its_checks_are_told(
    api, create_draft, settings
):
    created = create_draft()
    response = api.post(
        f"/connectors/drafts/{created['id']}",
        {"version": 1, "actions": [{"action": "updatePreviewable"}]},
    )
    assert response.status_code == 201
    draft = ConnectorStaged.objects.get(id=created["id"])
    waits, ignores = WaitsForStop(), IgnoresStop()
    checks = [FixedCheck("Passing", "succeeded", Finding("Information", "fine")), waits, ignores]

    def run() -> None:
        try:
            pipelines.run_pipeline(str(draft.preview_run_id), checks=checks)
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert waits.started.wait(30) and ignores.started.wait(30)
        wait_for(lambda: ReportEntry.objects.filter(title="Passing check succeeded").exists(), 30)
        running = run_summary.run_summary(draft)
        assert running.state == "running" and running.seconds > 0
        assert [c.state for c in running.checks] == ["passed", "running", "running"]
        assert running.checks[1].seconds is not None

        assert services.cancel_run(draft_id=draft.id, actor=Actor("creator-1")) == ["preview"]
        cancelled_at = ReportEntry.objects.get(title="Preview cancelled by creator-1")
    finally:
        worker.join(timeout=60)
    assert not worker.is_alive()

    assert waits.stopped, "the heartbeat told the waiting check to stop"
    assert PipelineRun.objects.get(id=draft.preview_run_id).state == "cancelled"
    entries = entries_of(draft)
    assert entries == [
        ("", "Information", "Preview started"),
        ("passing", "Information", "Passing check succeeded"),
        ("passing", "Information", "Passing"),
        ("", "Warning", "Preview cancelled by creator-1"),
    ]
    assert not ReportEntry.objects.filter(id__gt=cancelled_at.id).exists()
    draft.refresh_from_db()
    assert draft.is_previewable == "false"
    assert draft.version == 3  # the request, then the cancellation; the run's end changed nothing
    summaries = list(DraftEvent.objects.filter(draft=draft).values_list("summary", flat=True))
    assert summaries[-1] == "preview cancelled by creator-1"
    summary = run_summary.run_summary(draft)
    assert [c.state for c in summary.checks] == ["passed", "stopped", "stopped"]

    again = api.post(
        f"/connectors/drafts/{draft.id}",
        {"version": 3, "actions": [{"action": "updatePreviewable"}]},
    )
    assert again.status_code == 201 and again.json()["isPreviewable"] == "pending"
