"""POST /oauth/token, /oauth/introspect and the scope rules."""

from __future__ import annotations

import json

from django.core.management import call_command
from django.test import Client

from connectors.services import revoke_api_client
from tests.conftest import ApiCaller, issue_token, make_credentials


def token_response(credentials, scope=None, grant_type="client_credentials"):
    data = {"grant_type": grant_type}
    if scope is not None:
        data["scope"] = scope
    return Client().post("/oauth/token", data, headers={"Authorization": credentials.basic})


def test_token_grants_the_requested_scope(manager_credentials):
    response = token_response(manager_credentials, "manage_connectors:acme-shop")
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "manage_connectors:acme-shop"
    assert body["expires_in"] > 0


def test_token_without_scope_gets_all_the_client_may_have(manager_credentials):
    assert token_response(manager_credentials).json()["scope"] == "manage_connectors:acme-shop"


def test_manage_implies_view(manager_credentials):
    response = token_response(manager_credentials, "view_connectors:acme-shop")
    assert response.json()["scope"] == "view_connectors:acme-shop"


def test_a_token_never_gets_more_than_its_client_allows(project, other_project):
    viewer = make_credentials(project, "view_connectors")
    for scope in ("manage_connectors:acme-shop", "view_connectors:globex"):
        response = token_response(viewer, scope)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"
        assert response.json()["errors"][0]["code"] == "invalid_scope"


def test_wrong_secret_is_invalid_client(manager_credentials):
    manager_credentials.client_secret = "wrong"
    response = token_response(manager_credentials)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["statusCode"] == 401


def test_only_client_credentials_grant_is_supported(manager_credentials):
    response = token_response(manager_credentials, grant_type="urn:example:made-up")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_manage_project_allows_everything(project_admin_api, create_draft):
    draft = create_draft(caller=project_admin_api)
    response = project_admin_api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 1, "actions": [{"action": "setName", "name": "x"}]},
    )
    assert response.status_code == 201


def test_a_revoked_client_gets_no_token_and_its_tokens_stop_working(manager_credentials):
    token = issue_token(manager_credentials)
    assert ApiCaller(token).get("/connectors/drafts").status_code == 200
    revoke_api_client(api_client=manager_credentials.project.api_clients.get())
    assert ApiCaller(token).get("/connectors/drafts").status_code == 401
    assert token_response(manager_credentials).status_code in (400, 401)


def test_introspection_tells_whether_a_token_is_active(manager_credentials):
    token = issue_token(manager_credentials)
    headers = {"Authorization": manager_credentials.basic}
    active = Client().post("/oauth/introspect", {"token": token}, headers=headers).json()
    assert active["active"] is True
    assert active["scope"] == "manage_connectors:acme-shop"
    assert active["client_id"] == manager_credentials.client_id
    inactive = Client().post("/oauth/introspect", {"token": "nope"}, headers=headers).json()
    assert inactive == {"active": False}
    assert Client().post("/oauth/introspect", {"token": token}).status_code == 401


def test_create_api_client_command_prints_working_credentials(db, capsys):
    call_command(
        "create_api_client",
        "--project",
        "cli-shop",
        "--region",
        "us-east-2.aws",
        "--scope",
        "manage_connectors",
        "--scope",
        "view_connectors",
    )
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"client_id", "client_secret", "project", "scopes"}
    assert printed["project"] == "cli-shop"
    assert printed["scopes"] == ["manage_connectors:cli-shop", "view_connectors:cli-shop"]
    import base64

    basic = base64.b64encode(f"{printed['client_id']}:{printed['client_secret']}".encode()).decode()
    response = Client().post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    assert "manage_connectors:cli-shop" in response.json()["scope"]


def test_client_secrets_are_stored_hashed(manager_credentials):
    from oauth2_provider.models import Application

    stored = Application.objects.get(client_id=manager_credentials.client_id).client_secret
    assert manager_credentials.client_secret not in stored
    assert stored.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt", "md5$"))


def test_a_token_revoked_elsewhere_is_refused_within_the_cache_time(manager_credentials, settings):
    import time

    from oauth2_provider.models import AccessToken

    settings.CONNECTORS_TOKEN_CACHE_SECONDS = 1
    token = issue_token(manager_credentials)
    caller = ApiCaller(token)
    assert caller.get("/connectors/drafts").status_code == 200
    # Another process revokes: the row goes, but this process is not told.
    AccessToken.objects.all().delete()
    assert caller.get("/connectors/drafts").status_code == 200
    time.sleep(1.1)
    assert caller.get("/connectors/drafts").status_code == 401
