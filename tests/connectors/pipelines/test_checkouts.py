"""A worker killed during a run leaves its checkout behind; the next worker clears it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from connectors.models import ConnectorStaged, PipelineRun
from tests.conftest import draft_body

from .conftest import wait_for

pytestmark = pytest.mark.worker


def checkouts_of(folder: Path, run_id) -> list[Path]:
    return sorted(folder.glob(f"run-{run_id}-*")) if folder.is_dir() else []


def alive(process: subprocess.Popen) -> bool:
    return process.poll() is None


def test_a_new_worker_clears_what_a_killed_worker_left_and_keeps_live_checkouts(
    worker_factory, api, pipeline_repositories, tmp_path
):
    folder = tmp_path / "checkouts"
    first = worker_factory(CONNECTORS_CHECKOUT_DIR=str(folder))
    response = api.post("/connectors/drafts", draft_body(pipeline_repositories["good"].url))
    assert response.status_code == 201, response.content
    draft = response.json()
    response = api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": draft["version"], "actions": [{"action": "updatePreviewable"}]},
    )
    assert response.status_code == 201, response.content
    run_id = ConnectorStaged.objects.get(id=draft["id"]).preview_run_id

    # Killed while its checkout is on disk.
    wait_for(lambda: checkouts_of(folder, run_id), timeout=60, interval=0.005)
    first.kill()
    left = checkouts_of(folder, run_id)
    assert left and left[0].is_dir()
    # Stands in for the git command the killed worker had started: its own session, working
    # inside the checkout, outliving the worker.
    lingering = subprocess.Popen(["sleep", "600"], cwd=left[0], start_new_session=True)
    # The run's heartbeat stopped with the worker; let it be a minute old.
    PipelineRun.objects.filter(id=run_id).update(heartbeat_at=timezone.now() - timedelta(minutes=1))

    # Another run, alive on another worker: its checkout stays.
    live = PipelineRun.objects.create(
        draft_id=draft["id"], report="preview", state="running", heartbeat_at=timezone.now()
    )
    kept = folder / f"run-{live.id}-inuse"
    (kept / "repository").mkdir(parents=True)
    (kept / "repository" / "connect.yaml").write_text("deployAs: []\n")
    unrelated = folder / "notes"
    unrelated.mkdir()

    try:
        second = worker_factory(CONNECTORS_CHECKOUT_DIR=str(folder))
        wait_for(lambda: not checkouts_of(folder, run_id), timeout=60)
        wait_for(lambda: not alive(lingering), timeout=10)
    finally:
        if alive(lingering):
            os.killpg(lingering.pid, signal.SIGKILL)
        lingering.wait(timeout=10)
    time.sleep(0.5)
    assert (kept / "repository" / "connect.yaml").is_file()
    assert unrelated.is_dir()
    assert "Removing the checkout" in second.output()


def test_a_checkout_of_a_run_this_database_does_not_know_is_left_until_it_is_stale(
    db, settings, tmp_path
):
    """Another installation (or a test run) sharing the folder: its running scanner is not
    stopped by this worker's start; once the folder is older than a stale run, it goes."""
    from connectors import pipelines

    settings.CONNECTORS_CHECKOUT_DIR = str(tmp_path)
    foreign = tmp_path / "run-00000000-0000-4000-8000-00000000beef-elsewhere"
    foreign.mkdir()
    working = subprocess.Popen(["sleep", "600"], cwd=foreign, start_new_session=True)
    try:
        assert pipelines.clear_abandoned_checkouts() == 0
        assert foreign.is_dir() and alive(working)

        later = timezone.now() + timedelta(seconds=settings.CONNECTORS_STALE_RUN_SECONDS + 60)
        assert pipelines.clear_abandoned_checkouts(now=later) == 1
        assert not foreign.exists()
        working.wait(timeout=10)
    finally:
        if alive(working):
            os.killpg(working.pid, signal.SIGKILL)
