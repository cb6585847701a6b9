"""The sweep sends again runs the broker may not hold, and fails them after a bound.

The runs here are requested through the API inside the test's transaction, so their
after-commit send never happens: exactly a run whose task never reached the broker. The
sweep's sends go to the real test broker, on a queue of the test's own, and are read back
from Redis.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from connectors import pipelines, tasks
from connectors.models import ConnectorStaged, PipelineRun, ReportEntry


@pytest.fixture
def queue():
    from config.celery import app

    name = f"test-sweep-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = "connectors"
    redis.Redis.from_url(app.conf.broker_url).delete(name)


def sent_run_ids(queue: str) -> list[str]:
    """The run ids of the task messages waiting in ``queue``, oldest first."""
    from config.celery import app

    raw = redis.Redis.from_url(app.conf.broker_url).lrange(queue, 0, -1)
    ids = []
    for item in reversed(raw):  # kombu pushes on the left
        message = json.loads(item)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids.append(args[1])
    return ids


@pytest.fixture
def unsent(api, create_draft, django_capture_on_commit_callbacks) -> PipelineRun:
    draft = create_draft()
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(
            f"/connectors/drafts/{draft['id']}",
            {"version": 1, "actions": [{"action": "updatePreviewable"}]},
        )
    assert response.status_code == 201, response.content
    run_id = ConnectorStaged.objects.get(id=draft["id"]).preview_run_id
    return PipelineRun.objects.get(id=run_id)


def age(run: PipelineRun, **fields: timedelta) -> None:
    PipelineRun.objects.filter(id=run.id).update(
        **{name: timezone.now() - delta for name, delta in fields.items()}
    )


def sweep() -> int:
    return pipelines.sweep_interrupted_runs(send=tasks.send_run)


def test_a_run_that_never_reached_the_broker_is_sent_once_by_the_sweep(unsent, queue):
    assert unsent.sent_at is None
    assert sweep() == 0
    assert sent_run_ids(queue) == [], "a run just requested gets time for its own send"

    age(unsent, created_at=timedelta(seconds=30))
    assert sweep() == 0
    assert sent_run_ids(queue) == [str(unsent.id)]
    unsent.refresh_from_db()
    assert (unsent.state, unsent.sent_at is not None) == ("queued", True)

    assert sweep() == 0
    assert sent_run_ids(queue) == [str(unsent.id)], "a run the broker just took is not resent"


def test_a_run_the_broker_held_unclaimed_too_long_is_sent_again(unsent, queue, settings):
    settings.CONNECTORS_RESEND_RUN_SECONDS = 120
    age(unsent, created_at=timedelta(minutes=5), sent_at=timedelta(seconds=100))
    sweep()
    assert sent_run_ids(queue) == []
    age(unsent, sent_at=timedelta(seconds=130))
    sweep()
    assert sent_run_ids(queue) == [str(unsent.id)]


def test_a_run_no_worker_took_within_the_bound_is_failed_not_resent(unsent, queue, settings):
    settings.CONNECTORS_UNCLAIMED_RUN_SECONDS = 600
    age(unsent, created_at=timedelta(seconds=601), sent_at=timedelta(seconds=500))
    assert sweep() == 1
    assert sent_run_ids(queue) == []
    unsent.refresh_from_db()
    assert unsent.state == "interrupted"
    draft = ConnectorStaged.objects.get(id=unsent.draft_id)
    assert draft.is_previewable == "false"
    entry = ReportEntry.objects.filter(draft=draft).last()
    assert (entry.type, entry.title) == ("Error", "Run interrupted")


def test_a_run_a_worker_took_is_never_sent_again(unsent, queue):
    age(unsent, created_at=timedelta(seconds=30))
    sweep()
    PipelineRun.objects.filter(id=unsent.id).update(state="running", heartbeat_at=timezone.now())
    age(unsent, sent_at=timedelta(hours=1))
    sweep()
    assert sent_run_ids(queue) == [str(unsent.id)], "a running run is never sent again"
