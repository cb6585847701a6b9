"""What an operator watches: ``/healthz``, ``/metrics`` and the workers' heartbeat.

``/healthz`` answers JSON, 200 when the database, Redis (when configured), the broker and a
worker (its newest heartbeat younger than ``HEALTH_WORKER_MAX_AGE_SECONDS``) are all fine,
503 otherwise, naming what is not.

``/metrics`` is Prometheus' text format, for the addresses in ``METRICS_ALLOWED_ADDRESSES``
or a caller with ``Authorization: Bearer <METRICS_TOKEN>``:

- ``workbench_http_request_duration_seconds{route,method,status}``: this web tier's requests,
  per route pattern (all of the server's processes when gunicorn runs several);
- read from the database and the broker when scraped, so the same from every web process
  however many workers there are: ``workbench_runs_total{report,outcome}`` (every final
  state: succeeded, failed, interrupted, superseded, cancelled),
  ``workbench_runs_in_progress{state}`` (queued, running),
  ``workbench_run_duration_seconds{report}``,
  ``workbench_check_duration_seconds{check}`` (``fetch`` is the checkout),
  ``workbench_broker_queue_messages``, ``workbench_advisory_data_age_seconds`` and
  ``workbench_worker_heartbeat_age_seconds``.

Both are answered by ``ProbeMiddleware`` ahead of host validation and the HTTPS redirect:
probes and scrapers reach a process by its own address over plain HTTP.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .models import PipelineRun
from .state import Report

logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "workbench_http_request_duration_seconds",
    "Time to answer a request, by route pattern, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RUN_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200)
CHECK_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
HEARTBEAT_KEY = "workbench:worker-heartbeat"


# --- the workers' heartbeat ----------------------------------------------------------------------


def _heartbeat_file() -> Path:
    return Path(settings.VAR_DIR) / "worker-heartbeat"


def _shared_cache() -> bool:
    """Whether the cache is one every process sees (Redis), not a per-process memory."""
    return "locmem" not in str(settings.CACHES["default"]["BACKEND"]).lower()


def record_worker_heartbeat(now: float | None = None) -> None:
    """Called by every worker every WORKER_HEARTBEAT_SECONDS: the newest one wins.

    In the shared cache (Redis) when there is one; otherwise in a file under the var folder,
    which every process of the embedded set-up (one machine) can read.
    """
    stamp = time.time() if now is None else now
    if _shared_cache():
        cache.set(HEARTBEAT_KEY, stamp, timeout=24 * 3600)
    else:
        path = _heartbeat_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(stamp))


def newest_worker_heartbeat() -> float | None:
    if _shared_cache():
        value = cache.get(HEARTBEAT_KEY)
        return float(value) if value is not None else None
    try:
        return float(_heartbeat_file().read_text())
    except (OSError, ValueError):
        return None


def worker_heartbeat_age(now: float | None = None) -> float | None:
    """Seconds since the newest worker heartbeat; None when no worker ever recorded one."""
    newest = newest_worker_heartbeat()
    if newest is None:
        return None
    return max((time.time() if now is None else now) - newest, 0.0)


def worker_alive(now: float | None = None) -> bool:
    """Whether a worker is alive to take runs: its heartbeat is within the health check's
    limit (``HEALTH_WORKER_MAX_AGE_SECONDS``). A cache that cannot be read says no."""
    try:
        age = worker_heartbeat_age(now)
    except Exception:
        logger.warning("Could not read the worker heartbeat", exc_info=True)
        return False
    return age is not None and age <= settings.HEALTH_WORKER_MAX_AGE_SECONDS


class WorkerHeartbeat:
    """A daemon thread in a worker's main process recording the heartbeat until stopped."""

    def __init__(self, interval: float | None = None) -> None:
        self.interval = interval or settings.WORKER_HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="worker-heartbeat")

    def _beat(self) -> None:
        while True:
            try:
                record_worker_heartbeat()
            except Exception:
                logger.warning("Could not record the worker heartbeat", exc_info=True)
            if self._stop.wait(self.interval):
                return

    def start(self) -> WorkerHeartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- health -----------------------------------------------------------------------------------


def _timed(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **probe()}
    except Exception as error:
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _redis() -> dict[str, Any]:
    import redis

    url = settings.CONNECTORS_EVENTS_REDIS_URL
    if not url:
        return {"configured": False}
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"configured": True}


def _broker_connection():
    from kombu import Connection

    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    options.update({"socket_connect_timeout": 1, "socket_timeout": 2})
    return Connection(settings.CELERY_BROKER_URL, transport_options=options, connect_timeout=1)


def broker_queue_length() -> int:
    """Messages waiting in the task queue (raises when the broker cannot be reached)."""
    with _broker_connection() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return int(broker.default_channel._size(settings.CELERY_TASK_DEFAULT_QUEUE))


def _broker() -> dict[str, Any]:
    return {"queued_messages": broker_queue_length()}


def _worker() -> dict[str, Any]:
    age = worker_heartbeat_age()
    if age is None:
        raise LookupError("no worker has recorded a heartbeat")
    limit = settings.HEALTH_WORKER_MAX_AGE_SECONDS
    if age > limit:
        raise TimeoutError(f"the newest worker heartbeat is {age:.0f} s old (limit {limit} s)")
    return {"newest_heartbeat_age_seconds": round(age, 1)}


def health() -> tuple[bool, dict[str, Any]]:
    checks = {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "broker": _timed(_broker),
        "worker": _timed(_worker),
    }
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "unavailable", "checks": checks}


def healthz(request: HttpRequest) -> HttpResponse:
    healthy, body = health()
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


# --- metrics ----------------------------------------------------------------------------------


def metrics_allowed(request: HttpRequest) -> bool:
    """A configured address asking directly, or the bearer token from anywhere.

    A request that came through a proxy (it says so in X-Forwarded-For or Forwarded) is
    judged by the token only: behind a proxy on the same machine every caller would
    otherwise look like 127.0.0.1.
    """
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_ADDRESSES:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_ADDRESSES has a bad entry: %r", allowed)
    return False


def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse(
            "Metrics are served to the addresses in METRICS_ALLOWED_ADDRESSES or with the "
            "METRICS_TOKEN bearer token.\n",
            status=403,
            content_type="text/plain",
        )
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(DatabaseCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        prometheus_multiprocess.MultiProcessCollector(scraped)
        body = generate_latest(scraped)
    else:
        body = generate_latest(REGISTRY) + generate_latest(scraped)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _histogram(
    name: str, documentation: str, label: str, rows: Iterable[tuple[Any, ...]], bounds
) -> HistogramMetricFamily:
    """Rows of (label value, count ≤ each bound…, count, sum) as a Prometheus histogram."""
    family = HistogramMetricFamily(name, documentation, labels=[label])
    for value, *counts, total, seconds in rows:
        buckets = [(str(float(b)), int(c or 0)) for b, c in zip(bounds, counts, strict=True)]
        buckets.append(("+Inf", int(total or 0)))
        family.add_metric([str(value)], buckets, float(seconds or 0.0))
    return family


def _bucket_sql(expression: str, bounds: Iterable[float]) -> str:
    return ", ".join(f"SUM(CASE WHEN {expression} <= {float(b)} THEN 1 ELSE 0 END)" for b in bounds)


class DatabaseCollector:
    """Run, check, queue and advisory figures, read when scraped.

    Every web process reads the same rows, so any of them answers for the whole
    installation, however many workers ran the runs. Runs of a deleted draft leave the
    counts (their rows go with the draft).
    """

    def collect(self) -> Iterator[Metric]:
        totals = CounterMetricFamily(
            "workbench_runs", "Finished runs.", labels=["report", "outcome"]
        )
        active = GaugeMetricFamily(
            "workbench_runs_in_progress", "Runs waiting or going on.", labels=["state"]
        )
        active_counts: dict[str, int] = {PipelineRun.State.QUEUED: 0, PipelineRun.State.RUNNING: 0}
        # Every outcome of every report, 0 included: a rate over a series that appears only
        # with its first run (the first cancellation, say) would miss that run.
        finished: dict[tuple[str, str], int] = {
            (report, state): 0
            for report in Report.values
            for state in sorted(PipelineRun.FINAL_STATES)
        }
        for report, state, count in self._run_counts():
            if state in active_counts:
                active_counts[state] += count
            else:
                finished[(report, state)] = finished.get((report, state), 0) + count
        for (report, state), count in finished.items():
            totals.add_metric([report, state], count)
        for state, count in active_counts.items():
            active.add_metric([state], count)
        yield totals
        yield active
        yield _histogram(
            "workbench_run_duration_seconds",
            "Finished runs, from claim to end.",
            "report",
            self._run_durations(),
            RUN_BUCKETS,
        )
        yield _histogram(
            "workbench_check_duration_seconds",
            "Each check of each finished run ('fetch' is the checkout).",
            "check",
            self._check_durations(),
            CHECK_BUCKETS,
        )
        yield from self._gauges()

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    def _run_counts(self) -> list[tuple[str, str, int]]:
        table = PipelineRun._meta.db_table
        return self._query(f"SELECT report, state, COUNT(*) FROM {table} GROUP BY report, state")

    def _run_durations(self) -> list[tuple[Any, ...]]:
        table = PipelineRun._meta.db_table
        if connection.vendor == "postgresql":
            seconds = "EXTRACT(EPOCH FROM (finished_at - started_at))"
        else:
            seconds = "((julianday(finished_at) - julianday(started_at)) * 86400.0)"
        sql = (
            f"SELECT report, {_bucket_sql('d', RUN_BUCKETS)}, COUNT(*), SUM(d) FROM "
            f"(SELECT report, {seconds} AS d FROM {table} "
            "WHERE finished_at IS NOT NULL AND started_at IS NOT NULL) AS runs GROUP BY report"
        )
        return self._query(sql)

    def _check_durations(self) -> list[tuple[Any, ...]]:
        table = PipelineRun._meta.db_table
        if connection.vendor == "postgresql":
            timings = f"{table} r, jsonb_each_text(r.timings) t(key, value)"
            seconds = "CAST(t.value AS double precision)"
        else:
            timings = f"{table} r, json_each(r.timings) t"
            seconds = "CAST(t.value AS REAL)"
        sql = (
            f"SELECT key, {_bucket_sql('d', CHECK_BUCKETS)}, COUNT(*), SUM(d) FROM "
            f"(SELECT t.key AS key, {seconds} AS d FROM {timings} "
            "WHERE r.finished_at IS NOT NULL) AS checks GROUP BY key"
        )
        return self._query(sql)

    def _gauges(self) -> Iterator[Metric]:
        from .checks.advisories import advisory_data_age

        queue = GaugeMetricFamily(
            "workbench_broker_queue_messages", "Tasks waiting in the broker's queue."
        )
        try:
            queue.add_metric([], broker_queue_length())
        except Exception:
            logger.warning("Could not read the broker's queue length", exc_info=True)
        yield queue
        advisory = GaugeMetricFamily(
            "workbench_advisory_data_age_seconds",
            "Age of the synced advisory data (its oldest configured source's newest record).",
        )
        age = advisory_data_age()
        if age is not None:
            advisory.add_metric([], (datetime.now(UTC) - age.as_of).total_seconds())
        yield advisory
        heartbeat = GaugeMetricFamily(
            "workbench_worker_heartbeat_age_seconds", "Age of the newest worker heartbeat."
        )
        heartbeat_age = worker_heartbeat_age()
        if heartbeat_age is not None:
            heartbeat.add_metric([], heartbeat_age)
        yield heartbeat


# --- middleware -------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Times every request by the route pattern it matched (first in MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = _PROBES.get(request.path) or (match.route if match else "") or "<unmatched>"
        REQUEST_SECONDS.labels(route, request.method or "", str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


_PROBES: dict[str, str] = {"/healthz": "healthz", "/metrics": "metrics"}


class ProbeMiddleware:
    """Answers /healthz and /metrics before host checks, redirects, sessions and CSRF."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        if request.path == "/metrics" and request.method == "GET":
            return metrics(request)
        return self.get_response(request)
