"""Time from updatePreviewable to isPreviewable "true" with a worker already running.

Run:  .venv/bin/python tests/benchmarks/preview_latency.py [--runs 5]

Uses PostgreSQL (DATABASE_URL, default database workbench_bench) and Redis
(CELERY_BROKER_URL, default redis://127.0.0.1:6379/14), starts one Celery worker, builds
a connector repository with four applications (service, event, job, assets), and prints
per run: the whole preview, the time until the first report entry was committed, and
each check's own time; beside it the floor: a bare `git clone --depth 1` of the same tag
plus a bare Semgrep run with the same rules over the same folders.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CONNECTORS_ALLOW_LOCAL_REPOSITORIES", "true")
os.environ.setdefault(
    "CONNECTORS_ADVISORY_SOURCE", str(ROOT / "tests/connectors/checks/advisories")
)
os.environ["CELERY_QUEUE"] = f"bench-{uuid.uuid4().hex[:6]}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from connectors import samples  # noqa: E402
from connectors.checks.code import semgrep_command  # noqa: E402
from connectors.models import ConnectorStaged, PipelineRun, ReportEntry  # noqa: E402
from connectors.schemas import ConnectorStagedDraft, UpdatePreviewable  # noqa: E402
from connectors.services import create_draft, ensure_project  # noqa: E402
from connectors.update_actions import Actor, apply_update_actions  # noqa: E402


def semgrep_binary() -> str:
    candidate = Path(sys.executable).with_name("semgrep")
    return str(candidate) if candidate.exists() else "semgrep"


def floor(url: str, tag: str, apps: list[str]) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        subprocess.run(
            [
                "git",
                "-c",
                "advice.detachedHead=false",
                "clone",
                "--quiet",
                "--depth",
                "1",
                "--branch",
                tag,
                "--",
                url,
                scratch + "/r",
            ],
            check=True,
        )
        # The same Semgrep command line as the code check (same engine, rules and options).
        command = semgrep_command(
            semgrep_binary(), [f"{scratch}/r/{a}" for a in apps], project_root=Path(scratch) / "r"
        )
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    work = Path(tempfile.mkdtemp(prefix="preview-bench-"))
    repository = samples.create_repository(
        work / "repo", samples.four_application_connector_files()
    )
    apps = list(samples.FOUR_APPLICATIONS)
    project = ensure_project(key="bench-preview")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "-Q",
            os.environ["CELERY_QUEUE"],
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, "WORKBENCH_VAR_DIR": str(work)},
    )
    try:
        time.sleep(4)  # the worker is "already running" before the first request
        totals, firsts, checks, floors = [], [], {}, []
        for run in range(args.runs):
            draft = create_draft(
                project=project,
                draft=ConnectorStagedDraft.model_validate(
                    {
                        "key": f"bench-{uuid.uuid4().hex[:10]}",
                        "name": "Bench",
                        "creator": {"email": "bench@example.com"},
                        "repository": {"url": repository.url, "tag": "1.0.0"},
                    }
                ),
                actor=Actor(label="bench"),
            )
            requested = time.perf_counter()
            wall_requested = time.time()
            apply_update_actions(
                projects=project,
                version=draft.version,
                actions=[UpdatePreviewable(action="updatePreviewable")],
                actor=Actor(label="bench"),
                id=str(draft.id),
            )
            while True:
                state = ConnectorStaged.objects.filter(id=draft.id).values_list(
                    "is_previewable", flat=True
                )[0]
                if state != "pending":
                    break
                time.sleep(0.02)
            total = time.perf_counter() - requested
            assert state == "true", list(
                ReportEntry.objects.filter(draft_id=draft.id).values_list("title", "message")
            )
            first = ReportEntry.objects.filter(draft_id=draft.id).order_by("id").first()
            totals.append(total)
            firsts.append(first.created_at.timestamp() - wall_requested)
            timings = PipelineRun.objects.get(
                id=ConnectorStaged.objects.get(id=draft.id).preview_run_id
            ).timings
            for name, seconds in timings.items():
                checks.setdefault(name, []).append(seconds)
            floors.append(floor(repository.url, "1.0.0", apps))
            print(
                f"run {run + 1}: preview {total:.2f} s, first entry after {firsts[-1] * 1000:.0f} ms, "
                f"floor {floors[-1]:.2f} s",
                flush=True,
            )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    median = statistics.median
    print(f"\nfour applications ({', '.join(apps)}), {args.runs} runs, medians:")
    print(f"  preview (updatePreviewable → isPreviewable true): {median(totals):6.2f} s")
    print(f"  first entry committed after the request:          {median(firsts) * 1000:6.0f} ms")
    for name, values in checks.items():
        print(f"    {name:45} {median(values):6.2f} s")
    print(f"  floor (git clone --depth 1 + bare semgrep):      {median(floors):6.2f} s")
    print(
        f"  preview / floor:                                 {median(totals) / median(floors):6.2f}×"
    )


if __name__ == "__main__":
    main()
