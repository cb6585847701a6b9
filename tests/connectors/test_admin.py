"""The support admin: API clients (secret shown once, rotate and revoke after confirming),
drafts changed only through the domain (stuck runs, certification claims), read-only rows."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client

from certification import services as certification
from connectors.drafts import Actor, publish_to_production
from connectors.models import (
    ApiClient,
    CertificationComment,
    ConnectorStaged,
    DraftEvent,
    PipelineRun,
    ReportEntry,
)
from connectors.state import Status
from tests.conftest import ApiCaller, Credentials, issue_token, move_to


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


CLIENTS = "/admin/connectors/apiclient/"


def test_rotating_a_secret_asks_for_confirmation_first(admin_client, manager_credentials):
    api_client = ApiClient.objects.get(application__client_id=manager_credentials.client_id)
    asked = admin_client.post(
        CLIENTS, {"action": "rotate_secret", "_selected_action": [api_client.pk]}
    )
    html = asked.content.decode()
    assert asked.status_code == 200 and "Rotate the client secret?" in html
    assert str(api_client) in html and "stops working at once" in html
    assert '<input type="hidden" name="post" value="yes">' in html
    assert not issued(asked)
    issue_token(manager_credentials)  # the old secret still works: nothing happened yet

    rotated = admin_client.post(
        CLIENTS,
        {"action": "rotate_secret", "_selected_action": [api_client.pk], "post": "yes"},
        follow=True,
    )
    [(client_id, new_secret)] = issued(rotated)
    assert client_id == manager_credentials.client_id
    assert new_secret not in cookie_texts(admin_client)
    refused = Client().post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": manager_credentials.basic},
    )
    assert refused.status_code == 401
    issue_token(Credentials(client_id, new_secret, manager_credentials.project))


def test_revoking_asks_for_confirmation_first(admin_client, manager_credentials):
    api_client = ApiClient.objects.get(application__client_id=manager_credentials.client_id)
    token = issue_token(manager_credentials)
    asked = admin_client.post(CLIENTS, {"action": "revoke", "_selected_action": [api_client.pk]})
    html = asked.content.decode()
    assert asked.status_code == 200 and "Revoke the API client?" in html
    assert "cannot be undone" in html and str(api_client) in html
    assert ApiCaller(token).get("/connectors/drafts").status_code == 200

    done = admin_client.post(
        CLIENTS, {"action": "revoke", "_selected_action": [api_client.pk], "post": "yes"}
    )
    assert done.status_code == 302
    assert ApiCaller(token).get("/connectors/drafts").status_code == 401
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    again = admin_client.post(
        CLIENTS, {"action": "revoke", "_selected_action": [api_client.pk]}, follow=True
    )
    assert any("already revoked" in m for m in shown(again))


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
    assert row.is_previewable == "false" and row.version == 4
    event = DraftEvent.objects.filter(draft=row).latest("id")
    assert (event.kind, event.version) == ("state", 4)
    last = ReportEntry.objects.filter(draft=row).last()
    assert (last.type, last.title) == ("Error", "Run interrupted")
    assert "support" in last.message


def test_draft_admin_searches_by_creator_email_and_filters_by_status(admin_client, create_draft):
    create_draft()
    found = admin_client.get("/admin/connectors/connectorstaged/", {"q": "john.doe@example.com"})
    assert "connector-key" in found.content.decode()
    none = admin_client.get("/admin/connectors/connectorstaged/", {"status__exact": "Published"})
    assert "connector-key" not in none.content.decode()


DRAFTS = "/admin/connectors/connectorstaged/"


def test_the_draft_admin_cannot_edit_status_or_any_field(admin_client, draft):
    page = admin_client.get(f"{DRAFTS}{draft.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="status"' not in html and 'name="name"' not in html
    assert 'name="certification_comments-0-comment"' not in html
    before = draft.version
    response = admin_client.post(
        f"{DRAFTS}{draft.pk}/change/",
        {"status": Status.PUBLISHED, "name": "Changed by hand", "version": 99, "_save": "Save"},
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert (draft.status, draft.name, draft.version) == (Status.DRAFT, "Sample connector", before)
    assert admin_client.get(f"{DRAFTS}add/").status_code == 403


def test_comments_connectors_entries_and_runs_are_read_only_in_the_admin(admin_client, draft):
    CertificationComment.objects.create(draft=draft, user_id="acme-shop", comment="Hello")
    move_to(draft, status=Status.PUBLISHED)
    connector = publish_to_production(draft=draft, certified=False)
    ReportEntry.objects.create(draft=draft, report="preview", type="Information", title="ok")
    comment = CertificationComment.objects.get()
    for url in (
        f"/admin/connectors/connector/{connector.pk}/change/",
        f"/admin/connectors/certificationcomment/{comment.pk}/change/",
        f"/admin/connectors/reportentry/{ReportEntry.objects.get().pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200
        assert admin_client.post(url, {"name": "x", "comment": "x"}).status_code == 403
    comment.refresh_from_db()
    assert comment.comment == "Hello"
    for model in ("connector", "certificationcomment", "reportentry", "pipelinerun"):
        assert admin_client.get(f"/admin/connectors/{model}/add/").status_code == 403


def test_support_releases_a_certification_claim_through_the_domain(admin_client, certifier, draft):
    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    certification.claim(
        draft_id=draft.id, actor=Actor(label="certifier", user=certifier, is_certifier=True)
    )
    draft.refresh_from_db()
    page = admin_client.get(f"{DRAFTS}{draft.pk}/change/").content.decode()
    assert "Release the certification claim" in page
    assert '<input type="hidden" name="action" value="release_certification_claim">' in page
    response = admin_client.post(
        DRAFTS,
        {"action": "release_certification_claim", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert any("back in the certification queue" in m for m in shown(response))
    released = ConnectorStaged.objects.get(pk=draft.pk)
    assert released.status == Status.READY_FOR_CERTIFICATION and released.claimed_by is None
    assert released.version == draft.version + 1
    assert released.status_changed_at == draft.status_changed_at
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert (event.kind, event.actor, event.version) == ("state", "admin", released.version)
    assert event.summary == "certification claim of certifier released by support"

    again = admin_client.post(
        DRAFTS,
        {"action": "release_certification_claim", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert any("nothing released" in m for m in shown(again))
    assert ConnectorStaged.objects.get(pk=draft.pk).version == released.version


def test_deleting_a_draft_in_the_admin_goes_through_the_service(admin_client, draft):
    asked = admin_client.post(DRAFTS, {"action": "delete_selected", "_selected_action": [draft.pk]})
    assert asked.status_code == 200 and "Are you sure" in asked.content.decode()
    admin_client.post(
        DRAFTS, {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"}
    )
    assert not ConnectorStaged.objects.filter(pk=draft.pk).exists()


def test_support_cancels_a_queued_run_through_the_domain(admin_client, creator_client, draft):
    creator_client.post(f"/drafts/{draft.id}/actions/preview/", {"version": draft.version})
    draft.refresh_from_db()
    response = admin_client.post(
        DRAFTS, {"action": "cancel_runs", "_selected_action": [draft.pk]}, follow=True
    )
    assert any("cancelled preview" in m for m in shown(response))
    cancelled = ConnectorStaged.objects.get(pk=draft.pk)
    assert cancelled.is_previewable == "false" and cancelled.version == draft.version + 1
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert (event.actor, event.version) == ("admin", cancelled.version)
    assert "cancelled by admin" in event.summary

    again = admin_client.post(
        DRAFTS, {"action": "cancel_runs", "_selected_action": [draft.pk]}, follow=True
    )
    assert any("There is no run to cancel" in m for m in shown(again))
