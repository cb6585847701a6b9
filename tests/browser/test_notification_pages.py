"""The notification pages in a real headless Chromium: htmx saves, the secret shown once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connectors.notifications.models import NotificationPreference, WebhookEndpoint
from tests.browser.conftest import screenshot, sign_in
from tests.notifications import receivers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The webhook receiver's fixtures, shared with tests/notifications.
receiver = receivers.receiver
local_targets = receivers.local_targets


def test_a_creator_turns_emails_off_and_adds_a_webhook(new_page, creator, local_targets, receiver):
    page = new_page()
    sign_in(page, "creator")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()

    page.get_by_label("Email me about drafts").uncheck()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.get_by_label("Certification comments by others")).to_be_disabled()
    assert NotificationPreference.objects.get(user=creator).emails is False
    screenshot(page, "notification-preferences")

    page.get_by_role("link", name="acme-shop").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Build server")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#endpoint-secret")
    expect(secret).to_be_visible()
    expect(secret).to_have_text(WebhookEndpoint.objects.get().secret)
    screenshot(page, "webhook-endpoint")

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    expect(secret).to_have_count(0)
    page.reload()
    expect(page.locator("#endpoint-secret")).to_have_count(0)
    assert page.console_problems == []
