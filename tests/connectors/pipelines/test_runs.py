"""Run claims, redelivery, supersession and the sweep, in process on real repositories."""

from __future__ import annotations

import pytest
from django.utils import timezone

from connectors import pipelines
from connectors.checks.base import CheckOutcome, Finding
from connectors.models import ConnectorStaged, PipelineRun, ReportEntry


class CountingCheck:
    """A real (tiny) check: counts how often it ran and reports one finding."""

    name = "Counting"

    def __init__(self) -> None:
        self.runs = 0

    def run(self, context):
        self.runs += 1
        return CheckOutcome(
            "succeeded", [Finding("Information", "looked", file="connect.yaml", line=1)]
        )


@pytest.fixture
def pending(api, create_draft, django_capture_on_commit_callbacks):
    draft = create_draft()
    with django_capture_on_commit_callbacks(execute=False):
        api.post(
            f"/connectors/drafts/{draft['id']}",
            {"version": 1, "actions": [{"action": "updatePreviewable"}]},
        )
    return ConnectorStaged.objects.get(id=draft["id"])


def test_a_redelivered_task_does_not_run_twice_or_duplicate_entries(pending):
    check = CountingCheck()
    pipelines.run_pipeline(str(pending.preview_run_id), checks=[check])
    pipelines.run_pipeline(str(pending.preview_run_id), checks=[check])
    assert check.runs == 1
    titles = list(ReportEntry.objects.filter(draft=pending).values_list("title", flat=True))
    assert titles == ["Preview started", "Counting check succeeded", "Counting"]
    pending.refresh_from_db()
    assert pending.is_previewable == "true"
    assert pending.version == 3


def test_a_superseded_run_writes_nothing(api, pending):
    api.post(
        f"/connectors/drafts/{pending.id}",
        {"version": 2, "actions": [{"action": "setRepository", "tag": "v1.1.0"}]},
    )
    pipelines.run_pipeline(str(pending.preview_run_id), checks=[CountingCheck()])
    pending.refresh_from_db()
    assert pending.is_previewable == "none"
    assert not ReportEntry.objects.filter(draft=pending).exists()


def test_the_sweep_fails_runs_whose_heartbeat_stopped(pending, settings):
    run = PipelineRun.objects.get(id=pending.preview_run_id)
    long_ago = timezone.now() - timezone.timedelta(minutes=10)
    PipelineRun.objects.filter(id=run.id).update(state="running", heartbeat_at=long_ago)
    assert pipelines.sweep_interrupted_runs() == 1
    pending.refresh_from_db()
    assert pending.is_previewable == "false"
    entry = ReportEntry.objects.filter(draft=pending).last()
    assert (entry.type, entry.title) == ("Error", "Run interrupted")
    assert pipelines.sweep_interrupted_runs() == 0


def test_the_sweep_leaves_live_runs_alone(pending):
    PipelineRun.objects.filter(id=pending.preview_run_id).update(
        state="running", heartbeat_at=timezone.now()
    )
    assert pipelines.sweep_interrupted_runs() == 0
    pending.refresh_from_db()
    assert pending.is_previewable == "pending"


def test_build_and_unit_test_checks_run_only_when_turned_on(settings):
    settings.CONNECTORS_BUILD_CHECKS = False
    off = [check.name for check in pipelines.default_checks()]
    settings.CONNECTORS_BUILD_CHECKS = True
    on = [check.name for check in pipelines.default_checks()]

    assert "Build" not in off and "Unit test" not in off
    assert on[:4] == [
        "Connector specification file validation",
        "Repository structure",
        "Build",
        "Unit test",
    ]
    assert set(on) - set(off) == {"Build", "Unit test"}
