"""POST /oauth/token under guessing: what a wrong secret costs, for a known and an unknown
client id, and when throttling starts answering 429 without hashing anything.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/workbench_token_timing REDIS_URL=redis://127.0.0.1:6379/12 \
      .venv/bin/python tests/benchmarks/token_timing.py [--tries 30]

Uses the production password hasher (PBKDF2, Django's default iterations). Prints the median
and p90 of a wrong secret for a known client id, for an unknown one (the two should be alike:
timing must not tell whether a client id exists), of a right secret, and of a throttled try.
Requests go through Django's full stack in process; each try comes from its own address so
that throttling does not interfere, except in the last series.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench_token_timing")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from connectors.services import create_api_client, ensure_project  # noqa: E402


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def timed(authorization: str, address: str) -> tuple[float, int]:
    client = Client(REMOTE_ADDR=address)
    started = time.perf_counter()
    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": authorization},
    )
    return (time.perf_counter() - started) * 1000, response.status_code


def report(name: str, times: list[float], statuses: set[int]) -> None:
    times = sorted(times)
    p90 = times[max(0, int(len(times) * 0.9) - 1)]
    print(
        f"{name:<44} median {statistics.median(times):8.1f} ms   p90 {p90:8.1f} ms   "
        f"statuses {sorted(statuses)}"
    )


def interleaved(tries: int, kinds: dict[str, object]) -> None:
    """One try of each kind in turn, each from a fresh address, so that drift in the
    machine's load falls on every kind alike."""
    times: dict[str, list[float]] = {name: [] for name in kinds}
    statuses: dict[str, set[int]] = {name: set() for name in kinds}
    for i in range(tries):
        for n, (name, authorization) in enumerate(kinds.items()):
            elapsed, status = timed(authorization(i), f"10.{n}.{i // 250}.{i % 250 + 1}")
            times[name].append(elapsed)
            statuses[name].add(status)
    for name in kinds:
        report(name, times[name], statuses[name])


def guessing_from_one_address(tries: int) -> None:
    times, statuses = [], set()
    for i in range(tries):
        elapsed, status = timed(basic(f"guess-{i}", "x"), "198.51.100.1")
        times.append(elapsed)
        statuses.add(status)
    limit = 50
    report("one address guessing: tries up to the limit", times[:limit], statuses)
    report("one address guessing: tries past it (429)", times[limit:], statuses)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    cache.clear()
    project = ensure_project(key="timing-shop")
    issued = create_api_client(project=project, scopes=["view_connectors"])
    print(f"password hasher: the default (PBKDF2), {args.tries} tries per series\n")

    timed(basic(issued.client_id, issued.client_secret), "10.255.0.1")  # warm up
    with override_settings(CONNECTORS_AUTH_FAILURES_PER_CLIENT=10**6):  # no 429 here
        interleaved(
            args.tries,
            {
                "wrong secret, known client id": lambda i: basic(issued.client_id, f"x{i}"),
                "wrong secret, unknown client id": lambda i: basic(f"no-{i}", f"x{i}"),
                "right secret": lambda i: basic(issued.client_id, issued.client_secret),
            },
        )
    cache.clear()
    with override_settings(CONNECTORS_AUTH_FAILURES_PER_ADDRESS=50):
        guessing_from_one_address(80)
    cache.clear()


if __name__ == "__main__":
    main()
