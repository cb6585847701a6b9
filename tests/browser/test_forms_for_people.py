"""Forms in Chromium as people use them: errors in words linked from a summary, keyboard only,
where focus goes after each swap, flash messages that go away, sign-in progress."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connectors.drafts import Actor
from connectors.models import ConnectorStaged, PipelineRun
from connectors.services import cancel_run
from connectors.state import Report
from tests.conftest import PASSWORD

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

FOCUSED_ID = "document.activeElement && document.activeElement.id"


def script_problems(page) -> list[str]:
    """The console's errors, but for the browser noting a refused form's honest 400."""
    return [p for p in page.console_problems if "status of 400 (Bad Request)" not in p]


def settled(page) -> None:
    """Wait until htmx has finished the last swap (a person does not press a key within the
    20 ms htmx takes to settle new content; a test would)."""
    busy = ".htmx-request:not(#draft-poller), .htmx-swapping, .htmx-settling"
    page.wait_for_function(f"!document.querySelector({busy!r})")


def tab_to(page, element_id: str, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element with ``element_id`` has focus."""
    for _ in range(limit):
        if page.evaluate(FOCUSED_ID) == element_id:
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def test_every_error_is_in_words_and_its_summary_link_puts_focus_in_the_field(
    new_page, creator, good_repo
):
    page = new_page()
    sign_in(page, "creator")
    page.goto("/drafts/new/")
    page.get_by_label("Name (required)").fill("")
    page.get_by_label("Key").fill("bad key!")
    page.get_by_label("Documentation URL").fill("https://intranet")
    page.get_by_label("Git URL (required)").fill("github.com/acme/bridge.git")
    page.get_by_label("Tag (required)").fill("1.0.0")
    page.get_by_label("Email (required)").fill("nope")
    page.get_by_label("Number of contributors").fill("0")
    page.get_by_role("button", name="Create draft").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expected = {
        "#input-name": "Name: Enter a name.",
        "#input-key": "Key: Use 2 to 256 letters, digits, hyphens or underscores.",
        "#input-documentationUrl": "Documentation URL: Enter a full web address",
        "#input-repository-url": "Git URL: Enter an HTTPS URL",
        "#input-creator-email": "Creator email: Enter an email address like name@example.com.",
        "#input-creator-noOfContributors": "Creator number of contributors: Enter a whole number",
    }
    links = summary.get_by_role("link")
    expect(links).to_have_count(len(expected))
    text = summary.inner_text()
    for raw in ("does not match the pattern", "String should", "Input should"):
        assert raw not in page.content()
    for href, words in expected.items():
        assert words in text, (words, text)
        page.locator(f".error-summary a[href='{href}']").click()
        expect(page.locator(href)).to_be_focused()
    screenshot(page, "create-form-errors")
    assert ConnectorStaged.objects.count() == 0
    assert script_problems(page) == []


def test_a_draft_is_created_and_edited_with_the_keyboard_alone(new_page, creator, good_repo):
    page = new_page()
    sign_in(page, "creator")
    page.goto("/drafts/new/")
    tab_to(page, "input-name")
    page.keyboard.type("Keyboard connector")
    tab_to(page, "input-key")
    page.keyboard.type("keyboard-connector")
    tab_to(page, "input-repository-url")
    page.keyboard.type(good_repo.url)
    tab_to(page, "input-repository-tag")
    page.keyboard.type("1.0.0")
    tab_to(page, "input-supportedRegions")
    page.keyboard.press("Space")
    expect(page.locator("#input-supportedRegions")).to_be_checked()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Create draft":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard connector", level=1)).to_be_visible()
    draft = ConnectorStaged.objects.get(key="keyboard-connector")

    # The flash message can be dismissed; it is not there after the next action.
    flash = page.locator(".messages .alert")
    expect(flash).to_contain_text("Draft “Keyboard connector” created.")
    expect(flash.get_by_role("button", name="Dismiss")).to_be_visible()

    # Edit with Enter: focus lands in the editor's input.
    page.locator("#edit-name").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#input-name")).to_be_focused()
    expect(page.locator(".messages")).to_have_count(0)
    page.keyboard.type(" that waits")

    # Escape cancels: the value is kept and focus is back on the field's Edit button.
    page.keyboard.press("Escape")
    expect(page.locator("#field-name.field--editing")).to_have_count(0)
    expect(page.locator("#edit-name")).to_be_focused()
    draft.refresh_from_db()
    assert draft.name == "Keyboard connector"

    # Space opens it again; Tab reaches Cancel, a button; Enter in the input saves.
    settled(page)
    page.keyboard.press("Space")
    expect(page.locator("#input-name")).to_be_focused()
    tab_to(page, "cancel-button-name")
    expect(page.locator("#cancel-button-name")).to_have_js_property("tagName", "BUTTON")
    tab_to(page, "input-name", backwards=True)
    page.keyboard.press("End")
    page.keyboard.type(", renamed")
    page.keyboard.press("Enter")
    expect(page.locator("#draft-title")).to_have_text("Keyboard connector, renamed")
    expect(page.locator("#edit-name")).to_be_focused()

    # A refused save: the message beside the input, focus in the input.
    settled(page)
    page.keyboard.press("Enter")
    expect(page.locator("#input-name")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Enter")
    expect(page.locator("#input-name-errors")).to_have_text("Enter a name.")
    expect(page.locator("#input-name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#edit-name")).to_be_focused()

    # A repository editor with two errors: a summary of links that takes focus.
    page.locator("#edit-repository").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#input-repository-url")).to_be_focused()
    page.keyboard.type("https://token@github.com/acme/bridge.git")
    page.locator("#input-repository-tag").fill("")
    page.locator("#input-repository-tag").press("Enter")
    summary = page.locator("#error-summary-repository")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(2)
    summary.get_by_role("link", name="Tag: Enter the tag to read, like 1.0.0.").press("Enter")
    expect(page.locator("#input-repository-tag")).to_be_focused()
    screenshot(page, "editor-error-summary")
    page.keyboard.press("Escape")
    expect(page.locator("#edit-repository")).to_be_focused()

    # The flash message does not come back on a reload.
    page.reload()
    expect(page.get_by_role("heading", name="Keyboard connector, renamed")).to_be_visible()
    expect(page.locator(".messages")).to_have_count(0)
    draft.refresh_from_db()
    assert draft.name == "Keyboard connector, renamed"
    assert script_problems(page) == []


def test_the_edit_and_cancel_buttons_work_without_javascript(chromium, live_server, creator, draft):
    context = chromium.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("creator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/drafts/{draft.id}/")
        page.get_by_role("button", name="Edit description").click()
        expect(page.locator("#input-description")).to_be_visible()
        page.get_by_role("button", name="Cancel editing description").click()
        expect(page.locator("#input-description")).to_have_count(0)
        expect(page.get_by_role("button", name="Edit description")).to_be_visible()
    finally:
        context.close()


def test_a_flash_message_can_be_dismissed_and_cancel_is_a_button_that_logs_nothing(
    new_page, creator, good_repo
):
    page = new_page()
    sign_in(page, "creator")
    page.goto("/drafts/new/")
    page.get_by_label("Name (required)").fill("Flash connector")
    page.get_by_label("Git URL (required)").fill(good_repo.url)
    page.get_by_label("Tag (required)").fill("1.0.0")
    page.get_by_role("button", name="Create draft").click()
    flash = page.locator(".messages .alert")
    expect(flash).to_contain_text("created")
    flash.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".messages")).to_have_count(0)
    expect(page.locator("#main")).to_be_focused()

    # The editor's Cancel button, clicked: the field as it was, focus on its Edit button.
    page.get_by_role("button", name="Edit description").click()
    expect(page.locator("#input-description")).to_be_focused()
    page.get_by_role("button", name="Cancel editing description").click()
    expect(page.locator("#input-description")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit description")).to_be_focused()
    assert page.console_problems == [], "no htmx error from Cancel (hx-disabled-elt)"


def test_focus_goes_to_the_reports_heading_when_a_run_it_was_on_ends(new_page, creator, draft):
    page = new_page()
    sign_in(page, "creator")
    page.goto(f"/drafts/{draft.id}/")
    page.get_by_role("button", name="Run a preview").click()
    cancel = page.locator("#draft-reports").get_by_role("button", name="Cancel")
    expect(cancel.first).to_be_visible()
    cancel.first.focus()
    run = PipelineRun.objects.filter(draft=draft, report=Report.PREVIEW).latest("id")
    cancel_run(actor=Actor(label="support"), run_id=run.id)
    expect(page.locator("#report-preview")).to_contain_text("cancelled", timeout=30_000)
    expect(page.locator("#report-preview-title")).to_be_focused()
    assert page.console_problems == []


def test_sign_in_shows_its_progress_while_the_password_is_checked(new_page, creator):
    page = new_page()
    page.goto("/accounts/login/")
    # Noted at the submit (after the page's own handler) in storage that outlives the page.
    page.evaluate(
        """() => document.addEventListener("submit", () => {
             const button = document.querySelector("button[type=submit]");
             sessionStorage.setItem("busy", JSON.stringify(
               [button.textContent, button.disabled, button.getAttribute("aria-busy")]));
           })"""
    )
    page.get_by_label("Username").fill("creator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.evaluate("JSON.parse(sessionStorage.getItem('busy'))") == [
        "Signing in…",
        True,
        "true",
    ]
    assert page.console_problems == []


def test_a_flash_message_goes_away_on_its_own_after_a_while(new_page, creator, good_repo):
    page = new_page()
    page.clock.install()
    sign_in(page, "creator")
    page.goto("/drafts/new/")
    page.get_by_label("Name (required)").fill("Fading connector")
    page.get_by_label("Git URL (required)").fill(good_repo.url)
    page.get_by_label("Tag (required)").fill("1.0.0")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator(".messages .alert")).to_contain_text("created")
    page.clock.fast_forward(10_000)
    expect(page.locator(".messages .alert")).to_be_visible()
    page.clock.fast_forward(6_000)
    expect(page.locator(".messages")).to_have_count(0)
