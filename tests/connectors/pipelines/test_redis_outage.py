"""A Redis outage under a running stack: uvicorn, a worker and beat on a Redis of the test's own.

Redis is the broker, the cache and the event channel at once; stopping it must not lose a
write, break a read, or stop the worker, and previews must go on once it is back.
"""

from __future__ import annotations

import time

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.db import connection

from connectors import samples
from connectors.models import ConnectorStaged, PipelineRun, Project
from connectors.samples import good_connector_files
from tests.benchmarks.load import Session, sign_in
from tests.conftest import draft_body

from . import live_stack
from .live_stack import RedisServer, WebServer, bearer_token, wait_until

pytestmark = pytest.mark.worker

PASSWORD = "correct horse battery staple"
PREVIEW = {"action": "updatePreviewable"}
# A run the worker took to its end (its checks' verdict is not this test's business).
COMPLETED = {"succeeded", "failed"}


# The worker pools ./workbench run (threads) and the compose file (prefork) use.
@pytest.fixture(params=["threads", "prefork"])
def stack(request, transactional_db, settings, tmp_path):
    """Redis, uvicorn, a worker and beat; yields a namespace and stops them all afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("the stack shares PostgreSQL with the test process")
    # The server checks the client secret with the production hashers.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    redis = RedisServer(tmp_path / "redis").start()
    env = live_stack.stack_environment(
        tmp_path,
        redis,
        CONNECTORS_SWEEP_INTERVAL_SECONDS="1",
        CONNECTORS_RESEND_RUN_SECONDS="3",
    )
    processes = [
        WebServer(env, tmp_path),
        live_stack.worker(env, tmp_path, f"--pool={request.param}", "--concurrency=2"),
        live_stack.beat(env, tmp_path),
    ]
    for process in processes:
        process.start()

    class Stack:
        pass

    running = Stack()
    running.redis = redis
    running.web, running.worker, running.beat = processes
    yield running
    for process in reversed(processes):
        process.stop()
    redis.stop()


def update(web: WebServer, auth: dict[str, str], draft_id: str, version: int, *actions: dict):
    return web.request(
        "POST",
        f"/connectors/drafts/{draft_id}",
        body={"version": version, "actions": list(actions)},
        headers=auth,
    )


def dashboard(web: WebServer, project_key: str) -> Session:
    """A creator of the project, signed in to the dashboard."""
    user = get_user_model().objects.create_user(username="outage-creator", password=PASSWORD)
    Project.objects.get(key=project_key).members.add(user)
    host, port = web.base.removeprefix("http://").split(":")
    session = Session(host, int(port))
    session.cookies.update(sign_in(host, int(port), "outage-creator", PASSWORD))
    return session


def preview_settled(draft_id: str) -> str | None:
    value = ConnectorStaged.objects.filter(id=draft_id).values_list("is_previewable", flat=True)
    state = value.first()
    return state if state != "pending" else None


def test_a_redis_outage_loses_no_write_breaks_no_read_and_previews_resume(stack, tmp_path):
    repository = samples.create_repository(tmp_path / "repository", good_connector_files())
    web = stack.web
    auth = bearer_token(web, "outage-shop")
    pages = dashboard(web, "outage-shop")
    status, draft = web.request(
        "POST", "/connectors/drafts", body=draft_body(repository.url), headers=auth
    )
    assert status == 201, draft
    status, pending = update(web, auth, draft["id"], draft["version"], PREVIEW)
    assert status == 201, pending
    first_run = ConnectorStaged.objects.get(id=draft["id"]).preview_run_id
    wait_until(
        lambda: PipelineRun.objects.filter(id=first_run, state="running").exists(),
        60,
        0.05,
        what="the worker to take the preview",
    )

    stack.redis.stop()

    # Reads answer from the database: the API, the dashboard and its long poll.
    status, read = web.request("GET", f"/connectors/drafts/{draft['id']}", headers=auth)
    assert status == 200, read
    status, page = web.request("GET", "/connectors/drafts?limit=5", headers=auth)
    assert (status, page["total"]) == (200, 1), page
    assert pages.request("GET", "/")[0] == 200
    assert pages.request("GET", f"/drafts/{draft['id']}/")[0] == 200
    status, _ = pages.request(
        "GET", f"/drafts/{draft['id']}/live/?wait=1&seen=0", headers={"HX-Request": "true"}
    )
    assert status == 200

    # A write that commits says so, with the committed version.
    rename = {"action": "setName", "name": "Renamed"}
    status, renamed = update(web, auth, draft["id"], read["version"], rename)
    assert status == 201, renamed
    stored = ConnectorStaged.objects.get(id=draft["id"])
    assert (renamed["version"], renamed["name"]) == (stored.version, stored.name)
    assert (stored.version, stored.name) == (read["version"] + 1, "Renamed")

    # The running preview does not need Redis to end.
    assert wait_until(lambda: preview_settled(draft["id"]), 180, 0.2, what="the first preview")
    assert PipelineRun.objects.get(id=first_run).state in COMPLETED

    # A preview requested now cannot reach the broker: the write still answers what it did.
    version = ConnectorStaged.objects.get(id=draft["id"]).version
    status, again = update(web, auth, draft["id"], version, PREVIEW)
    assert (status, again["isPreviewable"]) == (201, "pending"), again
    stored = ConnectorStaged.objects.get(id=draft["id"])
    assert stored.version == again["version"]
    second_run = stored.preview_run_id
    assert PipelineRun.objects.get(id=second_run).sent_at is None

    time.sleep(5)  # the worker and beat keep trying to reach the broker meanwhile
    assert stack.worker.alive(), stack.worker.output()[-3000:]
    assert stack.beat.alive(), stack.beat.output()[-3000:]

    stack.redis.start()

    # The run whose task never reached the broker is sent again and completes.
    assert wait_until(lambda: preview_settled(draft["id"]), 180, 0.2, what="the second preview")
    run = PipelineRun.objects.get(id=second_run)
    assert run.state in COMPLETED, stack.worker.output()[-3000:]
    assert run.sent_at is not None
    assert stack.worker.alive() and stack.beat.alive()
    status, done = web.request("GET", f"/connectors/drafts/{draft['id']}", headers=auth)
    assert status == 200
    titles = [entry["title"] for entry in done["previewableReport"]["entries"]]
    assert titles[0] == "Preview started" and "Run interrupted" not in titles, titles
    assert "Connector specification file validation check succeeded" in titles, titles
