from playwright.sync_api import expect
from connectors.state import Status
from tests.connectors.views.conftest import move_to
from .conftest import screenshot, sign_in

def test_debug(new_page, certifier, draft):
    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    page = new_page()
    sign_in(page, "certifier")
    print("A", page.console_problems)
    page.get_by_role("button", name="Claim Sample connector").click()
    expect(page.get_by_role("heading", name="Sample connector", level=1)).to_be_visible()
    print("B", page.console_problems)
    expect(page.get_by_text("You have claimed the draft")).to_be_visible()
    expect(page.locator("#draft-applications")).to_contain_text("CORS_ALLOWED_ORIGINS")
    print("C", page.console_problems)
    screenshot(page, "review")
    print("D", page.console_problems)
    page.get_by_label("Add a comment").fill("Looks good to me.")
    print("E", page.console_problems)
    page.on("response", lambda r: print("RESP", r.url, r.status, r.text()) if "comments" in r.url else None)
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#draft-comments")).to_contain_text("Looks good to me.")
    print("F", page.console_problems)
