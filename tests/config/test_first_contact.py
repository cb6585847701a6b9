"""What a newcomer meets first: ./workbench, the demo's credentials, the README's curl section."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection

from tests.connectors.pipelines import live_stack
from tests.connectors.pipelines.live_stack import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def clean_environment(var_dir: Path, port: int) -> dict[str, str]:
    """./workbench run on its embedded defaults (SQLite, file-system broker) in ``var_dir``."""
    drop = ("TEST_", "PYTEST_", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DEBUG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.pop("CONNECTORS_EVENTS_REDIS_URL", None)
    env.update({"WORKBENCH_VAR_DIR": str(var_dir), "PORT": str(port)})
    return env


def session_processes(session: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":  # fields: state ppid pgrp session
            found.append(int(stat.parent.name))
    return found


def test_help_lists_the_commands_and_variables():
    result = subprocess.run(
        [str(ROOT / "workbench"), "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for word in ("run", "test", "setup", "HOST, PORT", "WEB_CONCURRENCY", "WORKBENCH_VAR_DIR"):
        assert word in result.stdout
    unknown = subprocess.run(
        [str(ROOT / "workbench"), "serve"], capture_output=True, text=True, timeout=30
    )
    assert unknown.returncode == 2 and "commands:" in unknown.stderr


def test_run_stops_at_once_when_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [str(ROOT / "workbench"), "run"],
            env=clean_environment(tmp_path / "var", port),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert time.monotonic() - started < 5
    assert not (tmp_path / "var" / "workbench.sqlite3").exists()  # nothing migrated


def test_without_python_the_message_is_the_only_error(tmp_path):
    # A copy of the script with no .venv beside it, and a PATH without any Python.
    (tmp_path / "workbench").write_text((ROOT / "workbench").read_text())
    (tmp_path / "workbench").chmod(0o755)
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "dirname", "mkdir", "grep", "sort", "tail", "env"):
        (tools / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    result = subprocess.run(
        [str(tools / "bash"), str(tmp_path / "workbench"), "setup"],
        env={"PATH": str(tools), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "needs Python 3.12 or newer" in result.stderr
    assert "command not found" not in result.stderr
    assert not (tmp_path / ".venv").exists()


def start_run(var_dir: Path, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(ROOT / "workbench"), "run"],
        env=clean_environment(var_dir, port),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    wait_until(healthy, 240, interval=0.5, what="./workbench run to serve a healthy /healthz")
    return process


@pytest.mark.worker
def test_run_stops_everything_it_started_and_keeps_the_demo_secret(tmp_path):
    var_dir, log = tmp_path / "var", tmp_path / "run.log"
    port = free_port()

    # 1. kill <pid of the script> stops the web server, the worker and beat.
    first = start_run(var_dir, port, log)
    assert len(session_processes(first.pid)) >= 5  # script, gunicorn ×3, worker, beat
    os.kill(first.pid, signal.SIGTERM)
    first.wait(timeout=60)
    wait_until(lambda: not session_processes(first.pid), 30, what="every process to stop")

    # 2. The web server ending on its own stops the worker and beat too.
    second = start_run(var_dir, port, log)
    gunicorn = [
        pid
        for pid in session_processes(second.pid)
        if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == second.pid
    ]
    assert len(gunicorn) == 1, gunicorn
    os.kill(gunicorn[0], signal.SIGTERM)
    second.wait(timeout=60)
    wait_until(lambda: not session_processes(second.pid), 30, what="every process to stop")

    output = log.read_text()
    secrets = re.findall(r"client_secret: (\S+)", output)
    assert len(secrets) == 2 and secrets[0] == secrets[1], secrets
    kept = json.loads((var_dir / "demo-client.json").read_text())
    assert kept["client_secret"] == secrets[0]
    assert (var_dir / "demo-client.json").stat().st_mode & 0o077 == 0
    assert "stopping the worker and beat" in output
    assert "unbound variable" not in output


def run_seed_demo(capsys) -> str:
    call_command("seed_demo")
    return re.findall(r"client_secret: (\S+)", capsys.readouterr().out)[0]


def test_seed_demo_keeps_the_secret_until_its_file_is_gone(
    transactional_db, settings, tmp_path, capsys
):
    settings.VAR_DIR = tmp_path
    first = run_seed_demo(capsys)
    assert run_seed_demo(capsys) == first
    (tmp_path / "demo-client.json").unlink()
    renewed = run_seed_demo(capsys)
    assert renewed != first
    assert json.loads((tmp_path / "demo-client.json").read_text())["client_secret"] == renewed


@pytest.mark.worker
def test_the_readme_curl_section_works_as_written_with_the_demo_client(
    transactional_db, settings, tmp_path, capsys
):
    if connection.vendor != "postgresql":
        pytest.skip("the server shares PostgreSQL with the test process")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server's hashers
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo")
    capsys.readouterr()
    env = live_stack.stack_environment(
        tmp_path, None, SECRET_KEY="s" * 10 + "-curl-test-0123456789"
    )
    server = live_stack.WebServer(env, tmp_path).start()
    try:
        section = README.split("## Calling the API with curl", 1)[1]
        commands = section.split("```sh", 1)[1].split("```", 1)[0]
        script = commands.replace("http://127.0.0.1:8000", server.base)
        result = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr + server.output()[-2000:]
    answers = json_documents(result.stdout)
    # create, update, read: the draft exists, renamed, at version 2
    assert len(answers) == 3, result.stdout
    created, updated, read = answers
    assert created["key"] == "my-connector" and created["version"] == 1, created
    assert updated["version"] == 2, updated
    assert read["id"] == created["id"] and read["name"] == "Renamed", read


def json_documents(text: str) -> list[dict]:
    """The JSON objects curl printed one after another (without newlines between them)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := text.find("{", at)) != -1:
        document, at = decoder.raw_decode(text, at)
        found.append(document)
    return found
