"""Load on a running server: concurrent clients on a dashboard list page and the API.

Run against a server on this machine (uvicorn, as ./workbench run starts it), with the
demo's users and an API client of the project:

    .venv/bin/python tests/benchmarks/load.py --url http://127.0.0.1:8000 \\
        --client-id ID --client-secret SECRET [--username creator --password workbench-demo] \\
        [--clients 32] [--seconds 60] [--database-url postgres://postgres@127.0.0.1:5432/NAME]

Each client keeps one HTTP connection and alternates between the dashboard's draft list
(``/``, signed in) and an API query page (``/connectors/drafts?limit=20``). Prints the
requests, the errors (any answer but 200, or no answer), p50/p99 latency per target, and
the most connections the server's database had open at once (pg_stat_activity, sampled
every 50 ms) and how many stayed open afterwards. Loopback only, and bounded: at most 64
clients for at most 5 minutes.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import ipaddress
import json
import os
import re
import socket
import statistics
import threading
import time
import urllib.parse
from collections import Counter, defaultdict

MAX_CLIENTS = 64
MAX_SECONDS = 300
API_PATH = "/connectors/drafts?limit=20"
PAGE_PATH = "/"


def loopback_only(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit("--url must be http://<loopback host>:<port>")
    addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"{parts.hostname} is not a loopback address: this script stays local")
    return parts.hostname, parts.port or 80


class Session:
    """One keep-alive HTTP connection with cookies, reconnecting when the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.headers.get("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return response.status, data
        raise AssertionError("unreachable")


def sign_in(host: str, port: int, username: str, password: str) -> dict[str, str]:
    session = Session(host, port)
    status, page = session.request("GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or match is None:
        raise SystemExit(f"the sign-in page answered {status}")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match[1].decode()}
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{host}:{port}/accounts/login/",
    }
    status, _ = session.request("POST", "/accounts/login/", form, headers)
    if status != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"signing in as {username} failed ({status})")
    return session.cookies


def bearer_token(host: str, port: int, client_id: str, client_secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    status, body = Session(host, port).request(
        "POST",
        "/oauth/token",
        b"grant_type=client_credentials",
        {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise SystemExit(f"/oauth/token answered {status}: {body[:200]!r}")
    return json.loads(body)["access_token"]


class ConnectionSampler(threading.Thread):
    """Counts the database's connections (other than its own) every 50 ms."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        import psycopg

        self.connection = psycopg.connect(database_url, autocommit=True)
        self.stop = threading.Event()
        self.samples: list[int] = []

    def count(self) -> int:
        row = self.connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        return row[0] if row else 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(self.count())
            self.stop.wait(0.05)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--username", default="creator")
    parser.add_argument("--password", default="workbench-demo")
    parser.add_argument("--client-id", default=os.environ.get("LOAD_CLIENT_ID"), required=False)
    parser.add_argument("--client-secret", default=os.environ.get("LOAD_CLIENT_SECRET"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"at most {MAX_CLIENTS} clients for at most {MAX_SECONDS} s")
    if not (args.client_id and args.client_secret):
        raise SystemExit("--client-id and --client-secret (an API client of the project)")
    host, port = loopback_only(args.url)

    cookies = sign_in(host, port, args.username, args.password)
    token = bearer_token(host, port, args.client_id, args.client_secret)
    sampler = ConnectionSampler(args.database_url) if args.database_url else None
    before = sampler.count() if sampler else None

    latencies: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def client(number: int) -> None:
        session = Session(host, port)
        session.cookies.update(cookies)
        targets = [
            ("page", PAGE_PATH, {}),
            ("api", API_PATH, {"Authorization": f"Bearer {token}"}),
        ]
        turn = number
        while time.monotonic() < deadline:
            name, path, headers = targets[turn % 2]
            turn += 1
            started = time.perf_counter()
            try:
                status, _ = session.request("GET", path, headers=headers)
                outcome = str(status)
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                session.connection = None
            elapsed = time.perf_counter() - started
            with lock:
                latencies[name].append(elapsed)
                outcomes[f"{name} {outcome}"] += 1

    if sampler:
        sampler.start()
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    if sampler:
        sampler.stop.set()
        sampler.join()
        time.sleep(1)
        after = sampler.count()

    total = sum(outcomes.values())
    errors = sum(n for key, n in outcomes.items() if not key.endswith(" 200"))
    print(f"{args.clients} clients for {wall:.1f} s against {args.url}")
    print(f"requests: {total} ({total / wall:.0f}/s), errors: {errors}")
    for key, count in sorted(outcomes.items()):
        print(f"  {key:<28} {count}")
    print(f"{'target':<8}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name in ("page", "api"):
        values = latencies[name]
        if values:
            print(
                f"{name:<8}{len(values):>10}{statistics.median(values) * 1000:>10.1f}"
                f"{percentile(values, 0.99) * 1000:>10.1f}{max(values) * 1000:>10.1f}"
            )
    if sampler:
        print(
            f"database connections: {before} before, at most {max(sampler.samples)} during "
            f"({len(sampler.samples)} samples), {after} one second after"
        )


if __name__ == "__main__":
    main()
