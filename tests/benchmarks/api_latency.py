"""API read/update latency on PostgreSQL with 100,000 drafts, against a one-row floor view.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/workbench_bench REDIS_URL=redis://127.0.0.1:6379/13 \
      .venv/bin/python tests/benchmarks/api_latency.py [--drafts 100000] [--requests 400]

Prints, for get-by-id, get-by-key, a filtered and sorted query page of 20 and an update:
median and p99 latency and SQL queries per request, beside the floor (a minimal view
that reads one row by primary key and returns it as JSON), and the queries of query
pages of 1 to 500 drafts (constant: no N+1). Requests go through Django's full stack in
process (middleware, authentication, views), without a network in between.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench_bench")
# As in production: Redis is the shared cache (large query totals are cached there).
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from config.urls import urlpatterns as project_urls  # noqa: E402
from connectors.models import (  # noqa: E402
    CertificationComment,
    ConnectorStaged,
    Project,
    ReportEntry,
)
from connectors.services import create_api_client, ensure_project  # noqa: E402
from connectors.values import INTEGRATION_TYPES, integration_mask  # noqa: E402


def floor_view(request, pk):
    row = Project.objects.filter(pk=pk).values("id", "key", "region", "name").first()
    return JsonResponse(row)


urlpatterns = [path("floor/<int:pk>", floor_view), *project_urls]


def seed(project: Project, count: int) -> None:
    existing = ConnectorStaged.objects.filter(project=project).count()
    if existing >= count:
        return
    print(
        f"seeding {count - existing} drafts (with 3 report entries and 2 comments each)…",
        flush=True,
    )
    batch = 2000
    for start in range(existing, count, batch):
        drafts = []
        for i in range(start, min(start + batch, count)):
            types = [INTEGRATION_TYPES[i % len(INTEGRATION_TYPES)]]
            drafts.append(
                ConnectorStaged(
                    id=uuid.uuid4(),
                    project=project,
                    key=f"bench-{i}",
                    name=f"Connector {i:06d}",
                    description="A benchmark connector",
                    integration_types=types,
                    integration_mask=integration_mask(types),
                    creator_email="bench@example.com",
                    repository_url="https://github.com/acme/bench.git",
                    repository_tag="1.0.0",
                    configurations=[
                        {
                            "applicationName": "svc",
                            "applicationType": "service",
                            "standardConfiguration": [],
                            "securedConfiguration": [],
                        }
                    ],
                    private=i % 3 != 0,
                    supported_regions=["europe-west1.gcp"],
                )
            )
        ConnectorStaged.objects.bulk_create(drafts)
        ReportEntry.objects.bulk_create(
            ReportEntry(draft=d, report=r, type="Information", title=f"{t} check succeeded")
            for d in drafts
            for r, t in (
                ("preview", "Specification"),
                ("preview", "Dependency"),
                ("publishing", "Code"),
            )
        )
        CertificationComment.objects.bulk_create(
            CertificationComment(draft=d, user_id="bench", comment=c)
            for d in drafts
            for c in ("Please review", "Looks good")
        )
    with connection.cursor() as cursor:
        # As autovacuum would have by now: statistics and the visibility map for index-only scans.
        cursor.execute("VACUUM ANALYZE")


def measure(label: str, call, repeat: int) -> dict:
    times, queries = [], []
    for _ in range(20):
        call()  # warm up
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - started
        assert response.status_code in (200, 201), (
            label,
            response.status_code,
            response.content[:300],
        )
        times.append(elapsed * 1000)
        queries.append(len(captured.captured_queries))
    times.sort()
    return {
        "label": label,
        "median": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "queries": max(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    project = ensure_project(key="bench", region="europe-west1.gcp")
    seed(project, args.drafts)
    issued = create_api_client(project=project, scopes=["manage_connectors"])
    client = Client()
    token = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={
            "Authorization": "Basic "
            + __import__("base64")
            .b64encode(f"{issued.client_id}:{issued.client_secret}".encode())
            .decode()
        },
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    ids = list(ConnectorStaged.objects.filter(project=project).values_list("id", "key")[:5000])
    update_target = ConnectorStaged.objects.filter(project=project).order_by("created_at").first()

    def by_id():
        return client.get(f"/connectors/drafts/{random.choice(ids)[0]}", headers=auth)

    def by_key():
        return client.get(f"/connectors/drafts/key={random.choice(ids)[1]}", headers=auth)

    def query_page(limit: int = 20):
        return client.get(
            "/connectors/drafts",
            {
                "limit": limit,
                "offset": random.randint(0, 200),
                "isPrivate": "true",
                "sort": "createdAt desc",
            },
            headers=auth,
        )

    def update():
        version = ConnectorStaged.objects.filter(pk=update_target.pk).values_list(
            "version", flat=True
        )[0]
        return client.post(
            f"/connectors/drafts/{update_target.pk}",
            {"version": version, "actions": [{"action": "setName", "name": f"n{random.random()}"}]},
            content_type="application/json",
            headers=auth,
        )

    def floor():
        return client.get(f"/floor/{project.pk}")

    with override_settings(ROOT_URLCONF=__name__):
        results = [
            measure("floor: one row by pk as JSON", floor, args.requests),
            measure("get draft by id", by_id, args.requests),
            measure("get draft by key", by_key, args.requests),
            measure("query page of 20 (isPrivate, sort createdAt desc)", query_page, args.requests),
            measure("update (setName)", update, args.requests // 2),
        ]
        pages = {
            n: measure(f"page {n}", lambda n=n: query_page(n), 5)["queries"]
            for n in (1, 20, 100, 500)
        }
    base = results[0]["median"]
    print(
        f"\n{ConnectorStaged.objects.count()} drafts, {ReportEntry.objects.count()} report entries, "
        f"{CertificationComment.objects.count()} comments; {args.requests} requests each\n"
    )
    print(f"{'request':52} {'median ms':>10} {'p99 ms':>8} {'× floor':>8} {'queries':>8}")
    for r in results:
        print(
            f"{r['label']:52} {r['median']:10.2f} {r['p99']:8.2f} {r['median'] / base:8.2f} {r['queries']:8d}"
        )
    print(
        "\nSQL queries per query page by page size:",
        ", ".join(f"{n}: {q}" for n, q in pages.items()),
    )


if __name__ == "__main__":
    main()
