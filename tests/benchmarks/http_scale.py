"""The web tier over HTTP on this machine: 1 and 2 gunicorn processes, 1 to 32 clients.

Run (PostgreSQL and Redis on this machine; the database is created and seeded once):

    .venv/bin/python tests/benchmarks/http_scale.py [--drafts 10000] [--seconds 4] \\
        [--database-url postgres://postgres@127.0.0.1:5432/workbench_http_scale] \\
        [--redis-url redis://127.0.0.1:6379/12]

For each number of web processes (``WEB_CONCURRENCY`` 1 and 2, gunicorn with uvicorn
workers, as ./workbench run and the compose file serve) and each number of concurrent
clients (1, 8, 32, each with its own keep-alive connection), it measures requests per
second and p50/p99 latency of: the floor (a minimal Django view reading one row by primary
key under the same server and middleware), get-by-id, a query page (20 drafts, filtered
and sorted) and an update (setName, each client its own draft). It prints a table with the
ratio of each to the floor's requests per second, and the most database connections open at
once (the bound is processes × DATABASE_POOL_MAX_SIZE). Loopback only; every cell is
bounded by --seconds (at most 30).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/workbench_http_scale"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
PROCESSES = (1, 2)
CLIENTS = (1, 8, 32)
TARGETS = ("floor", "get-by-id", "query page", "update")


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def prepare(drafts: int) -> dict:
    """Migrated, seeded database; an API client; the ids the clients use."""
    import django

    django.setup()
    from django.core.management import call_command

    from connectors.models import ConnectorStaged
    from connectors.services import create_api_client, ensure_project
    from tests.benchmarks.api_latency import seed

    call_command("migrate", verbosity=0)
    project = ensure_project(key="bench", region="europe-west1.gcp")
    seed(project, drafts)
    issued = create_api_client(project=project, scopes=["manage_connectors"])
    ids = [
        str(i)
        for i in ConnectorStaged.objects.filter(project=project).values_list("id", flat=True)[:2000]
    ]
    from django.db import connections

    connections.close_all()  # only the servers' connections count below
    return {
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
        "project_id": project.pk,
        "ids": ids,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, processes: int, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:config.gunicorn",
                "config.asgi:application",
            ],
            cwd=ROOT,
            env={
                **env,
                "WEB_CONCURRENCY": str(processes),
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        from tests.benchmarks.load import Session

        while time.monotonic() < deadline:
            try:
                if Session("127.0.0.1", self.port).request("GET", "/api/schema/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the server did not start; see {log}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def run_cell(port: int, target: str, clients: int, seconds: float, data: dict, token: str) -> dict:
    from tests.benchmarks.load import Session, percentile

    auth = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        session = Session("127.0.0.1", port)
        rng = random.Random(number)
        own = data["ids"][number]  # the draft this client updates
        version = None
        if target == "update":
            version = json.loads(
                session.request("GET", f"/connectors/drafts/{own}", None, auth)[1]
            )["version"]
        mine: list[float] = []
        failed = 0
        start.wait()
        while time.monotonic() < stop_at[0]:
            began = time.perf_counter()
            if target == "floor":
                status, _ = session.request("GET", f"/floor/{data['project_id']}")
            elif target == "get-by-id":
                status, _ = session.request(
                    "GET", f"/connectors/drafts/{rng.choice(data['ids'])}", None, auth
                )
            elif target == "query page":
                path = f"/connectors/drafts?limit=20&offset={rng.randint(0, 200)}&isPrivate=true&sort=createdAt%20desc"
                status, _ = session.request("GET", path, None, auth)
            else:
                body = json.dumps(
                    {
                        "version": version,
                        "actions": [{"action": "setName", "name": f"Renamed {rng.random()}"}],
                    }
                ).encode()
                status, answer = session.request(
                    "POST",
                    f"/connectors/drafts/{own}",
                    body,
                    {**auth, "Content-Type": "application/json"},
                )
                if status < 300:
                    version = json.loads(answer)["version"]
            mine.append(time.perf_counter() - began)
            failed += status >= 300
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + seconds
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.monotonic() - began
    return {
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "errors": errors[0],
        "requests": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    args = parser.parse_args()
    seconds = min(args.seconds, 30.0)
    create_database(args.database_url)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_"))},
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_BROKER_URL": args.redis_url,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.http_scale_settings",
        "DEBUG": "false",
        "SECRET_KEY": "http-scale-benchmark-" + "x" * 40,
        "LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    data = prepare(args.drafts)
    if len(data["ids"]) < max(CLIENTS):
        raise SystemExit("not enough drafts for one per client")
    from tests.benchmarks.load import ConnectionSampler, bearer_token

    log = Path(tempfile.gettempdir()) / "http_scale_server.log"
    results: dict[tuple[int, int, str], dict] = {}
    most_connections: dict[int, int] = {}
    for processes in PROCESSES:
        server = Server(processes, env, log)
        sampler = ConnectionSampler(args.database_url)
        sampler.start()
        try:
            token = bearer_token("127.0.0.1", server.port, data["client_id"], data["client_secret"])
            for clients in CLIENTS:
                for target in TARGETS:
                    run_cell(server.port, target, clients, 1.0, data, token)  # warm-up
                    results[processes, clients, target] = cell = run_cell(
                        server.port, target, clients, seconds, data, token
                    )
                    print(
                        f"{processes} process(es), {clients:>2} clients, {target:<10}: "
                        f"{cell['rps']:7.1f} req/s  p50 {cell['p50']:6.1f} ms  p99 {cell['p99']:6.1f} ms  "
                        f"errors {cell['errors']}",
                        flush=True,
                    )
        finally:
            sampler.stop.set()
            sampler.join()
            most_connections[processes] = max(sampler.samples or [0])
            server.stop()

    print()
    print(
        f"{args.drafts} drafts; {seconds:.0f} s per cell after a 1 s warm-up; {os.cpu_count()} cores shared by clients and server"
    )
    print("| processes | clients | target | req/s | p50 ms | p99 ms | errors | req/s ÷ floor |")
    print("|---|---|---|---|---|---|---|---|")
    for (processes, clients, target), cell in results.items():
        floor = results[processes, clients, "floor"]["rps"]
        print(
            f"| {processes} | {clients} | {target} | {cell['rps']:.0f} | {cell['p50']:.1f} | "
            f"{cell['p99']:.1f} | {cell['errors']} | {cell['rps'] / floor:.2f} |"
        )
    for processes, most in most_connections.items():
        print(f"most database connections open at once with {processes} process(es): {most}")


if __name__ == "__main__":
    main()
