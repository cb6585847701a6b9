"""A certifier's main job in headless Chromium with the keyboard alone: claim a draft from the
queue, comment on it, reject it with a reason from the list and a note, and be back on the
queue; where focus is after each step and each swap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connectors.models import CertificationComment
from connectors.state import Status
from tests.certification.conftest import seed_rejection_reasons
from tests.conftest import move_to

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "body";
  return [element.tagName.toLowerCase(), element.id, element.getAttribute("type") || "",
          element.getAttribute("value") || "", element.textContent.trim()].join("|");
}"""


def focused(page) -> str:
    """The focused element as ``tag|id|type|value|text`` ("body" when nothing has focus)."""
    return page.evaluate(FOCUSED)


def tab_until(page, wanted, *, limit: int = 120, backwards: bool = False) -> str:
    """Press Tab (or Shift+Tab) until ``wanted(focused(page))`` holds; the focused element."""
    for _ in range(limit):
        now = focused(page)
        if wanted(now):
            return now
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"the keyboard never reached the element wanted (last: {now})")


def is_button(text: str):
    return lambda now: now.startswith("button|") and now.endswith("|" + text)


def test_a_certifier_claims_comments_and_rejects_with_the_keyboard_alone(
    new_page, certifier, make_draft
):
    seed_rejection_reasons()
    draft = move_to(
        make_draft(name="Keyboard tax connector", integrationTypes=["tax"]),
        status=Status.READY_FOR_CERTIFICATION,
        status_changed_at=timezone.now() - timedelta(days=2),
    )
    page = new_page()
    sign_in(page, "certifier")
    page.goto("/certification/")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)

    # The queue: Tab reaches the draft's Claim button (its name says which draft); Enter claims.
    tab_until(page, is_button("Claim Keyboard tax connector"))
    expect(page.get_by_role("button", name="Claim Keyboard tax connector")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard tax connector", level=1)).to_be_visible()
    expect(page.locator(".messages .alert")).to_contain_text("You have claimed the draft")
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION and draft.claimed_by_id == certifier.pk

    # A new page: focus starts at its top, and the first Tab is the skip link.
    assert focused(page) == "body"
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    # The comment: Tab into its textarea, type, Tab to "Add comment", Enter.
    tab_until(page, lambda now: now.startswith("textarea|comment-input|"))
    page.keyboard.type("The tax job needs tests before it can be certified.")
    page.keyboard.press("Tab")
    comment_button = page.locator("#draft-comments").get_by_role("button", name="Add comment")
    expect(comment_button).to_be_focused()
    page.keyboard.press("Enter")

    # After the swap of the comments region: the notice and the comment are there, and focus
    # is in the emptied comment textarea, ready for another comment (not lost to <body>).
    comments = page.locator("#draft-comments")
    expect(comments.get_by_role("status")).to_have_text("Comment added.")
    expect(comments.locator(".comment-text")).to_have_text(
        ["The tax job needs tests before it can be certified."]
    )
    comment_input = page.locator("#comment-input")
    expect(comment_input).to_be_focused()
    expect(comment_input).to_have_value("")
    # The live poll that follows the change (the thread and history out of band) leaves it there.
    assert CertificationComment.objects.filter(draft=draft).count() == 1
    draft.refresh_from_db()
    seen = page.locator("#draft-poller input[name='seen']")
    expect(seen).to_have_value(str(draft.version))
    expect(page.locator("#draft-history")).to_contain_text("addCertificationComment")
    expect(comment_input).to_be_focused()

    # The rejection: Shift+Tab back to the reasons; Space chooses one.
    tab_until(
        page,
        lambda now: now.startswith("input||checkbox|tests-failing|"),
        backwards=True,
    )
    page.keyboard.press("Space")
    expect(page.get_by_label("Tests failing")).to_be_checked()
    expect(page.get_by_label("Tests failing")).to_be_focused()
    tab_until(page, lambda now: now.startswith("textarea|reject-reason|"))
    page.keyboard.type("No test covers the tax job.")
    page.keyboard.press("Tab")
    reject = page.locator("#reject-form").get_by_role("button", name="Reject")
    expect(reject).to_be_focused()
    screenshot(page, "review-keyboard-rejection")
    page.keyboard.press("Enter")

    # Back on the queue with the success message; the draft has left it.
    expect(page.get_by_role("heading", name="Certification queue", level=1)).to_be_visible()
    flash = page.locator(".messages .alert")
    expect(flash).to_contain_text("was rejected; the reasons are in its comments")
    expect(page.locator("#queue-table")).to_contain_text("Nothing is waiting for certification.")
    expect(page.locator("#recent-decisions")).to_contain_text("Changes requested")
    assert focused(page) == "body"
    # The message's Dismiss button is reachable by Tab too, and Enter on it puts focus on main.
    tab_until(page, lambda now: now.startswith("button||button||Dismiss"))
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_have_count(0)
    expect(page.locator("#main")).to_be_focused()

    draft.refresh_from_db()
    assert draft.status == Status.FAILED
    texts = list(
        CertificationComment.objects.filter(draft=draft)
        .order_by("id")
        .values_list("comment", flat=True)
    )
    assert texts[0] == "The tax job needs tests before it can be certified."
    assert texts[1].startswith("Tests failing: ")
    assert texts[1].endswith("No test covers the tax job.")
    assert page.console_problems == []
