"""Importing an OSV export the size of OSV's own, re-importing it, and reading it in a run.

Run:  .venv/bin/python tests/benchmarks/advisory_sync.py [--records 100000] [--packages 2000]

Uses PostgreSQL (DATABASE_URL, default database workbench_advisory_bench, created if missing).
Builds a zip laid out like OSV's ``npm/all.zip`` (one ``<ID>.json`` per record, each shaped
like the real records in tests/connectors/checks/advisories/, most of them ``MAL-`` records
as in the real npm export), then prints: the first import, a re-import of the same zip (every
record unchanged), a re-import with 1% of the records modified, the process's peak memory,
and the time of one dependency-analysis lookup of N package versions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench_advisory_bench")

import django  # noqa: E402
import psycopg  # noqa: E402

FIXTURES = ROOT / "tests/connectors/checks/advisories"


def ensure_database() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if found.fetchone() is None:
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')


def build_export(path: Path, records: int, *, modified: str, changed: float = 0.0) -> None:
    """``records`` records: 90% shaped like MAL-2025-20690, the rest like GHSA-35jh-r3h4-6jhm."""
    malicious = json.loads((FIXTURES / "MAL-2025-20690.json").read_text())
    advisory = json.loads((FIXTURES / "GHSA-35jh-r3h4-6jhm.json").read_text())
    rng = random.Random(7)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(records):
            template = malicious if i % 10 else advisory
            record = json.loads(json.dumps(template))
            record["id"] = f"MAL-2099-{i}" if i % 10 else f"GHSA-bench-{i}"
            record["modified"] = modified
            if changed and rng.random() < changed:
                record["modified"] = "2099-12-31T00:00:00Z"
            for entry in record["affected"]:
                entry["package"]["name"] = f"{entry['package']['name']}-{i}"
            archive.writestr(f"{record['id']}.json", json.dumps(record, indent=2))


def timed(label: str, action) -> object:
    started = time.perf_counter()
    value = action()
    print(f"{label}: {time.perf_counter() - started:.1f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--packages", type=int, default=2000)
    args = parser.parse_args()

    django.setup()
    ensure_database()
    from django.core.management import call_command

    from connectors.advisory_data import sync_advisories
    from connectors.checks.advisories import find_advisories
    from connectors.models import AdvisorySync, OsvAdvisory

    call_command("migrate", verbosity=0)
    OsvAdvisory.objects.all().delete()
    AdvisorySync.objects.all().delete()
    with tempfile.TemporaryDirectory() as scratch:
        export = Path(scratch) / "all.zip"
        build_export(export, args.records, modified="2026-01-01T00:00:00Z")
        print(f"export: {args.records} records, {export.stat().st_size / 1e6:.1f} MB zipped")
        (first,) = timed("first import", lambda: sync_advisories([str(export)]))
        print(f"  {first}")
        (again,) = timed("re-import, nothing changed", lambda: sync_advisories([str(export)]))
        print(f"  {again}")
        build_export(export, args.records, modified="2026-01-01T00:00:00Z", changed=0.01)
        (some,) = timed("re-import, 1% modified", lambda: sync_advisories([str(export)]))
        print(f"  {some}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MiB")

    rng = random.Random(11)
    names = [f"flatmap-stream-{rng.randrange(args.records)}" for _ in range(args.packages)]
    packages = [("npm", name, "1.0.0") for name in names]
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        found = find_advisories(packages)
        rounds.append(time.perf_counter() - started)
    print(
        f"lookup of {args.packages} package versions (one query): best "
        f"{min(rounds) * 1000:.0f} ms, worst {max(rounds) * 1000:.0f} ms, "
        f"{len(found)} affected"
    )


if __name__ == "__main__":
    main()
