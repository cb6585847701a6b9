"""Certification followed live in two browsers: what a certifier does reaches the creator's
open page, and a new submission the certifier's open queue, within a second and without a
reload; a preview requested while no worker runs, then taken when one starts; the reports
and the changes since the last review, as the pages show them."""

from __future__ import annotations

import statistics
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from certification import services as certification
from connectors import monitoring, pipelines, samples
from connectors.drafts import Actor
from connectors.models import ConnectorStaged, Project
from connectors.parsing import parse_update
from connectors.state import Status
from connectors.update_actions import apply_update_actions
from tests.certification.conftest import seed_rejection_reasons
from tests.connectors.diff_samples import changed_connector
from tests.connectors.pipelines.conftest import finding_changes

from .conftest import RESULTS, running_worker, screenshot, sign_in

pytestmark = pytest.mark.browser

# Set on window after a page loads: still there later means the page was never reloaded.
MARK_PAGE = "window.__notReloaded = true"
NOT_RELOADED = "window.__notReloaded === true"

# What a live change must take at most to show, once the action has committed.
LIVE = 1000
# A whole run on a busy machine (fetch, Semgrep, detect-secrets, …).
RUN = 180_000

# Records when each state of the creator's page first shows: the version in the summary,
# the status badge and the number of comments in the thread (the test's clock is the same).
WATCH_STATES = """
() => {
  window.__stateSeen = {};
  const note = () => {
    const summary = document.querySelector('#draft-summary');
    if (!summary) return;
    const terms = [...summary.querySelectorAll('.meta dt')];
    const version = terms.find(t => t.textContent.trim() === 'Version');
    const badge = summary.querySelector('.badges .badge');
    const comments = document.querySelectorAll('#comment-thread li.comment').length;
    const key = [
      version ? version.nextElementSibling.textContent.trim() : '',
      badge ? badge.textContent.trim() : '',
      comments,
    ].join('|');
    if (!(key in window.__stateSeen)) window.__stateSeen[key] = Date.now();
  };
  note();
  new MutationObserver(note).observe(
    document.body, {childList: true, subtree: true, characterData: true}
  );
}
"""

# The good connector with a hard-coded secret and request input reaching eval(): the
# secret scan and the code analysis fail, each with its findings.
FINDINGS = {**finding_changes()["secret"], **finding_changes()["sast"]}


def as_certifier(user) -> Actor:
    return Actor(label=user.username, user=user, is_certifier=True)


def update(draft: ConnectorStaged, actor: Actor, *actions: dict) -> ConnectorStaged:
    """One update request, as the API and the pages make it."""
    body = parse_update({"version": draft.version, "actions": list(actions)})
    return apply_update_actions(
        projects=Project.objects.filter(pk=draft.project_id),
        version=body.version,
        actions=body.actions,
        actor=actor,
        id=str(draft.id),
    )


def enter_queue(draft: ConnectorStaged, creator) -> ConnectorStaged:
    """The creator publishes for certification and the run ends well: the pipeline's own
    claim and finish commit the move to ReadyForCertification (and send its live event).

    The run's task stays in the broker: a worker started later finds the run over and
    leaves it alone.
    """
    draft = update(
        draft, Actor(label="creator", user=creator), {"action": "publish", "certification": True}
    )
    assert draft.status == Status.PROCESSING
    claimed = pipelines.claim(str(draft.publish_run_id))
    assert claimed is not None
    assert pipelines.finish(claimed, succeeded=True)
    draft.refresh_from_db()
    assert draft.status == Status.READY_FOR_CERTIFICATION
    return draft


def forget_workers() -> None:
    """No worker heartbeat left by an earlier test's worker: the pages must see none alive."""
    cache.delete(monitoring.HEARTBEAT_KEY)
    assert not monitoring.worker_alive(), "a worker heartbeat is still fresh"


def test_the_creator_and_the_certifier_see_each_others_steps_without_a_reload(
    new_page, creator, certifier, make_draft
):
    seed_rejection_reasons()
    draft = make_draft(name="Live tax connector")
    mine = new_page()
    sign_in(mine, "creator")
    mine.goto(f"/drafts/{draft.id}/")
    summary = mine.locator("#draft-summary")
    expect(summary).to_contain_text("Draft")
    mine.evaluate(MARK_PAGE)

    theirs = new_page()
    sign_in(theirs, "certifier")
    theirs.goto("/certification/")
    queue = theirs.locator("#queue-table")
    expect(queue).to_contain_text("Nothing is waiting for certification")
    theirs.evaluate(MARK_PAGE)
    time.sleep(0.5)  # both pages' first long polls are waiting

    # The draft enters the queue: the certifier's queue shows it, the creator's page says so.
    enter_queue(draft, creator)
    expect(queue).to_contain_text("Live tax connector", timeout=LIVE)
    expect(summary).to_contain_text("Waiting for certification", timeout=LIVE)
    assert theirs.evaluate(NOT_RELOADED)
    screenshot(theirs, "live-queue")

    # The certifier claims it from the queue (the page moves to the review).
    theirs.get_by_role("button", name="Claim Live tax connector").click()
    expect(theirs.get_by_text("You have claimed the draft")).to_be_visible()
    expect(summary).to_contain_text("In certification", timeout=LIVE)
    expect(summary).to_contain_text("certifier")

    # A comment from the review page.
    asked = "Which tax provider does the job call?"
    theirs.get_by_label("Add a comment").fill(asked)
    theirs.get_by_role("button", name="Add comment").click()
    expect(theirs.locator("#draft-comments")).to_contain_text("Comment added.")
    expect(mine.locator("#comment-thread")).to_contain_text(asked, timeout=LIVE)

    # The rejection, with reasons from the list and in the certifier's words.
    theirs.get_by_label("Tests failing").check()
    theirs.get_by_label("In your own words").fill("The tax job has no tests at all.")
    theirs.get_by_role("button", name="Reject").click()
    expect(theirs.get_by_text("was rejected; the reasons are in its comments")).to_be_visible()
    banner = mine.locator("#draft-summary .banner--changes")
    expect(banner).to_contain_text("Changes requested", timeout=LIVE)
    expect(banner).to_contain_text("Tests failing", timeout=LIVE)
    expect(banner).to_contain_text("The tax job has no tests at all.", timeout=LIVE)
    expect(mine.locator("#draft-summary .badges")).to_contain_text(
        "Changes requested", timeout=LIVE
    )
    assert mine.evaluate(NOT_RELOADED)
    screenshot(mine, "live-changes-requested")
    banner.screenshot(path=str(RESULTS / "live-changes-requested-banner.png"), caret="initial")
    draft.refresh_from_db()
    assert draft.status == Status.FAILED
    assert mine.console_problems == []
    assert theirs.console_problems == []


def test_a_preview_waits_for_a_worker_and_the_page_follows_it_once_one_starts(
    new_page, creator, draft
):
    forget_workers()
    page = new_page()
    sign_in(page, "creator")
    page.goto(f"/drafts/{draft.id}/")
    page.evaluate(MARK_PAGE)
    page.get_by_role("button", name="Run a preview").click()
    report = page.locator("#report-preview")
    expect(report).to_contain_text("waiting for a worker")
    expect(report).to_contain_text("no worker is running now")
    expect(report.get_by_role("button", name="Cancel this preview")).to_be_visible()
    screenshot(page, "live-waiting-for-a-worker")

    # The run's task waits in the broker: the worker started now takes it.
    with running_worker(purge=False, log_name="worker-late"):
        try:
            expect(page.locator("#draft-summary")).to_contain_text("Preview passed", timeout=RUN)
        except AssertionError as failed:
            raise AssertionError(f"the preview did not pass:\n{report.inner_text()}") from failed
    expect(report).not_to_contain_text("waiting for a worker")
    assert page.locator("#entries-preview li.report-check").count() >= 5
    assert page.locator("#entries-preview li.report-check--failed").count() == 0
    assert page.evaluate(NOT_RELOADED)
    assert page.console_problems == []


def test_a_failed_preview_reads_like_a_checks_page(new_page, creator, make_draft, tmp_path):
    repository = samples.create_repository(
        tmp_path / "findings", samples.merge(samples.good_connector_files(), FINDINGS)
    )
    draft = make_draft(name="Leaky connector", repository={"url": repository.url, "tag": "1.0.0"})
    page = new_page()
    sign_in(page, "creator")
    page.goto(f"/drafts/{draft.id}/")
    page.evaluate(MARK_PAGE)
    with running_worker(log_name="worker-findings"):
        page.get_by_role("button", name="Run a preview").click()
        expect(page.locator("#draft-summary")).to_contain_text("Preview failed", timeout=RUN)
    report = page.locator("#report-preview")
    failed = report.locator("li.report-check--failed")
    expect(failed.filter(has_text="Secret scanning")).to_have_count(1)
    expect(failed.filter(has_text="Code analysis")).to_have_count(1)
    expect(report.locator("li.report-check--passed").first).to_be_visible()
    # Failed checks open on their findings, each linked to its line at the tag.
    expect(failed.first.locator("li.entry").first).to_be_visible()
    expect(report).to_contain_text("settings.json")
    assert page.evaluate(NOT_RELOADED)
    screenshot(page, "live-preview-failed")
    report.screenshot(path=str(RESULTS / "live-preview-failed-report.png"), caret="initial")


def test_the_second_round_shows_the_changes_since_the_last_review(
    new_page, creator, certifier, make_draft, tmp_path
):
    repository = changed_connector(tmp_path / "connector")
    draft = make_draft(
        key="cart-summary",
        name="Cart summary",
        repository={"url": repository.url, "tag": "1.0.0"},
    )
    draft = enter_queue(draft, creator)
    reviewer = as_certifier(certifier)
    draft = certification.claim(draft_id=draft.id, actor=reviewer)
    certification.reject(
        draft_id=draft.id, version=draft.version, actor=reviewer, reason="Add a timeout."
    )
    draft.refresh_from_db()
    draft = update(
        draft,
        Actor(label="creator", user=creator),
        {"action": "setRepository", "url": repository.url, "tag": "2.0.0"},
        {"action": "setDescription", "description": "Summarises carts, now with timeouts."},
    )
    # Entering the queue again asks a worker to compare the repository at both tags.
    draft = enter_queue(draft, creator)

    page = new_page()
    sign_in(page, "certifier")
    with running_worker(purge=False, log_name="worker-changes"):
        page.goto(f"/certification/{draft.id}/")
        changes = page.locator("#review-changes")
        expect(changes).to_contain_text("Changes since the last review")
        expect(changes).to_contain_text("Summarises carts, now with timeouts.")
        expect(changes).to_contain_text("service/src/index.js", timeout=RUN)
    expect(changes).not_to_contain_text("Computing what changed")
    expect(changes).to_contain_text("TIMEOUT")
    changes.scroll_into_view_if_needed()
    changes.screenshot(path=str(RESULTS / "live-review-changes.png"), caret="initial")
    assert page.console_problems == []


def test_benchmark_certifier_actions_reach_the_creators_page_quickly(
    new_page, creator, certifier, make_draft, capsys
):
    """Prints the time from a certifier's action's commit to its showing on the creator's
    open page: 20 actions, claim, comment and release in turn."""
    draft = enter_queue(make_draft(name="Benchmark connector"), creator)
    page = new_page()
    sign_in(page, "creator")
    page.goto(f"/drafts/{draft.id}/")
    expect(page.locator("#draft-summary")).to_contain_text("Waiting for certification")
    page.evaluate(MARK_PAGE)
    page.evaluate(WATCH_STATES)
    time.sleep(0.5)  # the first long poll is waiting

    reviewer = as_certifier(certifier)
    comments = 0
    badge = "Waiting for certification"
    committed: dict[str, float] = {}
    for number in range(20):
        step = number % 3
        if step == 0:
            draft = certification.claim(draft_id=draft.id, actor=reviewer)
            badge = "In certification"
        elif step == 1:
            draft = update(
                draft,
                reviewer,
                {"action": "addCertificationComment", "comment": f"Question {number}"},
            )
            comments += 1
        else:
            draft = certification.release(draft_id=draft.id, actor=reviewer)
            badge = "Waiting for certification"
        committed[f"{draft.version}|{badge}|{comments}"] = time.time() * 1000
        time.sleep(0.3 + (number % 4) * 0.1)

    last = next(reversed(committed))
    page.wait_for_function(f"() => {last!r} in window.__stateSeen", timeout=20_000)
    seen = page.evaluate("window.__stateSeen")
    missing = [key for key in committed if key not in seen]
    assert missing == [], f"states never shown: {missing}; shown: {sorted(seen)}"
    latencies = sorted(max(seen[key] - at, 0) for key, at in committed.items())
    assert len(latencies) == 20 and page.evaluate(NOT_RELOADED)
    with capsys.disabled():
        print(
            f"\ncertifier action commit → visible on the creator's page over {len(latencies)} "
            f"actions: median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms"
        )
