"""The support admin: API clients (secret shown once, rotate, revoke) and stuck runs."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages

from connectors.models import ApiClient, ConnectorStaged, PipelineRun, ReportEntry
from tests.conftest import ApiCaller, Credentials, issue_token


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_support_creates_an_api_client_and_sees_the_secret_once(admin_client, project):
    response = admin_client.post(
        "/admin/connectors/apiclient/add/",
        {"project": project.pk, "name": "Shop sync", "scopes": ["manage_connectors"]},
        follow=True,
    )
    assert response.status_code == 200
    message = next(m for m in shown(response) if "client secret" in m)
    client_id, secret = re.search(r"Client id (\S+), client secret (\S+):", message).groups()
    api_client = ApiClient.objects.get(name="Shop sync")
    assert api_client.application.client_id == client_id
    assert secret not in api_client.application.client_secret
    token = issue_token(Credentials(client_id, secret, project))
    assert ApiCaller(token).get("/connectors/drafts").status_code == 200
    page = admin_client.get(f"/admin/connectors/apiclient/{api_client.pk}/change/")
    assert secret not in page.content.decode()


def test_support_rotates_and_revokes_a_client(admin_client, manager_credentials):
    api_client = ApiClient.objects.get(application__client_id=manager_credentials.client_id)
    url = "/admin/connectors/apiclient/"
    rotated = admin_client.post(
        url, {"action": "rotate_secret", "_selected_action": [api_client.pk]}, follow=True
    )
    new_secret = re.search(r"New secret for \S+: (\S+)", " ".join(shown(rotated))).group(1)
    fresh = Credentials(manager_credentials.client_id, new_secret, manager_credentials.project)
    token = issue_token(fresh)
    admin_client.post(url, {"action": "revoke", "_selected_action": [api_client.pk]})
    assert ApiCaller(token).get("/connectors/drafts").status_code == 401


def test_support_reruns_and_fails_a_stuck_preview(admin_client, api, create_draft):
    draft = create_draft()
    api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 1, "actions": [{"action": "updatePreviewable"}]},
    )  # noqa: E501
    stuck = ConnectorStaged.objects.get(id=draft["id"]).preview_run_id
    url = "/admin/connectors/connectorstaged/"
    admin_client.post(url, {"action": "rerun_pipeline", "_selected_action": [draft["id"]]})
    row = ConnectorStaged.objects.get(id=draft["id"])
    assert row.preview_run_id != stuck
    assert PipelineRun.objects.get(id=stuck).state == "superseded"
    assert row.is_previewable == "pending" and row.version == 3
    admin_client.post(url, {"action": "fail_pipeline", "_selected_action": [draft["id"]]})
    row.refresh_from_db()
    assert row.is_previewable == "false"
    last = ReportEntry.objects.filter(draft=row).last()
    assert (last.type, last.title) == ("Error", "Run interrupted")
    assert "support" in last.message


def test_draft_admin_searches_by_creator_email_and_filters_by_status(admin_client, create_draft):
    create_draft()
    found = admin_client.get("/admin/connectors/connectorstaged/", {"q": "john.doe@example.com"})
    assert "connector-key" in found.content.decode()
    none = admin_client.get("/admin/connectors/connectorstaged/", {"status__exact": "Published"})
    assert "connector-key" not in none.content.decode()
