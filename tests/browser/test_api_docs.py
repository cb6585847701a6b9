"""The API docs in headless Chromium: Swagger UI from our own static files, under our CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_api_docs_render_the_operations_offline_without_csp_errors(new_page, live_server):
    page = new_page()
    outside: list[str] = []
    # Nothing may leave the machine: a request for another host is recorded and refused.
    page.route(
        lambda url: not url.startswith(live_server.url),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    response = page.goto("/api/docs/")
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy

    expect(page.get_by_role("heading", name="Connector Workbench API").first).to_be_visible()
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert {"/connectors/drafts", "/connectors/drafts/{id}", "/connectors/search"} <= {
        p.replace("\u200b", "") for p in paths
    }, paths
    screenshot(page, "api-docs")

    assert outside == []
    problems = page.console_problems  # type: ignore[attr-defined]
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert problems == []
