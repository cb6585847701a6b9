"""Real processes for outage and load tests: a Redis server of the test's own, uvicorn, beat.

Each runs as a child process on a free loopback port, against the test database, and is
stopped with the test. The shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from django.db import connection

from connectors.services import create_api_client, ensure_project

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop_group(process: subprocess.Popen | None, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class RedisServer:
    """A redis-server of our own; ``stop`` and ``start`` again keep the port (no persistence)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder)],
            stdout=(self.folder / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: _port_open(self.port), 10, what="redis-server")
        return self

    def stop(self) -> None:
        _stop_group(self.process)
        wait_until(lambda: not _port_open(self.port), 10, what="redis-server to stop")


def test_database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def stack_environment(folder: Path, redis: RedisServer | None, **extra: str) -> dict[str, str]:
    """The environment of a web, worker or beat process on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_"))}
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "CONNECTORS_ALLOW_LOCAL_REPOSITORIES": "true",
            "CONNECTORS_ADVISORY_SOURCE": str(ROOT / "tests/connectors/checks/advisories"),
            "WORKBENCH_VAR_DIR": str(folder),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
        }
    )
    if redis is not None:
        env.update(
            {
                "CELERY_BROKER_URL": redis.url(0),
                "REDIS_URL": redis.url(1),
                "CELERY_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
            }
        )
    env.update(extra)
    return env


class Process:
    """A child process in its own group, its output in a log file under ``folder``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log = folder / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        _stop_group(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def celery(name: str, env: dict[str, str], folder: Path, *args: str) -> Process:
    return Process(name, [sys.executable, "-m", "celery", "-A", "config", *args], env, folder)


def worker(env: dict[str, str], folder: Path, *extra: str) -> Process:
    return celery(
        "worker",
        env,
        folder,
        "worker",
        "--loglevel=INFO",
        "-Q",
        env["CELERY_QUEUE"],
        "-n",
        f"{env['CELERY_QUEUE']}-{uuid.uuid4().hex[:6]}@%h",
        *extra,
    )


def beat(env: dict[str, str], folder: Path) -> Process:
    return celery("beat", env, folder, "beat", "--loglevel=INFO", f"--schedule={folder}/beat")


class WebServer(Process):
    """uvicorn serving the ASGI application, as ./workbench runs it."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "uvicorn", "config.asgi:application"]
        args += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        super().__init__("web", args, env, folder)
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        super().start()
        wait_until(lambda: _port_open(self.port) or not self.alive(), 30, what="uvicorn")
        assert self.alive(), self.output()
        return self

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """(status, parsed JSON or text); never raises for an HTTP error status."""
        data = None
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


def bearer_token(web: WebServer, project_key: str) -> dict[str, str]:
    """Headers with a token the running server issued to a new client of the project."""
    issued = create_api_client(
        project=ensure_project(key=project_key), scopes=["manage_connectors"]
    )
    basic = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
    status, body = web.request(
        "POST",
        "/oauth/token",
        form={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}
