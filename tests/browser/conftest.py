"""Headless Chromium (Debian's package) against the live server, and a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import PASSWORD

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests
# make between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(settings.BASE_DIR) / "test-results" / "browser"
ADVISORIES = Path(settings.BASE_DIR) / "tests" / "connectors" / "checks" / "advisories"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """Pages in fresh browser contexts (separate cookies: separate users or tabs)."""
    contexts = []

    def make(width: int = 1280):
        context = chromium.new_context(
            viewport={"width": width, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.console_problems = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: (
                page.console_problems.append(f"{page.url}: {message.text}")  # type: ignore[attr-defined]
                if message.type == "error"
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


@contextmanager
def running_worker(*, purge: bool = True, log_name: str = "worker") -> Iterator[subprocess.Popen]:
    """A real worker process on the test database until the block ends.

    ``purge`` first empties the broker's queue (the tasks of earlier tests, whose rows are
    gone); without it, the worker takes the runs the pages requested before it started. Its
    output goes to ``RESULTS/<log_name>.log``.
    """
    database = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the worker test needs the PostgreSQL test database")
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CONNECTORS_ALLOW_LOCAL_REPOSITORIES": "true",
        "CONNECTORS_ADVISORY_SOURCE": str(ADVISORIES),
        "CONNECTORS_EVENTS_REDIS_URL": settings.CONNECTORS_EVENTS_REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    if purge:
        subprocess.run([*celery, "purge", "-f"], env=env, capture_output=True, timeout=60)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{log_name}.log"
    with path.open("w") as log:
        worker = subprocess.Popen(
            [*celery, "worker", "--pool=threads", "--concurrency=2", "--loglevel=INFO"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if worker.poll() is not None:
                    pytest.fail(f"the Celery worker stopped: see {path}")
                if "ready." in path.read_text():
                    break
                time.sleep(0.2)
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen]:
    """A real Celery worker process on the test database, for the pipeline runs pages request.

    Module-scoped: it stops before other test modules run, whose runs it would take.
    """
    with django_db_blocker.unblock(), running_worker() as worker:
        yield worker


@pytest.fixture
def own_worker(transactional_db) -> Iterator[subprocess.Popen]:
    """A worker for this test alone: gone when the test ends, so the next test can find
    no worker running (see ``running_worker``)."""
    with running_worker(log_name="worker-own") as worker:
        yield worker
