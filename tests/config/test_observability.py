"""Logs, /healthz and /metrics of a running stack: gunicorn with two processes, a worker, Redis."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time

import pytest
from django.conf import global_settings
from django.db import connection

from config import logs
from connectors.models import ApiClient, PipelineRun
from connectors.services import revoke_api_client
from tests.conftest import draft_body
from tests.connectors.pipelines import live_stack
from tests.connectors.pipelines.live_stack import RedisServer, WebServer, bearer_token, wait_until

from .compose_file import compose

pytestmark = pytest.mark.worker

TOKEN_CACHE_SECONDS = 2
METRICS_TOKEN = "metrics-token-for-the-test"


def test_json_lines_carry_the_bound_ids_and_extra_fields(capsys):
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.json-lines")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with logs.bound(correlation_id="test/abc", run_id="run-1"):
            logger.warning("inside %s", "a run", extra={"outcome": "failed"})
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert inside["message"] == "inside a run" and inside["level"] == "WARNING"
    assert inside["correlation_id"] == "test/abc" and inside["run_id"] == "run-1"
    assert inside["outcome"] == "failed"
    assert outside["correlation_id"] == "-" and "run_id" not in outside


class Gunicorn(WebServer):
    """The compose file's web command, with two processes."""

    def __init__(self, env: dict[str, str], folder) -> None:
        super().__init__(env, folder)
        self.name = "gunicorn"
        self.args = [sys.executable, "-m", *compose()["services"]["web"]["command"].split()]
        self.env = {
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }


@pytest.fixture
def stack(transactional_db, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the stack shares PostgreSQL with the test process")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server's hashers
    redis = RedisServer(tmp_path / "redis").start()
    env = live_stack.stack_environment(
        tmp_path,
        redis,
        SECRET_KEY="observability-test-" + "k" * 40,
        LOG_FORMAT="json",
        WORKER_HEARTBEAT_SECONDS="1",
        HEALTH_WORKER_MAX_AGE_SECONDS="3",
        CONNECTORS_TOKEN_CACHE_SECONDS=str(TOKEN_CACHE_SECONDS),
        METRICS_TOKEN=METRICS_TOKEN,
    )
    web = Gunicorn(env, tmp_path).start()
    worker = live_stack.worker(env, tmp_path, "--pool=threads", "--concurrency=2").start()

    class Stack:
        pass

    running = Stack()
    running.redis, running.web, running.worker = redis, web, worker
    yield running
    for process in (worker, web):
        process.stop()
    redis.stop()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_stack_reports_health_metrics_and_logs_runs_with_the_request_id(stack, repositories):
    web = stack.web
    status, health = wait_until(
        lambda: (r := web.request("GET", "/healthz"))[0] == 200 and r,
        30,
        what="a healthy stack",
    )
    assert health["status"] == "ok"
    assert set(health["checks"]) == {"database", "redis", "broker", "worker"}
    assert health["checks"]["worker"]["newest_heartbeat_age_seconds"] < 3
    # The compose file's web healthcheck, as Docker would run it, against this server.
    probe = compose()["services"]["web"]["healthcheck"]["test"][-1].replace("8000", str(web.port))
    assert subprocess.run([sys.executable, "-c", probe], timeout=30).returncode == 0

    # A run requested by a request: its worker lines carry the request's correlation id.
    auth = bearer_token(web, "observed")
    api_client = ApiClient.objects.get(project__key="observed")
    correlation = {"X-Correlation-ID": "test/observed-run-1"}
    status, draft = web.request(
        "POST",
        "/connectors/drafts",
        body=draft_body(repositories["good"].url, key="observed-1"),
        headers={**auth, **correlation},
    )
    assert status == 201, draft
    update = {"version": draft["version"], "actions": [{"action": "updatePreviewable"}]}
    status, body = web.request(
        "POST", f"/connectors/drafts/{draft['id']}", body=update, headers={**auth, **correlation}
    )
    assert status == 201, body
    run = wait_until(
        lambda: (
            PipelineRun.objects.filter(draft_id=draft["id"], state__in=["succeeded", "failed"])
            .values("id", "state")
            .first()
        ),
        120,
        what="the run to end",
    )
    run_id = str(run["id"])

    def run_lines() -> list[dict]:
        return [
            line
            for line in json_lines(stack.worker.output())
            if line.get("run_id") == run_id or run_id in line["message"]
        ]

    # The end line is written just after the run's state: wait for both lines.
    lines = wait_until(
        lambda: (
            (found := run_lines())
            and {"run_started", "run_ended"} <= {line.get("event") for line in found}
            and found
        ),
        10,
        what="the run's start and end log lines",
    )
    assert {line["correlation_id"] for line in lines} == {"test/observed-run-1"}, lines
    events = {line.get("event"): line for line in lines}
    assert "run_started" in events and "run_ended" in events, [line["message"] for line in lines]
    ended = events["run_ended"]
    assert ended["outcome"] == run["state"] and ended["seconds"] > 0
    assert "fetch" in ended["timings"] and len(ended["timings"]) >= 3

    # Metrics: the run's figures, and requests counted across both gunicorn processes.
    for _ in range(10):
        assert web.request("GET", f"/connectors/drafts/{draft['id']}", headers=auth)[0] == 200
    scrapes = [web.request("GET", "/metrics")[1] for _ in range(4)]
    read_count = re.compile(
        r'workbench_http_request_duration_seconds_count\{method="GET",'
        r'route="connectors/drafts/<str:id>",status="200"\} (\S+)'
    )
    counts = {float(read_count.search(text).group(1)) for text in scrapes}
    assert counts == {10.0}, counts  # the same total whichever process answered
    text = scrapes[0]
    assert f'workbench_runs_total{{outcome="{run["state"]}",report="preview"}} 1.0' in text
    assert re.search(r'workbench_check_duration_seconds_count\{check="fetch"\} 1\.0', text)
    assert re.search(r'workbench_run_duration_seconds_count\{report="preview"\} 1\.0', text)
    assert "workbench_broker_queue_messages 0.0" in text
    assert "workbench_worker_heartbeat_age_seconds " in text

    # Through a proxy only the token opens /metrics.
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert web.request("GET", "/metrics", headers=proxied)[0] == 403
    token = {**proxied, "Authorization": f"Bearer {METRICS_TOKEN}"}
    assert web.request("GET", "/metrics", headers=token)[0] == 200

    # A revoked client's token is refused by every process within the cache time.
    for _ in range(20):  # both processes have looked the token up and remember it
        assert web.request("GET", f"/connectors/drafts/{draft['id']}", headers=auth)[0] == 200
    revoke_api_client(api_client=api_client)
    revoked_at = time.monotonic()

    def refused_everywhere() -> bool:
        statuses = {
            web.request("GET", f"/connectors/drafts/{draft['id']}", headers=auth)[0]
            for _ in range(10)
        }
        return statuses == {401}

    wait_until(refused_everywhere, TOKEN_CACHE_SECONDS + 5, what="the revoked token refused")
    assert time.monotonic() - revoked_at <= TOKEN_CACHE_SECONDS + 2

    # No worker: 503 naming it. No Redis: 503 naming Redis and the broker.
    stack.worker.stop()
    status, health = wait_until(
        lambda: (r := web.request("GET", "/healthz"))[0] == 503 and r, 15, what="a 503"
    )
    assert not health["checks"]["worker"]["ok"] and health["checks"]["database"]["ok"]
    assert "heartbeat" in health["checks"]["worker"]["error"]
    stack.redis.stop()
    status, health = web.request("GET", "/healthz")
    assert status == 503
    assert not health["checks"]["redis"]["ok"] and not health["checks"]["broker"]["ok"]
