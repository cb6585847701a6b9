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
import statistics
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


def median_times(runs: list[dict[str, float]]) -> dict[str, float]:
    return {step: statistics.median(run.get(step, 0.0) for run in runs) for step in STEPS}


def total(times: dict[str, float]) -> float:
    return sum(times.get(step, 0.0) for step in STEPS)


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
    parser.add_argument(
        "--runs", type=int, default=1, help="floor, cold and warm this many times; medians"
    )
    options = parser.parse_args()
    source = options.connector.resolve()
    settings.CONNECTORS_BUILD_CONCURRENCY = options.concurrency
    apps = [a.name for a in pipelines._applications(source, None)]
    if options.apps:
        apps = [a for a in apps if a in options.apps.split(",")]
    described = subprocess.run(
        ["git", "-C", str(source), "describe", "--tags", "--always"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"connector {source} ({described})")
    print(
        f"Node {node}, {os.cpu_count()} CPUs, concurrency {options.concurrency}, {options.runs} run(s)"
    )
    floors: dict[str, list[dict[str, float]]] = {app: [] for app in apps}
    colds: dict[str, list[dict[str, float]]] = {app: [] for app in apps}
    warms: dict[str, list[dict[str, float]]] = {app: [] for app in apps}
    walls: list[tuple[float, float]] = []
    problems: list[str] = []
    for number in range(options.runs):
        # One run: the floor, then the checks with an empty cache, then again (interleaved, so
        # the machine's load changes all three alike).
        for app in apps:
            floors[app].append(bare_floor(source, app))
        cache = Path(tempfile.mkdtemp(prefix="build-latency-cache-"))
        os.chmod(cache, 0o711)
        settings.CONNECTORS_BUILD_CACHE_DIR = cache
        try:
            cold, cold_wall, cold_problems = checks_run(source)
            warm, warm_wall, warm_problems = checks_run(source)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        walls.append((cold_wall, warm_wall))
        for app in apps:
            colds[app].append(cold[app])
            warms[app].append(warm[app])
            print(
                f"  run {number + 1} {app}: floor {total(floors[app][-1]):.1f} s, "
                f"cold {total(cold[app]):.1f} s, warm {total(warm[app]):.1f} s"
            )
        if number == 0:
            problems = [f"cold {p}" for p in cold_problems] + [f"warm {p}" for p in warm_problems]
    print(f"\n  {'':<6} {'install':>8} {'build':>8} {'test':>8} {'total':>8}   seconds (medians)")
    for app in apps:
        floor, cold, warm = (median_times(runs[app]) for runs in (floors, colds, warms))
        print(f"{app}")
        print(row("floor", floor))
        print(row("cold", cold) + f"   {total(cold) / total(floor):.2f}x the floor")
        print(row("warm", warm) + f"   {total(floor) / total(warm):.1f}x faster than the floor")
    floor_sum = sum(total(median_times(floors[app])) for app in apps)
    cold_wall = statistics.median(c for c, _ in walls)
    warm_wall = statistics.median(w for _, w in walls)
    print(
        f"\nwhole connector, the checks' wall time: cold {cold_wall:.1f} s, warm {warm_wall:.1f} s;"
        f" the floor, one application after another: {floor_sum:.1f} s"
    )
    for problem in problems:
        print(f"  {problem}")


if __name__ == "__main__":
    main()
