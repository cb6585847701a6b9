"""The dashboard's notification pages: email preferences and a project's webhooks."""

from __future__ import annotations

import pytest

from connectors.notifications.models import (
    NotificationPreference,
    OutboundEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from connectors.notifications.services import create_endpoint
from tests.conftest import HTMX

WEBHOOKS = "/projects/acme-shop/webhooks/"


def test_the_header_links_the_notifications_page(creator_client):
    html = creator_client.get("/").content.decode()
    assert 'href="/notifications/"' in html


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_preferences_are_all_on_until_changed_and_saved_without_javascript(creator_client, creator):
    html = creator_client.get("/notifications/").content.decode()
    assert html.count(" checked>") == 4 and "creator@example.com" in html
    assert "Drafts submitted for certification" not in html, "a certifiers' topic"
    assert 'href="/projects/acme-shop/webhooks/"' in html

    response = creator_client.post("/notifications/", {"emails": "on", "runs": "on"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    preference = NotificationPreference.objects.get(user=creator)
    assert (preference.emails, preference.runs, preference.comments) == (True, True, False)
    assert (
        "Your email preferences are saved."
        in creator_client.get("/notifications/").content.decode()
    )


def test_certifiers_also_choose_about_submissions(certifier_client, certifier):
    assert "Drafts submitted for certification" in (
        certifier_client.get("/notifications/").content.decode()
    )
    certifier_client.post("/notifications/", {"emails": "on", "comments": "on"})
    assert NotificationPreference.objects.get(user=certifier).wants("submissions") is False


def test_an_htmx_change_saves_and_answers_the_form_alone(creator_client, creator):
    response = creator_client.post("/notifications/", {"decisions": "on"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="preferences-form"') and "Saved." in html
    assert '<fieldset class="choices" disabled>' in html, "everything off: the topics wait"
    assert NotificationPreference.objects.get(user=creator).wants("decisions") is False


def test_a_non_member_gets_a_404_for_the_projects_webhooks(
    other_client, project, local_targets, receiver
):
    assert other_client.get(WEBHOOKS).status_code == 404
    endpoint = create_endpoint(project=project, url=receiver.url, actor="x")
    assert other_client.get(f"{WEBHOOKS}{endpoint.id}/").status_code == 404
    assert other_client.post(f"{WEBHOOKS}{endpoint.id}/delete/").status_code == 404
    assert WebhookEndpoint.objects.filter(id=endpoint.id).exists()


def test_adding_an_endpoint_shows_its_secret_once(creator_client, local_targets, receiver):
    response = creator_client.post(
        WEBHOOKS, {"url": receiver.url, "description": "<b>CI</b> receiver"}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{WEBHOOKS}{endpoint.id}/"
    assert endpoint.created_by == "creator"

    page = creator_client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "shown this once" in page
    assert "&lt;b&gt;CI&lt;/b&gt; receiver" in page and "<b>CI</b>" not in page
    again = creator_client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again
    assert receiver.url in creator_client.get(WEBHOOKS).content.decode()


def test_with_htmx_a_new_endpoint_opens_its_page(creator_client, local_targets, receiver):
    response = creator_client.post(WEBHOOKS, {"url": receiver.url}, headers=HTMX)
    endpoint = WebhookEndpoint.objects.get()
    assert response["HX-Redirect"] == f"{WEBHOOKS}{endpoint.id}/"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9/hooks", "127.0.0.1, a loopback address"),
        ("ftp://example.com/", "does not match the pattern"),
    ],
)
def test_a_refused_url_is_shown_beside_the_kept_form(creator_client, url, message):
    response = creator_client.post(WEBHOOKS, {"url": url}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<div id="webhooks"')
    assert message in html and f'value="{url}"' in html
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_is_disabled_rotated_and_deleted(
    creator_client, project, local_targets, receiver
):
    endpoint = create_endpoint(project=project, url=receiver.url, actor="x")
    page = f"{WEBHOOKS}{endpoint.id}/"

    html = creator_client.post(f"{page}disable/", headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section id="endpoint-settings"') and ">Enable<" in html
    assert WebhookEndpoint.objects.get(id=endpoint.id).enabled is False

    old = endpoint.secret
    html = creator_client.post(f"{page}rotate/", headers=HTMX).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in html
    assert endpoint.secret not in creator_client.get(page).content.decode()

    response = creator_client.post(f"{page}delete/")
    assert response.status_code == 302 and response["Location"] == WEBHOOKS
    assert not WebhookEndpoint.objects.exists()
    assert creator_client.post(f"{page}unknown/").status_code == 404


def test_the_delivery_log_shows_attempts_and_redelivers(
    creator_client,
    project,
    draft,
    local_targets,
    receiver,
    eager,
    django_capture_on_commit_callbacks,
):
    receiver.statuses = [503, 200]
    endpoint = create_endpoint(project=project, url=receiver.url, actor="x")
    from connectors.notifications import outbox

    with django_capture_on_commit_callbacks(execute=True):
        outbox.fan_out(draft.events.get().id)
    delivery = WebhookDelivery.objects.get()
    # In place there is no countdown: the second attempt is left to its due time. Fail it.
    WebhookDelivery.objects.filter(id=delivery.id).update(state="failed")
    page = f"{WEBHOOKS}{endpoint.id}/"
    html = creator_client.get(page).content.decode()
    assert "connector_staged.created" in html and "HTTP 503" in html and ">Redeliver<" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(f"{page}deliveries/{delivery.id}/redeliver/", headers=HTMX)
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="delivery-{delivery.id}"')
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and len(receiver.received) == 2
    assert "HTTP 200" in creator_client.get(page).content.decode()
    assert OutboundEvent.objects.count() == 1


def test_support_sees_endpoints_without_their_secret_and_the_delivery_log_read_only(
    support_client, project, local_targets, receiver
):
    endpoint = create_endpoint(project=project, url=receiver.url, actor="x")
    html = support_client.get(f"/admin/notifications/webhookendpoint/{endpoint.id}/change/")
    assert html.status_code == 200 and endpoint.secret not in html.content.decode()
    assert support_client.get("/admin/notifications/webhookendpoint/add/").status_code == 403
    assert support_client.get("/admin/notifications/webhookdelivery/").status_code == 200
    assert support_client.get("/admin/notifications/webhookdelivery/add/").status_code == 403
    assert support_client.get("/admin/notifications/notificationpreference/").status_code == 200
