"""The webhook API: endpoints of the token's project, their secret shown once, the target check."""

from __future__ import annotations

import pytest

from connectors.notifications import schemas
from connectors.notifications.models import WebhookEndpoint
from connectors.notifications.services import MAX_ENDPOINTS_PER_PROJECT

BASE = "/connectors/webhooks"


def register(api, url: str, **extra):
    return api.post(BASE, {"url": url, **extra})


def test_an_endpoint_is_registered_with_a_secret_shown_once(api, local_targets, receiver):
    response = register(api, receiver.url, description="Our CI")
    assert response.status_code == 201, response.content
    created = schemas.WebhookEndpointWithSecret.model_validate(response.json())
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    assert (created.url, created.description, created.enabled) == (receiver.url, "Our CI", True)

    listed = api.get(BASE).json()
    schemas.WebhookEndpointList.model_validate(listed)
    assert [e["id"] for e in listed["results"]] == [created.id]
    assert "secret" not in listed["results"][0]
    fetched = api.get(f"{BASE}/{created.id}").json()
    assert "secret" not in fetched and fetched["url"] == receiver.url


def test_rotating_gives_a_new_secret_once(api, local_targets, receiver):
    created = register(api, receiver.url).json()
    response = api.post(f"{BASE}/{created['id']}/rotate-secret", {})
    assert response.status_code == 200
    rotated = schemas.WebhookEndpointWithSecret.model_validate(response.json())
    assert rotated.secret != created["secret"] and rotated.secretRotatedAt
    assert WebhookEndpoint.objects.get(id=created["id"]).secret == rotated.secret


def test_an_endpoint_is_updated_and_deleted(api, local_targets, receiver):
    created = register(api, receiver.url).json()
    updated = api.post(f"{BASE}/{created['id']}", {"enabled": False, "description": "paused"})
    assert updated.status_code == 200
    assert (updated.json()["enabled"], updated.json()["description"]) == (False, "paused")
    assert api.delete(f"{BASE}/{created['id']}").status_code == 200
    assert api.get(f"{BASE}/{created['id']}").status_code == 404
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/hooks", "127.0.0.1, a loopback address"),
        ("http://localhost/hooks", "a loopback address"),
        ("https://10.1.2.3/hooks", "10.1.2.3, a private address"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://[::1]:8080/", "::1, a loopback address"),
        ("http://[::ffff:192.168.0.1]/", "a private address"),
        ("http://100.64.0.1/", "a non-public address"),
        ("http://0.0.0.0/", "0.0.0.0"),
    ],
)
def test_targets_on_private_networks_are_refused(api, url, reason):
    response = register(api, url)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert reason in error["message"], error
    assert "url" in error["detailedErrorMessage"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/hooks", "does not match the pattern"),
        ("https://user:password@example.com/hooks", "credentials"),
        ("https://no-such-host.invalid/hooks", "could not be resolved"),
        ("", "url: Value should have at least 1"),
    ],
)
def test_other_bad_targets_are_refused_with_the_reason(api, url, problem):
    response = register(api, url)
    assert response.status_code == 400, response.content
    assert problem in response.json()["errors"][0]["detailedErrorMessage"]


def test_unknown_fields_and_wrong_types_are_400(api):
    response = api.post(BASE, {"url": "https://example.com/", "enabled": "yes", "extra": 1})
    assert response.status_code == 400
    problems = [e["detailedErrorMessage"] for e in response.json()["errors"]]
    assert any("enabled" in p for p in problems) and any("Unknown field" in p for p in problems)


def test_reading_needs_view_and_writing_manage(viewer_api, api, local_targets, receiver):
    created = register(api, receiver.url).json()
    assert viewer_api.get(BASE).status_code == 200
    assert viewer_api.get(f"{BASE}/{created['id']}/deliveries").status_code == 200
    for response in (
        register(viewer_api, receiver.url),
        viewer_api.post(f"{BASE}/{created['id']}/rotate-secret", {}),
        viewer_api.delete(f"{BASE}/{created['id']}"),
    ):
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "insufficient_scope"
    assert api.client.get(BASE).status_code == 401


def test_another_projects_endpoint_is_a_404(api, other_api, local_targets, receiver):
    created = register(api, receiver.url).json()
    assert other_api.get(BASE).json()["results"] == []
    for response in (
        other_api.get(f"{BASE}/{created['id']}"),
        other_api.delete(f"{BASE}/{created['id']}"),
        other_api.get(f"{BASE}/{created['id']}/deliveries"),
        other_api.get(f"{BASE}/not-a-uuid"),
    ):
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "ResourceNotFound"


def test_a_project_has_a_bounded_number_of_endpoints(api, local_targets, receiver):
    for _ in range(MAX_ENDPOINTS_PER_PROJECT):
        assert register(api, receiver.url).status_code == 201
    response = register(api, receiver.url)
    assert response.status_code == 400
    assert "at most" in response.json()["message"]


def test_the_schema_documents_the_webhook_operations(api):
    schema = api.client.get("/api/schema/", headers={"Accept": "application/json"}).json()
    operations = {
        operation["operationId"]
        for path, methods in schema["paths"].items()
        if path.startswith(BASE)
        for operation in methods.values()
    }
    assert operations == {
        "queryWebhookEndpoints",
        "createWebhookEndpoint",
        "getWebhookEndpoint",
        "updateWebhookEndpoint",
        "deleteWebhookEndpoint",
        "rotateWebhookEndpointSecret",
        "queryWebhookDeliveries",
        "redeliverWebhook",
    }
