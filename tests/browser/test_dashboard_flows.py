"""The dashboard in headless Chromium: a creator, a certifier, two tabs, and live reports."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from playwright.sync_api import expect

from connectors import pipelines
from connectors.models import Connector, ConnectorStaged, PipelineRun
from connectors.pipelines import NewEntry
from connectors.state import Previewable, Report, Status
from tests.conftest import move_to

from .conftest import RESULTS, screenshot, sign_in

pytestmark = pytest.mark.browser

# Set on window after a page loads: still there later means the page was never reloaded.
MARK_PAGE = "window.__notReloaded = true"
NOT_RELOADED = "window.__notReloaded === true"

# Records when each report entry element first appears (the test's clock is the same).
WATCH_ENTRIES = """
() => {
  window.__entrySeen = {};
  const note = () => {
    // Entries by id, and each check once it has ended (its line's state class).
    for (const item of document.querySelectorAll('li.entry, li.report-check')) {
      const check = item.classList.contains('report-check');
      const key = check ? item.id + ' ' + item.className : item.id;
      if (item.matches('.report-check--queued, .report-check--running')) continue;
      if (!(key in window.__entrySeen)) window.__entrySeen[key] = Date.now();
    }
  };
  note();
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
}
"""


@pytest.mark.worker
def test_a_creator_goes_from_sign_in_to_a_draft_published_for_certification(
    new_page, creator, good_repo, celery_worker
):
    page = new_page()
    sign_in(page, "creator")
    expect(page.get_by_role("heading", name="Connector drafts")).to_be_visible()
    screenshot(page, "list-empty")

    page.get_by_role("link", name="New draft").first.click()
    page.get_by_label("Name (required)").fill("Browser connector")
    page.get_by_label("Key").fill("browser-connector")
    page.get_by_label("Git URL (required)").fill(good_repo.url)
    page.get_by_label("Tag (required)").fill("1.0.0")
    page.get_by_label("europe-west1.gcp").check()
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="Browser connector", level=1)).to_be_visible()
    page.evaluate(MARK_PAGE)

    # An edit in place: the name changes without a reload, focus back on its Edit button.
    page.locator("#field-name").get_by_role("button", name="Edit name").click()
    name_input = page.locator("#input-name")
    expect(name_input).to_be_focused()
    name_input.fill("Browser connector, renamed")
    page.locator("#field-name").get_by_role("button", name="Save name").click()
    expect(page.locator("#draft-title")).to_have_text("Browser connector, renamed")
    expect(page.locator("#field-name").get_by_role("button", name="Edit name")).to_be_focused()

    # The preview: entries arrive while the worker runs the checks, without a reload.
    page.evaluate(WATCH_ENTRIES)
    page.get_by_role("button", name="Run a preview").click()
    expect(page.locator("#draft-summary")).to_contain_text("Preview running")
    try:
        expect(page.locator("#draft-summary")).to_contain_text("Preview passed", timeout=120_000)
    except AssertionError as failed:
        report = page.locator("#report-preview").inner_text()
        raise AssertionError(f"the preview did not pass; its report:\n{report}") from failed
    arrivals = sorted(set(page.evaluate("Object.values(window.__entrySeen)")))
    assert page.locator("#entries-preview li.report-check").count() >= 5
    assert page.locator("#entries-preview li.report-check--failed").count() == 0
    assert len(arrivals) >= 2, "entries arrived in more than one batch while the run went on"
    assert page.evaluate(NOT_RELOADED)
    expect(page.get_by_role("button", name="Run a preview")).to_be_enabled()
    screenshot(page, "draft-previewed")

    page.get_by_role("button", name="Publish for certification").click()
    expect(page.locator("#draft-summary")).to_contain_text(
        "Waiting for certification", timeout=120_000
    )
    assert page.evaluate(NOT_RELOADED)
    draft = ConnectorStaged.objects.get(key="browser-connector")
    assert draft.status == Status.READY_FOR_CERTIFICATION
    assert draft.name == "Browser connector, renamed"
    screenshot(page, "draft")

    page.goto("/")
    expect(page.get_by_role("link", name="Browser connector, renamed")).to_be_visible()
    screenshot(page, "list")
    assert page.console_problems == []


def test_a_certifier_goes_from_the_queue_to_an_approval(new_page, certifier, draft):
    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    page = new_page()
    sign_in(page, "certifier")
    expect(page).to_have_url(re.compile(r"/certification/$"))
    expect(page.get_by_role("cell", name="Sample connector")).to_be_visible()
    screenshot(page, "queue")

    page.get_by_role("button", name="Claim Sample connector").click()
    expect(page.get_by_role("heading", name="Sample connector", level=1)).to_be_visible()
    expect(page.get_by_text("You have claimed the draft")).to_be_visible()
    expect(page.locator("#draft-applications")).to_contain_text("CORS_ALLOWED_ORIGINS")
    screenshot(page, "review")

    page.get_by_label("Add a comment").fill("Looks good to me.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#draft-comments")).to_contain_text("Looks good to me.")

    page.get_by_role("button", name="Approve and publish").click()
    page.get_by_role("button", name="Yes, approve and publish").click()
    expect(page.get_by_text("is certified and published")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.already_listed
    assert Connector.objects.get(staged=draft).certified
    assert page.console_problems == []


def test_two_tabs_edit_one_draft_and_the_second_gets_the_conflict_with_nothing_lost(
    new_page, creator, draft
):
    first, second = new_page(), new_page()
    for tab in (first, second):
        sign_in(tab, "creator")
        tab.goto(f"/drafts/{draft.id}/")

    # The second tab starts typing; meanwhile the first tab renames the draft.
    second.locator("#field-description").get_by_role("button", name="Edit description").click()
    typed = "A description typed in the second tab,\nover two lines."
    second.locator("#input-description").fill(typed)

    first.locator("#field-name").get_by_role("button", name="Edit name").click()
    first.locator("#input-name").fill("Name from the first tab")
    first.locator("#field-name").get_by_role("button", name="Save name").click()
    expect(first.locator("#draft-title")).to_have_text("Name from the first tab")

    second.locator("#field-description").get_by_role("button", name="Save description").click()
    conflict = second.locator("#field-description .conflict")
    expect(conflict).to_contain_text("Your value was not saved yet")
    expect(conflict).to_contain_text("Name from the first tab")
    expect(second.locator("#input-description")).to_have_value(typed)
    screenshot(second, "conflict")
    second.locator("#field-description").screenshot(
        path=str(RESULTS / "conflict-field.png"), caret="initial"
    )

    second.locator("#field-description").get_by_role("button", name="Save description").click()
    expect(second.locator("#field-description .field-value")).to_contain_text("over two lines.")
    expect(second.locator("#draft-title")).to_have_text("Name from the first tab")
    draft.refresh_from_db()
    assert draft.name == "Name from the first tab"
    assert draft.description == typed


def test_benchmark_report_entries_reach_the_page_quickly(new_page, creator, draft, capsys):
    """Prints the time from an entry's commit to its appearance on the page (25 entries)."""
    run = PipelineRun.objects.create(draft=draft, report=Report.PREVIEW, requested_by="bench")
    move_to(draft, is_previewable=Previewable.PENDING, preview_run_id=run.id)
    claimed = pipelines.claim(str(run.id))

    page = new_page()
    sign_in(page, "creator")
    page.goto(f"/drafts/{draft.id}/")
    page.evaluate(MARK_PAGE)
    page.evaluate(WATCH_ENTRIES)
    time.sleep(0.5)  # the first long poll is waiting

    committed: dict[str, float] = {}
    for number in range(25):
        before = {e.id for e in draft.report_entries.all()}
        pipelines.write_entries(
            claimed, [NewEntry("Information", f"Entry {number}", "written by the benchmark")]
        )
        done = time.time() * 1000
        for entry in draft.report_entries.exclude(id__in=before):
            committed[f"entry-{entry.id}"] = done
        time.sleep(0.15 + (number % 5) * 0.05)
    expect(page.locator("#report-preview li.entry")).to_have_count(25)
    seen = page.evaluate("window.__entrySeen")
    latencies = sorted(max(seen[key] - at, 0) for key, at in committed.items())
    assert len(latencies) == 25 and page.evaluate(NOT_RELOADED)
    pipelines.finish(claimed, succeeded=True)
    expect(page.locator("#draft-summary")).to_contain_text("Preview passed")
    with capsys.disabled():
        print(
            f"\nreport entry commit → visible over {len(latencies)} entries: "
            f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms"
        )
