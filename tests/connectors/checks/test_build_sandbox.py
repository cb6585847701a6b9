"""A connector's build trying to escape: each attempt is refused and the run ends clean.

Every test previews a connector whose build script attempts one thing, through the real
pipeline, the real sandbox and the real services (PostgreSQL, Redis), then checks that the
attempt failed, that the run finished with a clear report, that no process of it is left
and that its workspace is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from connectors.models import ReportEntry, StepLog
from tests.connectors.checks.build_samples import connect_yaml, node_application, workspaces
from tests.connectors.processes import processes_with

pytestmark = [
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
    pytest.mark.django_db(transaction=True),
]


def escaping(script: str) -> dict[str, str]:
    """A connector whose one service's build runs ``script`` (JavaScript) with node."""
    files = {"connect.yaml": connect_yaml(("service", "service"))}
    files.update(
        node_application(
            "service",
            scripts={"build": "node src/escape.js"},
            sources={"escape.js": script, "index.js": "module.exports = {};\n"},
        )
    )
    return files


def build_log(draft) -> StepLog:
    return StepLog.objects.get(run_id=draft.preview_run_id, step="build")


def report(draft) -> str:
    entries = ReportEntry.objects.filter(draft=draft).values_list("title", "message")
    return "\n".join(f"{title}: {message}" for title, message in entries)


def assert_clean(draft, build_cache: Path, marker: str | None = None) -> None:
    """The run ended, its workspace is gone and none of its processes live on."""
    assert draft.is_previewable in {"true", "false"}
    assert workspaces(build_cache) == []
    if marker:
        assert processes_with(marker) == []


def test_the_worker_environment_and_secrets_are_not_readable(
    previewed,
    build_cache,
    monkeypatch,
):
    monkeypatch.setenv("DATABASE_URL", "postgres://workbench:hunter2-secret@127.0.0.1/workbench")
    script = """
const fs = require('fs');
for (const file of ['/proc/self/environ', '/proc/1/environ']) {
  console.log(file, JSON.stringify(fs.readFileSync(file, 'utf8')));
}
console.log('DATABASE_URL', String(process.env.DATABASE_URL));
console.log('SECRET_KEY', String(process.env.SECRET_KEY));
"""
    draft = previewed(escaping(script))
    text = build_log(draft).text
    assert "DATABASE_URL undefined" in text and "SECRET_KEY undefined" in text
    assert "hunter2-secret" not in text
    assert django_settings.SECRET_KEY not in text
    assert (connection.settings_dict.get("PASSWORD") or "not-a-password") not in text
    assert_clean(draft, build_cache)


def test_files_outside_the_checkout_cannot_be_written(previewed, build_cache):
    outside = Path(tempfile.mkdtemp(prefix="escape-target-"))
    os.chmod(outside, 0o777)
    project_file = Path(django_settings.BASE_DIR) / f"escaped-{uuid.uuid4().hex[:6]}"
    targets = [outside / "escaped", project_file, Path("/tmp/escaped-by-a-build")]
    script = f"""
const fs = require('fs');
let written = 0;
for (const target of {json.dumps([str(t) for t in targets])}) {{
  try {{ fs.writeFileSync(target, 'escaped'); written += 1; console.log('WROTE', target); }}
  catch (error) {{ console.log('REFUSED', target, error.code); }}
}}
process.exit(written ? 0 : 1);
"""
    try:
        draft = previewed(escaping(script))
        assert not (outside / "escaped").exists() and not project_file.exists()
        text = build_log(draft).text
        assert text.count("REFUSED") == 2, text  # the sandbox's own /tmp takes the third
        assert "WROTE /tmp/escaped-by-a-build" in text
        assert not Path("/tmp/escaped-by-a-build").exists()
        assert_clean(draft, build_cache)
    finally:
        shutil.rmtree(outside, ignore_errors=True)


def test_the_database_redis_and_the_outside_are_unreachable_during_the_build(
    previewed,
    build_cache,
):
    database = connection.settings_dict
    targets = [
        [database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)],
        ["127.0.0.1", 6379],
        ["registry.npmjs.org", 443],
    ]
    with socket.create_connection((targets[0][0], targets[0][1]), timeout=3):
        pass  # the worker itself reaches the database
    script = f"""
const net = require('net');
const targets = {json.dumps(targets)};
let pending = targets.length, reached = 0;
for (const [host, port] of targets) {{
  const socket = net.connect({{ host, port, timeout: 4000 }});
  const done = (what) => {{
    console.log(host + ':' + port, what);
    socket.destroy();
    if (--pending === 0) process.exit(reached ? 0 : 1);
  }};
  socket.on('connect', () => {{ reached += 1; done('CONNECTED'); }});
  socket.on('error', (error) => done('REFUSED ' + error.code));
  socket.on('timeout', () => done('REFUSED timeout'));
}}
"""
    draft = previewed(escaping(script))
    text = build_log(draft).text
    assert "CONNECTED" not in text
    assert len([line for line in text.splitlines() if " REFUSED " in line]) == 3, text
    assert draft.is_previewable == "false"  # the script fails when it reaches nothing
    assert "Build check failed" in report(draft)
    assert_clean(draft, build_cache)


def test_a_fork_bomb_is_contained(previewed, build_cache, settings):
    settings.CONNECTORS_BUILD_PROCESSES = 64
    settings.CONNECTORS_BUILD_STEP_SECONDS = 20
    marker = f"bomb{uuid.uuid4().hex[:6]}"
    script = f"""
const {{ spawn }} = require('child_process');
const bomb = "b(){{ b | b & }}; b; sleep 3; echo {marker}-after";
const child = spawn('sh', ['-c', bomb], {{ stdio: 'inherit' }});
child.on('exit', () => process.exit(0));
"""
    draft = previewed(escaping(script))
    text = build_log(draft).text
    assert "fork" in text.lower()
    assert_clean(draft, build_cache, marker)


def test_gigabytes_of_output_are_cut_and_the_step_stopped(
    previewed,
    build_cache,
    settings,
):
    settings.CONNECTORS_BUILD_OUTPUT_BYTES = 64 * 1024
    script = """
const line = 'x'.repeat(1023) + '\\n';
const chunk = line.repeat(1024);
function write() { while (process.stdout.write(chunk)) {} process.stdout.once('drain', write); }
write();
"""
    draft = previewed(escaping(script))
    log = build_log(draft)
    assert not log.succeeded and log.exit_code is None
    assert len(log.text) < 80 * 1024 and "bytes of output dropped" in log.text
    assert "printed far more output than is kept" in report(draft)
    assert_clean(draft, build_cache)


def test_a_build_sleeping_past_the_time_limit_is_stopped(
    previewed,
    build_cache,
    settings,
):
    settings.CONNECTORS_BUILD_STEP_SECONDS = 6
    marker = f"{600 + uuid.uuid4().int % 300}"
    script = f"""
require('child_process').spawn('sleep', ['{marker}'], {{ detached: true, stdio: 'ignore' }});
setTimeout(() => {{}}, 3600 * 1000);
"""
    draft = previewed(escaping(script))
    log = build_log(draft)
    assert not log.succeeded and 5.5 < log.duration < 20
    assert "still running when its time ran out" in report(draft)
    assert_clean(draft, build_cache, f"sleep {marker}")
