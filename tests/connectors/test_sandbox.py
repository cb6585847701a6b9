"""The sandbox that runs a connector's code: real bwrap, real processes, real sockets."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from connectors.sandbox import Limits, SandboxUnavailable, prepare_writable, run_sandboxed
from tests.connectors.processes import processes_with

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

LIMITS = Limits(
    timeout=20.0, memory=1024**3, processes=64, output=64 * 1024, file_size=16 * 1024**2
)
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@pytest.fixture
def folder():
    """A writable folder the sandbox's user can reach (pytest's own tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    os.chmod(path, 0o711)
    work = path / "work"
    work.mkdir()
    prepare_writable(work)
    yield work
    shutil.rmtree(path, ignore_errors=True)


def sh(script: str, folder: Path, **options):
    limits = options.pop("limits", LIMITS)
    return run_sandboxed(
        ["sh", "-c", script],
        workdir=folder,
        writable=[folder],
        env={**ENV, "HOME": str(folder)},
        limits=limits,
        **options,
    )


def test_a_command_sees_only_the_environment_it_is_given(folder, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://worker:hunter2@127.0.0.1:5432/workbench")
    result = sh("cat /proc/self/environ /proc/1/environ | tr '\\0' '\\n'; env", folder)
    assert result.succeeded, result.output
    assert "hunter2" not in result.output
    assert django_settings.SECRET_KEY not in result.output
    assert "DATABASE_URL" not in result.output
    assert f"HOME={folder}" in result.output


def test_secret_values_given_to_a_command_are_masked_in_its_output(folder):
    result = sh('echo "token is $API_TOKEN"', folder, secrets={"API_TOKEN": "s3cr3t-Value-42"})
    assert result.output.strip() == "token is ****"


def test_only_the_writable_folders_can_be_written(folder):
    outside = Path(tempfile.mkdtemp(prefix="sandbox-outside-"))
    os.chmod(outside, 0o777)
    try:
        script = (
            f"echo x > {outside}/escaped; echo x > /usr/escaped; echo x > /etc/escaped; "
            "echo x > /escaped; echo inside > inside.txt; id -u"
        )
        result = sh(script, folder)
        assert not (outside / "escaped").exists()
        assert not Path("/usr/escaped").exists()
        assert (folder / "inside.txt").read_text() == "inside\n"
        assert result.output.count("Read-only file system") >= 3, result.output
        assert result.output.strip().splitlines()[-1] == "65534"
    finally:
        shutil.rmtree(outside)


def test_the_worker_files_and_other_users_are_not_visible(folder):
    project_settings = Path(django_settings.BASE_DIR) / "config" / "settings.py"
    result = sh(f"cat {project_settings}; ls /root /home /work; cat /etc/passwd", folder)
    assert "SECRET_KEY" not in result.output
    assert "No such file or directory" in result.output
    assert "postgres" not in result.output  # the host's users are not listed


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def _probe(targets: list[tuple[str, int]]) -> str:
    checks = "; ".join(
        f"s=socket.socket(); s.settimeout(5); print('{h}:{p}', s.connect_ex(('{h}', {p})))"
        for h, p in targets
    )
    return f'python3 -c "import socket; {checks}"'


def test_without_network_nothing_is_reachable(folder):
    db = connection.settings_dict
    database = (db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    assert _reachable(*database)  # the worker itself reaches the database
    result = sh(_probe([database, ("127.0.0.1", 6379), ("104.16.0.35", 443)]), folder)
    for line in result.output.strip().splitlines():
        assert not line.endswith(" 0"), result.output
    dns = sh("getent hosts registry.npmjs.org || echo unresolved", folder)
    assert "unresolved" in dns.output


def test_with_network_the_registry_is_reachable_but_not_the_worker_s_services(folder):
    if not _reachable("registry.npmjs.org", 443):
        pytest.skip("the npm registry is not reachable from this machine")
    db = connection.settings_dict
    local = [(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)), ("127.0.0.1", 6379)]
    # slirp4netns forwards 10.0.2.2 to the host's loopback unless that is disabled.
    gateway = [("10.0.2.2", local[0][1]), ("10.0.2.2", 6379)]
    result = sh(_probe([*local, *gateway, ("registry.npmjs.org", 443)]), folder, network=True)
    lines = dict(line.rsplit(" ", 1) for line in result.output.strip().splitlines())
    assert lines["registry.npmjs.org:443"] == "0", result.output
    for host, port in local + gateway:
        assert lines[f"{host}:{port}"] != "0", result.output


def test_a_fork_bomb_meets_the_process_limit_and_leaves_nothing_behind(folder):
    marker = f"bomb-{uuid.uuid4().hex[:8]}"
    script = f"b(){{ b | b & }}; b; sleep 2; echo {marker}-survived"
    result = sh(script, folder, limits=Limits(**{**LIMITS.__dict__, "timeout": 15.0}))
    assert "fork" in result.output.lower()  # "Cannot fork" / "Resource temporarily unavailable"
    assert f"{marker}-survived" in result.output
    assert processes_with(marker) == []


def test_a_command_past_its_time_is_killed_with_everything_it_started(folder):
    result = sh(
        "sleep 1001 & sleep 1002 & sleep 1003",
        folder,
        limits=Limits(**{**LIMITS.__dict__, "timeout": 2.0}),
    )
    assert result.timed_out and result.exit_code is None
    assert "time ran out" in result.ending()
    assert 1.5 < result.duration < 10
    assert processes_with("sleep 100") == []


def test_gigabytes_of_output_are_stopped_and_only_the_start_and_end_are_kept(folder):
    limits = Limits(**{**LIMITS.__dict__, "output": 4096})
    result = sh("echo first-line; yes 0123456789abcdef", folder, limits=limits)
    assert result.output_stopped and not result.succeeded
    assert result.output.startswith("first-line")
    assert "bytes of output dropped" in result.output
    assert len(result.output) < 8192
    assert result.dropped_bytes > 100_000


def test_a_process_over_the_memory_limit_fails(folder):
    limits = Limits(**{**LIMITS.__dict__, "memory": 256 * 1024**2})
    result = sh(
        "python3 -c 'b = bytearray(512 * 1024 * 1024); print(\"allocated\")'", folder, limits=limits
    )
    assert not result.succeeded
    assert "MemoryError" in result.output and "allocated" not in result.output


def test_a_file_over_the_size_limit_cannot_be_written(folder):
    limits = Limits(**{**LIMITS.__dict__, "file_size": 1024**2})
    result = sh("head -c 4194304 /dev/zero > big.bin; echo exit=$?", folder, limits=limits)
    assert (folder / "big.bin").stat().st_size <= 1024**2
    assert "exit=0" not in result.output


def test_nested_user_namespaces_are_refused(folder):
    result = sh("unshare --user --map-root-user id -u || echo refused", folder)
    assert "refused" in result.output


def test_without_bubblewrap_the_sandbox_refuses_with_a_clear_error(folder, monkeypatch):
    empty = tempfile.mkdtemp(prefix="no-tools-")
    monkeypatch.setenv("PATH", empty)
    try:
        with pytest.raises(SandboxUnavailable) as refused:
            sh("true", folder)
        assert "bwrap" in str(refused.value) and "CONNECTORS_SANDBOX=none" in str(refused.value)
    finally:
        os.rmdir(empty)


def test_an_unknown_sandbox_setting_is_refused(folder, settings):
    settings.CONNECTORS_SANDBOX = "docker"
    with pytest.raises(SandboxUnavailable, match="CONNECTORS_SANDBOX"):
        sh("true", folder)


def test_the_development_setting_runs_without_isolation_but_with_a_clean_environment(
    folder, settings, monkeypatch
):
    settings.CONNECTORS_SANDBOX = "none"
    monkeypatch.setenv("DATABASE_URL", "postgres://worker:hunter2@127.0.0.1/db")
    result = sh("env; sleep 5", folder, limits=Limits(**{**LIMITS.__dict__, "timeout": 1.0}))
    assert "hunter2" not in result.output and f"HOME={folder}" in result.output
    assert result.timed_out
