"""Every page for every role in headless Chromium: axe-core finds no accessibility
violation before and after the main actions, the console shows no error and the CSP reports
no violation, a phone's draft page puts the state, the report and the action first, and
screenshots of the main pages at 1440×900 and 390×844 are kept with the test results.

axe-core comes from the npm registry (tests/compat/package.json, installed by
``./workbench test``); it is injected as an init script, which the page's CSP does not
govern, so the pages are checked under their real policy. CSP violations are collected by
listening for ``securitypolicyviolation`` events (a report needs no endpoint).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from connectors import pipelines
from connectors.models import PipelineRun
from connectors.state import Previewable, Report, Status
from tests.certification.conftest import seed_rejection_reasons
from tests.conftest import PASSWORD, move_to

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "tests" / "compat" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ` +
    `${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""

RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}
"""


@pytest.fixture
def person_page(new_page):
    """A page whose every document carries axe-core and the CSP watcher."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` in tests/compat")
    source = AXE.read_text()

    def make(viewport: dict[str, int] = DESKTOP):
        page = new_page(viewport["width"])
        page.set_viewport_size(viewport)
        page.context.add_init_script(source)
        page.context.add_init_script(WATCH_CSP)
        return page

    return make


def assert_clean(page, where: str) -> None:
    """No axe violation, no console error, no CSP violation on the page as it is now."""
    page.wait_for_load_state("load")
    violations = page.evaluate(RUN_AXE)
    csp = page.evaluate("window.__cspViolations || []")
    inline_styles = page.evaluate(
        "[...document.querySelectorAll('style, [style]')].map((e) => e.outerHTML.slice(0, 120))"
    )
    problems = list(page.console_problems)
    page.console_problems.clear()
    assert violations == [], f"{where}: axe found\n{json.dumps(violations, indent=1)}"
    assert csp == [], f"{where}: CSP violations {csp}"
    assert inline_styles == [], f"{where}: inline styles {inline_styles}"
    assert problems == [], f"{where}: console errors {problems}"


def visit(page, url: str, where: str, shot: str | None = None) -> None:
    page.goto(url)
    assert_clean(page, where)
    if shot:
        width = page.viewport_size["width"]
        screenshot(page, f"people-{shot}-{width}")


def settled(page) -> None:
    """htmx has nothing in flight but the long polls (a swap and its settle are over)."""
    busy = ":is(.htmx-request, .htmx-settling, .htmx-swapping):not([hidden])"
    expect(page.locator(busy)).to_have_count(0)
    page.wait_for_timeout(150)


@pytest.mark.worker
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_creators_pages_are_accessible_and_quiet_before_and_after_each_action(
    person_page, creator, project, draft, celery_worker, viewport
):
    page = person_page(viewport)
    visit(page, "/accounts/login/", "sign-in page", "login")
    page.get_by_label("Username").fill("creator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Connector drafts")).to_be_visible()
    assert_clean(page, "drafts list")
    screenshot(page, f"people-drafts-{viewport['width']}")

    page.get_by_role("searchbox", name="Search").fill("Sample")
    expect(page).to_have_url(re.compile(r"q=Sample"))
    settled(page)
    assert_clean(page, "drafts list, filtered")

    visit(page, "/drafts/new/", "create page", "create")

    url = f"/drafts/{draft.id}/"
    visit(page, url, "draft page", "draft")
    # The Edit control (a link or a button) opens the editor in place.
    page.locator("#field-name").locator("a, button").filter(has_text="Edit").click()
    expect(page.locator("#input-name")).to_be_focused()
    assert_clean(page, "draft page, name editor open")
    page.locator("#input-name").fill("Sample connector, renamed")
    page.locator("#field-name").get_by_role("button", name="Save name").click()
    expect(page.locator("#draft-title")).to_have_text("Sample connector, renamed")
    settled(page)
    assert_clean(page, "draft page, name saved")

    page.get_by_role("button", name="Run a preview").click()
    summary = page.locator("#draft-summary")
    expect(summary).to_contain_text("Preview passed", timeout=120_000)
    settled(page)
    assert_clean(page, "draft page, preview finished")
    page.reload()
    assert_clean(page, "draft page with a finished report")
    screenshot(page, f"people-draft-report-{viewport['width']}")

    page.get_by_role("link", name="Durations and logs of this preview").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_clean(page, "run page")
    screenshot(page, f"people-run-{viewport['width']}")

    visit(page, f"/drafts/{draft.id}/delete/", "delete confirmation", "delete")
    visit(page, "/notifications/", "notification settings", "notifications")
    page.get_by_role("button", name=re.compile("^Save")).first.click()
    settled(page)
    assert_clean(page, "notification settings, saved")
    visit(page, f"/projects/{project.key}/webhooks/", "webhooks page", "webhooks")

    for missing in ("/drafts/00000000-0000-0000-0000-000000000000/", "/no/such/page/"):
        page.goto(missing)
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        # The browser's own line for the 404 status itself is the one expected message.
        page.console_problems[:] = [p for p in page.console_problems if "status of 404" not in p]
        assert_clean(page, f"404 page of {missing}")
    screenshot(page, f"people-404-{viewport['width']}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_certifiers_pages_are_accessible_and_quiet_and_a_comment_breaks_no_policy(
    person_page, certifier, creator, draft, viewport
):
    seed_rejection_reasons()
    move_to(
        draft,
        status=Status.READY_FOR_CERTIFICATION,
        status_changed_at=timezone.now() - timedelta(days=2),
    )
    page = person_page(viewport)
    sign_in(page, "certifier")
    expect(page.get_by_role("heading", name="Certification queue")).to_be_visible()
    assert_clean(page, "queue")
    screenshot(page, f"people-queue-{viewport['width']}")

    page.get_by_role("button", name="Claim Sample connector").click()
    expect(page.get_by_role("heading", name="Sample connector", level=1)).to_be_visible()
    assert_clean(page, "review page")
    screenshot(page, f"people-review-{viewport['width']}")

    comment = page.locator("#draft-comments textarea")
    comment.fill("Please add a README section on the tax rules.")
    page.locator("#draft-comments").get_by_role("button", name=re.compile("comment", re.I)).click()
    expect(page.locator("#draft-comments")).to_contain_text("on the tax rules")
    settled(page)
    assert_clean(page, "review page, comment posted")

    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("heading", name=re.compile("^Approve and publish"))).to_be_visible()
    assert_clean(page, "approve confirmation")
    screenshot(page, f"people-approve-{viewport['width']}")

    # A link to the draft page takes the certifier to the review while it is in the queue.
    page.goto(f"/drafts/{draft.id}/")
    expect(page).to_have_url(re.compile(rf"/certification/{draft.id}/$"))
    assert_clean(page, "review page from a draft link")

    page.get_by_label("Tests failing").check()
    page.get_by_label("In your own words").fill("The tax job has no tests at all.")
    assert_clean(page, "review page, rejection being written")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("was rejected; the reasons are in its comments")).to_be_visible()
    assert_clean(page, "queue after a rejection")

    # The creator reads the rejection on the draft page.
    creator_page = person_page(viewport)
    sign_in(creator_page, "creator")
    creator_page.goto(f"/drafts/{draft.id}/")
    expect(creator_page.get_by_role("heading", name="Changes requested")).to_be_visible()
    assert_clean(creator_page, "draft page with changes requested")
    screenshot(creator_page, f"people-draft-rejected-{viewport['width']}")


def test_support_staff_land_on_an_accessible_overview(person_page, support, make_draft):
    stuck = make_draft(name="Stuck connector")
    run = PipelineRun.objects.create(draft=stuck, report="preview")
    PipelineRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    for viewport in (DESKTOP, PHONE):
        page = person_page(viewport)
        sign_in(page, "support")
        expect(page.get_by_role("heading", name="Support overview")).to_be_visible()
        expect(page.locator("#support-stuck")).to_contain_text("Stuck connector")
        assert_clean(page, "support overview")
        screenshot(page, f"people-support-{viewport['width']}")


def test_htmx_is_configured_to_add_no_inline_style(person_page, creator):
    page = person_page()
    sign_in(page, "creator")
    config = page.evaluate(
        "({indicator: htmx.config.includeIndicatorStyles, settle: htmx.config.attributesToSettle,"
        " eval: htmx.config.allowEval})"
    )
    assert config == {"indicator": False, "settle": ["class", "width", "height"], "eval": False}


def test_the_checks_see_an_axe_violation_and_a_csp_violation(person_page):
    """The two checks above can fail: a picture without a text alternative and a style
    attribute added by a script are both reported."""
    page = person_page()
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
          const picture = document.createElement('img');
          picture.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
          document.querySelector('main').append(picture);
          document.querySelector('h1').setAttribute('style', 'color: red');
        }"""
    )
    violations = page.evaluate(RUN_AXE)
    assert "image-alt" in [v["id"] for v in violations]
    csp = page.evaluate("window.__cspViolations")
    assert len(csp) == 1 and csp[0].startswith("style-src-attr blocked inline")


def failed_preview(draft, repository) -> None:
    """A real preview of a repository without connect.yaml, run in this process."""
    move_to(draft, repository_url=repository.url)
    run = PipelineRun.objects.create(draft=draft, report=Report.PREVIEW, requested_by="creator")
    move_to(draft, is_previewable=Previewable.PENDING, preview_run_id=run.id)
    pipelines.run_pipeline(str(run.id))


def top(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"] + page.evaluate("window.scrollY")


def test_on_a_phone_the_draft_page_shows_state_report_and_action_first(
    person_page, creator, draft, repositories
):
    failed_preview(draft, repositories["no-spec"])
    page = person_page(PHONE)
    sign_in(page, "creator")
    page.goto(f"/drafts/{draft.id}/")
    expect(page.locator("#draft-summary")).to_contain_text("Preview failed")
    assert_clean(page, "phone draft page with a failed report")
    screenshot(page, "people-draft-failed-390")
    screen = PHONE["height"]
    positions = {
        name: top(page, selector)
        for name, selector in {
            "summary": "#draft-summary",
            "action": "#draft-actions .button--primary",
            "report": "#report-preview .run-state",
            "failure": "#report-preview .report-check--failed",
        }.items()
    }
    # The state, the primary action and the report's state line are on the first screen,
    # the failed check right after them; the page is not a scroll through everything.
    assert positions["summary"] < screen / 3, positions
    assert positions["action"] < screen - 100, positions
    assert positions["report"] < screen, positions
    assert positions["failure"] < 1.5 * screen, positions
    assert page.evaluate("document.documentElement.scrollHeight") < 7_000
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # What is seen first is also read and reached first: DOM order is the visual order.
    order = page.evaluate(
        """() => ['#draft-summary', '#draft-actions', '#draft-reports', '#draft-fields']
            .map((s) => document.querySelector(s))
            .every((el, i, all) => i === 0 ||
               (all[i - 1].compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING))"""
    )
    assert order
    assert sorted(positions.values()) == list(positions.values())
    # Tabbing from the top reaches the primary action before anything in the report.
    page.locator("#draft-title").click()
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        if reached[-1] == "Run the preview again":
            break
    assert "Run a preview" in reached
    assert reached.index("Run a preview") < reached.index("Run the preview again")
