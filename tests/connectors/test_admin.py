"""The support admin: API clients (secret shown once, rotate, revoke) and stuck runs."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest

from connectors.models import ApiClient, ConnectorStaged, PipelineRun, ReportEntry
from tests.conftest import ApiCaller, Credentials, issue_token


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def issued(response) -> list[tuple[str, str]]:
    """The (client id, secret) pairs the issued-secrets page shows."""
    html = response.content.decode()
    ids = re.findall(r'<code class="issued-client-id">([^<]+)</code>', html)
    secrets = re.findall(r'<code class="issued-client-secret">([^<]+)</code>', html)
    return list(zip(ids, secrets, strict=True))


def cookie_texts(client) -> str:
    """Every cookie the browser holds, raw and with Django's messages cookie decoded."""
    texts = [morsel.value for morsel in client.cookies.values()]
    if "messages" in client.cookies:
        request = HttpRequest()
        request.COOKIES = {"messages": client.cookies["messages"].value}
        texts += [str(m) for m in CookieStorage(request)._decode(request.COOKIES["messages"]) or []]
    return " ".join(texts)


def test_support_creates_an_api_client_and_sees_the_secret_once(admin_client, project):
    response = admin_client.post(
        "/admin/connectors/apiclient/add/",
        {"project": project.pk, "name": "Shop sync", "scopes": ["manage_connectors"]},
        follow=True,
    )
    assert response.status_code == 200
    [(client_id, secret)] = issued(response)
    assert "no-store" in response["Cache-Control"]
    api_client = ApiClient.objects.get(name="Shop sync")
    assert api_client.application.client_id == client_id
    assert secret not in api_client.application.client_secret
    token = issue_token(Credentials(client_id, secret, project))
    assert ApiCaller(token).get("/connectors/drafts").status_code == 200
    page = admin_client.get(f"/admin/connectors/apiclient/{api_client.pk}/change/")
    assert secret not in page.content.decode()
    again = admin_client.get("/admin/connectors/apiclient/issued-secrets/", follow=True)
    assert secret not in again.content.decode()
    assert any("shown once" in m for m in shown(again))


def test_a_new_secret_never_travels_in_a_cookie(admin_client, project):
    response = admin_client.post(
        "/admin/connectors/apiclient/add/",
        {"project": project.pk, "name": "Cookie check", "scopes": ["view_connectors"]},
    )
    assert response.status_code == 302
    shown_page = admin_client.get(response["Location"])
    [(_, secret)] = issued(shown_page)
    assert secret not in cookie_texts(admin_client)
    assert all(secret not in m for m in shown(shown_page))


def test_support_rotates_and_revokes_a_client(admin_client, manager_credentials):
    api_client = ApiClient.objects.get(application__client_id=manager_credentials.client_id)
    url = "/admin/connectors/apiclient/"
    rotated = admin_client.post(
        url, {"action": "rotate_secret", "_selected_action": [api_client.pk]}, follow=True
    )
    [(client_id, new_secret)] = issued(rotated)
    assert client_id == manager_credentials.client_id
    assert new_secret not in cookie_texts(admin_client)
    fresh = Credentials(manager_credentials.client_id, new_secret, manager_credentials.project)
    token = issue_token(fresh)
    admin_client.post(url, {"action": "revoke", "_selected_action": [api_client.pk]})
    assert ApiCaller(token).get("/connectors/drafts").status_code == 401


def test_support_reruns_and_fails_a_stuck_preview(admin_client, api, create_draft):
    draft = create_draft()
    api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 1, "actions": [{"action": "updatePreviewable"}]},
    )
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
