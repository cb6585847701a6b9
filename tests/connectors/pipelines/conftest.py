"""A real Celery worker process on Redis, against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from connectors import samples
from tests.connectors.checks.conftest import advisory_data  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[3]


class Worker:
    def __init__(self, queue: str, env: dict[str, str]) -> None:
        self.queue = queue
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log = Path(env["WORKBENCH_VAR_DIR"]) / f"worker-{uuid.uuid4().hex[:6]}.log"

    def start(self, *, beat: bool = False) -> Worker:
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            self.queue,
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{self.queue}-{uuid.uuid4().hex[:6]}@%h",
        ]
        if beat:
            args += ["--beat", "--schedule", str(self.log.with_suffix(".beat"))]
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def worker_factory(transactional_db, settings, tmp_path):
    """Start real worker processes on a queue of this test's own; they use the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker tests share PostgreSQL with the test process")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    from config.celery import app

    app.conf.task_default_queue = queue
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",  # noqa: E501
        "CELERY_QUEUE": queue,
        "CONNECTORS_ALLOW_LOCAL_REPOSITORIES": "true",
        "WORKBENCH_VAR_DIR": str(tmp_path),
        "CONNECTORS_ADVISORY_SOURCE": str(ROOT / "tests/connectors/checks/advisories"),
    }
    workers: list[Worker] = []

    def start(beat: bool = False, **extra_env: str) -> Worker:
        worker = Worker(queue, {**env, **extra_env}).start(beat=beat)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    app.conf.task_default_queue = "connectors"


def wait_for(predicate, timeout: float = 120.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting")


@pytest.fixture(scope="session")
def pipeline_repositories(tmp_path_factory) -> dict[str, samples.SampleRepository]:
    root = tmp_path_factory.mktemp("pipeline-repositories")
    good = samples.good_connector_files()
    return {
        "good": samples.create_repository(root / "good", good),
        "no-spec": samples.create_repository(root / "no-spec", samples.no_specification_files()),
        "missing-folder": samples.create_repository(
            root / "missing-folder", samples.missing_application_folder_files()
        ),
        "invalid-spec": samples.create_repository(
            root / "invalid-spec", samples.invalid_specification_files()
        ),
    }


def finding_changes() -> dict[str, dict[str, str]]:
    """Changes to the good connector that each make one check find something and fail."""
    lock = samples.good_connector_files()["service/package-lock.json"]
    return {
        "vulnerable": {
            "service/package-lock.json": lock.replace(
                '"packages": {',
                '"packages": {\n    "node_modules/lodash": {"version": "4.17.20", '
                '"resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"},',
                1,
            )
        },
        "secret": {
            "service/config/settings.json": (
                '{\n  "aws": {\n    "accessKeyId": "AKIAZ4QWERTYUIOP7QXA",\n'
                '    "secretAccessKey": "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"\n  }\n}\n'
            )
        },
        "sast": {
            "service/src/run.js": (
                "const express = require('express');\n"
                "const app = express();\n"
                "app.get('/run', (req, res) => {\n"
                "  res.send(String(eval(req.query.code)));\n"
                "});\n"
            )
        },
    }
