"""The checks-style report on the draft page: queued runs, cancelling, re-running, the
previous report kept until a new run writes, and findings linked to their line."""

from __future__ import annotations

import pytest

from connectors import pipelines
from connectors.models import PipelineRun
from connectors.pages.links import safe_url, source_url
from connectors.pipelines import NewEntry
from tests.conftest import HTMX


def request_preview(client, draft):
    response = client.post(
        f"/drafts/{draft.id}/actions/preview/", {"version": draft.version}, headers=HTMX
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    return PipelineRun.objects.get(id=draft.preview_run_id)


def page(client, draft) -> str:
    return client.get(f"/drafts/{draft.id}/").content.decode()


def test_a_queued_run_says_it_waits_for_a_worker_and_can_be_cancelled(creator_client, draft):
    run = request_preview(creator_client, draft)
    html = page(creator_client, draft)
    assert '<span class="badge badge--waiting">Queued</span>' in html
    assert "<strong>waiting for a worker</strong>; no worker is running now" in html
    assert "Cancel this preview" in html

    response = creator_client.post(
        f"/drafts/{draft.id}/runs/cancel/preview/", {"version": draft.version}, headers=HTMX
    )
    assert response.status_code == 200
    assert "The preview was cancelled." in response.content.decode()
    run.refresh_from_db()
    draft.refresh_from_db()
    assert run.state == PipelineRun.State.CANCELLED
    assert draft.is_previewable == "false"
    html = page(creator_client, draft)
    assert '<span class="badge badge--neutral">Cancelled</span>' in html
    assert "Preview cancelled by creator" in html
    assert "Run the preview again" in html and "Cancel this preview" not in html


def test_cancelling_a_run_that_ended_says_so(creator_client, draft):
    run = pipelines.claim(str(request_preview(creator_client, draft).id))
    pipelines.finish(run, succeeded=True)
    draft.refresh_from_db()
    response = creator_client.post(
        f"/drafts/{draft.id}/runs/cancel/preview/", {"version": draft.version}, headers=HTMX
    )
    assert response.status_code == 400
    assert "There is no preview to cancel" in response.content.decode()


def test_the_previous_report_stays_until_the_new_run_writes(creator_client, draft):
    first = pipelines.claim(str(request_preview(creator_client, draft).id))
    pipelines.write_entries(first, [NewEntry("Warning", "Kept from the first run")])
    pipelines.finish(first, succeeded=True)
    draft.refresh_from_db()

    second = pipelines.claim(str(request_preview(creator_client, draft).id))
    html = page(creator_client, draft)
    assert "The previous preview report (superseded" in html
    assert "Kept from the first run" in html

    pipelines.write_entries(second, [NewEntry("Information", "The second run began")])
    html = page(creator_client, draft)
    assert "superseded" not in html and "Kept from the first run" not in html
    assert "The second run began" in html


def test_a_finding_links_to_its_line_at_the_tag(creator_client, draft):
    draft.repository_url = "https://github.com/acme/connector.git"
    draft.repository_tag = "v1.2.0"
    draft.save(update_fields=["repository_url", "repository_tag"])
    run = pipelines.claim(str(request_preview(creator_client, draft).id))
    pipelines.write_entries(
        run,
        [
            NewEntry("Error", "Code analysis check failed", "1 finding.", check="code"),
            NewEntry(
                "Error", "eval", "eval is unsafe", file="service/src/index.js", line=7, check="code"
            ),
        ],
    )
    html = page(creator_client, draft)
    assert (
        '<a href="https://github.com/acme/connector/blob/v1.2.0/service/src/index.js#L7" '
        'rel="noopener noreferrer" target="_blank"><code>service/src/index.js</code>, line 7'
    ) in html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/c.git", "https://github.com/acme/c/blob/v%2F1/src/a%20b.js#L3"),
        ("git@github.com:acme/c.git", "https://github.com/acme/c/blob/v%2F1/src/a%20b.js#L3"),
        (
            "https://gitlab.com/g/sub/c.git",
            "https://gitlab.com/g/sub/c/-/blob/v%2F1/src/a%20b.js#L3",
        ),
        ("git@bitbucket.org:t/c.git", "https://bitbucket.org/t/c/src/v%2F1/src/a%20b.js#lines-3"),
        ("https://git.example.com/acme/c.git", None),  # a host whose pages we do not know
        ("http://github.com/acme/c.git", None),  # not HTTPS
        ("https://github.com/acme/../c.git", None),
        ("file:///srv/c.git", None),
    ],
)
def test_source_urls(url, expected):
    assert source_url(url, "v/1", "src/a b.js", 3) == expected


@pytest.mark.parametrize(
    ("value", "link"),
    [
        ("https://docs.example.com/x", True),
        ("http://docs.example.com", True),
        ("javascript:alert(1)", False),
        ("not a url", False),
        ("//example.com/x", False),
        ("ftp://example.com", False),
        ("", False),
    ],
)
def test_only_http_urls_become_links(value, link):
    assert (safe_url(value) is not None) is link


def primary_button(html: str) -> str | None:
    import re

    actions = re.search(r'<section id="draft-actions".*?</section>', html, re.S).group(0)
    found = re.search(r'class="button button--primary"[^>]*>([^<]+)<', actions)
    return found.group(1) if found else None


def test_the_primary_action_follows_the_state(creator_client, draft):
    from connectors.state import Previewable, Status
    from tests.conftest import move_to

    html = page(creator_client, draft)
    assert primary_button(html) == "Run a preview"
    assert "Run a preview to check the repository" in html

    move_to(draft, is_previewable=Previewable.FALSE)
    html = page(creator_client, draft)
    assert primary_button(html) == "Run a preview"
    assert "The last preview failed: fix the findings below, then run it again." in html

    move_to(draft, is_previewable=Previewable.TRUE)
    assert primary_button(page(creator_client, draft)) == "Publish for certification"

    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    html = page(creator_client, draft)
    assert primary_button(html) is None
    assert "A certifier reviews this draft" in html
