"""The draft page following a run: the poll brings each report check by check, and keeps
following the draft after the run ends."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection

from connectors import pipelines
from connectors.models import PipelineRun
from connectors.pipelines import NewEntry
from connectors.state import Previewable, Report
from tests.conftest import HTMX, move_to, rename_elsewhere


def start_preview(client, draft):
    response = client.post(
        f"/drafts/{draft.id}/actions/preview/", {"version": draft.version}, headers=HTMX
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    return pipelines.claim(str(draft.preview_run_id))


def preview_without_a_task(draft):
    """A preview run nobody enqueued: a test that commits must not feed a real worker."""
    run = PipelineRun.objects.create(draft=draft, report=Report.PREVIEW, requested_by="test")
    move_to(draft, is_previewable=Previewable.PENDING, preview_run_id=run.id)
    return pipelines.claim(str(run.id))


def poller_params(html: str) -> dict[str, str]:
    poller = re.search(r'<div id="draft-poller".*?</div>', html, re.S).group(0)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', poller))


def poll(client, draft, params):
    """A poll that answers at once (the tests step the run themselves)."""
    return client.get(f"/drafts/{draft.id}/live/", {**params, "wait": "0"}, headers=HTMX)


def test_a_poll_with_nothing_new_is_204_and_keeps_polling(creator_client, draft):
    start_preview(creator_client, draft)
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    params = poller_params(html)
    assert params == {
        "version": "2",
        "seen": "2",
        "preview": "0-0",
        "publishing": "0-0",
        "wait": "20",
    }
    del params["wait"]
    assert 'hx-trigger="load, retry"' in html
    assert poll(creator_client, draft, params).status_code == 204


def test_a_run_appears_check_by_check_and_the_page_keeps_following_after_it_ends(
    creator_client, draft
):
    run = start_preview(creator_client, draft)
    params = poller_params(creator_client.get(f"/drafts/{draft.id}/").content.decode())

    pipelines.write_entries(run, [NewEntry("Information", "Preview started", "Fetching.")])
    first = poll(creator_client, draft, params)
    html = first.content.decode()
    assert first.status_code == 200
    # The report's body comes again whole: the run's state line, then its notes.
    assert 'hx-swap-oob="innerHTML:#report-preview"' in html
    assert "Preview started" in html
    assert 'class="run-state run-state--running" role="status" aria-live="polite"' in html
    params = poller_params(html)
    assert params["preview"].startswith("1-")

    pipelines.write_entries(
        run,
        [
            NewEntry(
                "Warning", "Dependency analysis check succeeded", "1 old.", check="dependencies"
            ),
            NewEntry(
                "Warning",
                "Dependency check",
                "ms is old",
                application="job",
                file="job/package.json",
                line=12,
                check="dependencies",
            ),
            NewEntry("Error", "Code analysis check failed", "1 finding.", check="code"),
            NewEntry(
                "Error",
                "Code check",
                "eval is unsafe",
                application="service",
                file="service/src/index.js",
                line=3,
                check="code",
            ),
        ],
    )
    second = poll(creator_client, draft, params).content.decode()
    # One line per check with its state and counts; each finding under its check.
    warned = r'<li class="report-check report-check--warning".*?</li>\s*</ol>'
    dependencies = re.search(warned, second, re.S)
    assert dependencies and "Passed with warnings" in dependencies.group(0)
    assert "1 warning" in dependencies.group(0) and "ms is old" in dependencies.group(0)
    code = re.search(r'<li class="report-check report-check--failed".*?</li>\s*</ol>', second, re.S)
    assert code and "1 error" in code.group(0) and "eval is unsafe" in code.group(0)
    assert "<details open>" in code.group(0), "a failed check shows its findings"
    assert "<code>job/package.json</code>, line 12" in second
    assert "Application <code>service</code>" in second
    params = poller_params(second)
    assert poll(creator_client, draft, params).status_code == 204

    pipelines.finish(run, succeeded=False)
    last = poll(creator_client, draft, params).content.decode()
    poller = re.search(r'<div id="draft-poller"[^>]*>', last).group(0)
    assert 'hx-trigger="load, retry"' in poller, "the page keeps following the draft"
    assert 'badge badge--bad">Preview failed<' in last
    assert "1 of 5 checks failed, 1 with warnings" in last
    assert 'id="draft-announcer" hx-swap-oob="innerHTML"' in last
    # The page's forms move to the new version, the open field editors excepted.
    assert 'hx-swap-oob="true" data-old="2" data-new="3" data-live="true"' in last
    assert poller_params(last)["version"] == "3"


def test_someone_elses_edit_appears_live_but_an_open_editor_is_left_alone(creator_client, draft):
    run = start_preview(creator_client, draft)
    params = poller_params(creator_client.get(f"/drafts/{draft.id}/").content.decode())
    draft.refresh_from_db()
    rename_elsewhere(draft, "Edited during the preview")
    pipelines.finish(run, succeeded=True)
    # The person has the description's editor open while the name changes elsewhere.
    html = poll(creator_client, draft, {**params, "editing": "description"}).content.decode()
    assert '<div class="field" id="field-name" hx-swap-oob="true">' in html
    assert "Edited during the preview" in html
    assert 'id="field-description"' not in html, "the open editor keeps what is typed"
    assert 'data-old="2" data-new="4" data-live="true"' in html
    assert poller_params(html)["version"] == "4"
    assert poller_params(html)["seen"] == "4"


def test_the_poll_without_htmx_sends_back_to_the_page(creator_client, draft):
    response = creator_client.get(f"/drafts/{draft.id}/live/")
    assert response.status_code == 302


def test_the_run_state_line_is_an_aria_live_region(creator_client, draft):
    start_preview(creator_client, draft)
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    assert '<div id="report-preview" class="report-body">' in html
    assert 'class="run-state run-state--running" role="status" aria-live="polite"' in html
    assert '<div id="report-publishing" class="report-body">' in html
    assert "No publishing yet." in html


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_answers_as_soon_as_an_entry_is_committed(creator_client, draft):
    run = preview_without_a_task(draft)
    params = poller_params(creator_client.get(f"/drafts/{draft.id}/").content.decode())

    def write_later():
        time.sleep(0.5)
        pipelines.write_entries(run, [NewEntry("Information", "Arrived during the wait")])
        connection.close()

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    writer.start()
    response = creator_client.get(f"/drafts/{draft.id}/live/", params, headers=HTMX)
    elapsed = time.monotonic() - started
    writer.join()
    assert response.status_code == 200
    assert "Arrived during the wait" in response.content.decode()
    assert 0.4 < elapsed < 5, elapsed


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_with_nothing_new_answers_with_the_same_poller_after_its_wait(
    creator_client, draft
):
    preview_without_a_task(draft)
    params = poller_params(creator_client.get(f"/drafts/{draft.id}/").content.decode())
    started = time.monotonic()
    response = creator_client.get(
        f"/drafts/{draft.id}/live/", {**params, "wait": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    assert time.monotonic() - started >= 1
    assert poller_params(response.content.decode())["preview"] == params["preview"]
    assert 'hx-trigger="load, retry"' in response.content.decode()
