"""Database connections stay bounded however many requests uvicorn serves at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import global_settings
from django.db import connection

from . import live_stack
from .live_stack import WebServer, bearer_token

pytestmark = pytest.mark.worker

POOL_SIZE = 4
CLIENTS = 8
REQUESTS_EACH = 5


APPLICATION = "workbench-connections-test"


def server_connections() -> int:
    """The server's connections (libpq names them after PGAPPNAME)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION]
        )
        return cursor.fetchone()[0]


def test_concurrent_requests_never_hold_more_connections_than_the_pool(
    transactional_db, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL's connections")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    env = live_stack.stack_environment(
        tmp_path, None, DATABASE_POOL_MAX_SIZE=str(POOL_SIZE), PGAPPNAME=APPLICATION
    )
    web = WebServer(env, tmp_path).start()
    try:
        auth = bearer_token(web, "connections-shop")
        seen: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                seen.append(server_connections())
                done.wait(0.02)
            connection.close()

        def client(_: int) -> list[int]:
            return [
                web.request("GET", "/connectors/drafts?limit=20", headers=auth)[0]
                for _ in range(REQUESTS_EACH)
            ]

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            with ThreadPoolExecutor(CLIENTS) as clients:
                statuses = [s for batch in clients.map(client, range(CLIENTS)) for s in batch]
        finally:
            done.set()
            sampler.join()
        after = server_connections()
    finally:
        web.stop()

    assert statuses == [200] * (CLIENTS * REQUESTS_EACH)
    assert seen and max(seen) >= 1, "the server's connections were not seen"
    assert max(seen) <= POOL_SIZE, (max(seen), seen)
    assert after <= POOL_SIZE, after
