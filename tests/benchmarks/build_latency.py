"""Build-and-test time per application, cold and warm, against a bare npm run of the same folder.

Run:  .venv/bin/python tests/benchmarks/build_latency.py PATH/TO/CONNECTOR [--apps a,b]

PATH/TO/CONNECTOR is a checkout of a real connector (connect.yaml at its root) with two or
more Node applications. For each application it prints:
- the floor: a bare `npm ci && npm run build && npm test` (CI=true) in a fresh copy of the
  folder, with an empty npm cache, the machine's Node, no sandbox, one application at a time;
- cold: the Build and Unit test checks with an empty build cache (install from the registry,
  in the sandbox; one application at a time unless --concurrency says otherwise);
- warm: the same checks again with the cache the cold run filled (a second preview of the
  same tag).
Each as install / build / test / total seconds; cold is compared with the floor (target: at
most 1.3x) and warm with the cold floor (target: at least 3x faster). The checks' wall time
for the whole connector is printed too. Nothing is written to the database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from connectors import pipelines  # noqa: E402
from connectors.checks.base import CheckContext  # noqa: E402
from connectors.checks.build import Work, build_checks  # noqa: E402

STEPS = ("install", "build", "test")


def bare_floor(source: Path, app: str) -> dict[str, float]:
    """npm ci && npm run build && npm test in a fresh copy, empty npm cache, timed per step."""
    with tempfile.TemporaryDirectory(prefix="floor-") as scratch:
        copy = Path(scratch) / "repository"
        shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        env = {**os.environ, "CI": "true", "npm_config_cache": str(Path(scratch) / "npm-cache")}
        folder = copy / app
        times: dict[str, float] = {}
        for step, command in (
            ("install", ["npm", "ci", "--no-audit", "--no-fund"]),
            ("build", ["npm", "run", "build"]),
            ("test", ["npm", "test"]),
        ):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
            times[step] = time.perf_counter() - started
            if done.returncode != 0:
                times[f"{step} failed"] = 1.0
                print(
                    f"  floor {app}: {' '.join(command)} failed:\n{(done.stdout + done.stderr)[-800:]}"
                )
                break
        return times


def checks_run(source: Path) -> tuple[dict[str, dict[str, float]], float, list[str]]:
    """The Build and Unit test checks on the checkout; per application the step durations."""
    build, tests = build_checks()
    context = CheckContext(
        root=source,
        applications=pipelines._applications(source, None),
        spec=pipelines._load_spec(source),
    )
    started = time.perf_counter()
    built = build.run(context)
    tested = tests.run(context)
    wall = time.perf_counter() - started
    problems = [
        f"{f.type}: {f.message[:300]}"
        for f in (*built.findings, *tested.findings)
        if f.type != "Information"
    ]
    return {w.application.name: per_step(w) for w in build.session.works}, wall, problems


def per_step(work: Work) -> dict[str, float]:
    times = dict.fromkeys(STEPS, 0.0)
    for step in work.steps:
        name = "install" if step.name in {"install", "install scripts", "toolchain"} else step.name
        if name in times:
            times[name] += step.seconds
    return times


def row(label: str, times: dict[str, float]) -> str:
    total = sum(times.get(s, 0.0) for s in STEPS)
    cells = " ".join(f"{times.get(s, 0.0):8.1f}" for s in STEPS)
    return f"  {label:<6} {cells} {total:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("connector", type=Path)
    parser.add_argument("--apps", default="", help="comma-separated: only these applications")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="applications built side by side (1: each measured alone, like the floor)",
    )
    options = parser.parse_args()
    source = options.connector.resolve()
    cache = Path(tempfile.mkdtemp(prefix="build-latency-cache-"))
    os.chmod(cache, 0o711)
    settings.CONNECTORS_BUILD_CACHE_DIR = cache
    settings.CONNECTORS_BUILD_CONCURRENCY = options.concurrency
    try:
        apps = [a.name for a in pipelines._applications(source, None)]
        if options.apps:
            apps = [a for a in apps if a in options.apps.split(",")]
        print(
            f"connector {source} ({subprocess.run(['git', '-C', str(source), 'describe', '--tags', '--always'], capture_output=True, text=True).stdout.strip()})"
        )
        print(
            f"Node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}, {os.cpu_count()} CPUs, concurrency {settings.CONNECTORS_BUILD_CONCURRENCY}"
        )
        floors = {app: bare_floor(source, app) for app in apps}
        cold, cold_wall, cold_problems = checks_run(source)
        warm, warm_wall, warm_problems = checks_run(source)
        print(f"\n  {'':<6} {'install':>8} {'build':>8} {'test':>8} {'total':>8}   seconds")
        for app in apps:
            floor = floors[app]
            floor_total = sum(floor.get(s, 0.0) for s in STEPS)
            cold_total = sum(cold[app].values())
            warm_total = sum(warm[app].values())
            print(f"{app}")
            print(row("floor", floor))
            print(row("cold", cold[app]) + f"   {cold_total / floor_total:.2f}x the floor")
            print(
                row("warm", warm[app]) + f"   {floor_total / warm_total:.1f}x faster than the floor"
            )
        print(
            f"\nwhole connector, checks' wall time: cold {cold_wall:.1f} s, warm {warm_wall:.1f} s; "
            f"floor, one application after another: {sum(sum(f.get(s, 0.0) for s in STEPS) for f in floors.values()):.1f} s"
        )
        for label, problems in (("cold", cold_problems), ("warm", warm_problems)):
            for problem in problems:
                print(f"  {label} {problem}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
