"""The certifier's decisions in headless Chromium: the queue's due dates and filters, a
rejection with reasons from the list, and an approval confirmed on its own page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connectors.models import CertificationComment, Connector, DraftEvent
from connectors.state import Status
from tests.certification.conftest import seed_rejection_reasons
from tests.conftest import move_to

from .conftest import RESULTS, screenshot, sign_in

pytestmark = pytest.mark.browser


def in_queue(draft, *, waited: timedelta, **fields):
    return move_to(
        draft,
        status=Status.READY_FOR_CERTIFICATION,
        status_changed_at=timezone.now() - waited,
        **fields,
    )


def test_a_certifier_filters_the_queue_and_rejects_with_reasons(new_page, certifier, make_draft):
    seed_rejection_reasons()
    late = in_queue(
        make_draft(name="Late tax connector", integrationTypes=["tax"]), waited=timedelta(days=9)
    )
    in_queue(make_draft(name="Fresh search connector"), waited=timedelta(hours=2))
    page = new_page()
    sign_in(page, "certifier")
    page.goto("/certification/")
    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Late tax connector")
    expect(rows.first).to_contain_text("overdue by")
    expect(page.locator("#recent-decisions")).to_contain_text("No decision yet")
    screenshot(page, "review-queue")

    # A filter swaps the table in place and keeps the address shareable.
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Integration type").select_option("tax")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/certification/\?.*type=tax"))
    assert page.evaluate("window.__notReloaded === true")
    page.get_by_label("Integration type").select_option("")
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Claim Late tax connector").click()
    expect(page.get_by_role("heading", name="Late tax connector", level=1)).to_be_visible()
    reasons = page.locator("#reject-form fieldset")
    expect(reasons).to_contain_text("Reasons for rejecting")

    # Nothing chosen, nothing written: the page says what is missing.
    page.get_by_role("button", name="Reject").click()
    expect(page.locator("#reject-reason-errors")).to_contain_text("Choose at least one reason")
    late.refresh_from_db()
    assert late.status == Status.IN_CERTIFICATION

    page.get_by_label("Tests failing").check()
    page.get_by_label("Documentation missing").check()
    page.get_by_label("In your own words").fill("The tax job has no tests at all.")
    screenshot(page, "review-rejection-form")
    page.locator("#reject-form").screenshot(
        path=str(RESULTS / "review-rejection-form-only.png"),
        caret="initial",
    )
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("was rejected; the reasons are in its comments")).to_be_visible()
    expect(page.locator("#recent-decisions")).to_contain_text("Late tax connector")
    expect(page.locator("#recent-decisions")).to_contain_text("Changes requested")

    late.refresh_from_db()
    assert late.status == Status.FAILED
    comment = CertificationComment.objects.get(draft=late).comment
    assert comment.startswith("Documentation missing: ") and "\n\nTests failing: " in comment
    assert comment.endswith("The tax job has no tests at all.")
    event = DraftEvent.objects.filter(draft=late).latest("id")
    assert [r["code"] for r in event.details["reasons"]] == [
        "documentation-missing",
        "tests-failing",
    ]
    # The refused rejection's honest 400 is the only thing the browser reports.
    refused = "/reject/: Failed to load resource: the server responded with a status of 400"
    assert [p for p in page.console_problems if refused not in p] == []


def test_a_certifier_confirms_an_approval_before_it_publishes(new_page, certifier, draft):
    in_queue(draft, waited=timedelta(days=1))
    page = new_page()
    sign_in(page, "certifier")
    page.goto("/certification/")
    page.get_by_role("button", name="Claim Sample connector").click()
    expect(page.get_by_role("heading", name="Sample connector", level=1)).to_be_visible()

    page.get_by_role("button", name="Approve and publish").click()
    heading = page.get_by_role("heading", name="Approve and publish “Sample connector”?")
    expect(heading).to_be_visible()
    expect(page.locator("main")).to_contain_text("it becomes public")
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION  # nothing happened yet
    screenshot(page, "review-approve-confirmation")

    # Cancelling goes back to the review with nothing decided.
    page.get_by_role("link", name="Cancel, back to the review").click()
    expect(page.get_by_role("heading", name="Sample connector", level=1)).to_be_visible()
    page.get_by_role("button", name="Approve and publish").click()

    page.get_by_label("Note to the creator").fill("Clear docs, clean reports.")
    page.get_by_role("button", name="Yes, approve and publish").click()
    expect(page.get_by_text("is certified and published")).to_be_visible()
    expect(page.locator("#recent-decisions")).to_contain_text("Approved")
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and not draft.private
    assert Connector.objects.get(staged=draft).certified
    assert CertificationComment.objects.get(draft=draft).comment == "Clear docs, clean reports."
    assert page.console_problems == []
