"""Secrets stay out of answers, logs and the database: credentials in repository URLs,
access tokens at rest, and introspection across projects."""

from __future__ import annotations

import hashlib
import importlib
import logging

import pytest
from django.apps import apps as django_apps
from django.test import Client
from oauth2_provider.models import AccessToken

from connectors.models import ApiClient, ConnectorStaged
from connectors.parsing import parse_draft
from connectors.services import revoke_api_client
from tests.conftest import ApiCaller, draft_body, issue_token, make_credentials

from .error_bodies import error_of

TOKEN = "ghp_Zx81QsecretTOKENvalue0042"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{TOKEN}@github.com/acme/connector.git",
        f"https://x-access-token:{TOKEN}@github.com/acme/connector.git",
        f"https:{TOKEN}@github.com/acme/connector.git",
    ],
)
def test_a_repository_url_with_credentials_is_refused_without_echoing_them(
    api, good_repo, create_draft, caplog, url
):
    caplog.set_level(logging.DEBUG)
    created = api.post("/connectors/drafts", draft_body_with(good_repo.url, url))
    body = error_of(created, 400, "InvalidJsonInput")
    assert "must not contain credentials" in body["errors"][0]["detailedErrorMessage"]
    draft = create_draft()
    action = {"action": "setRepository", "url": url, "tag": "1.0.0"}
    moved = api.post(f"/connectors/drafts/{draft['id']}", {"version": 1, "actions": [action]})
    error_of(moved, 400, "InvalidJsonInput")
    for response in (created, moved):
        assert TOKEN not in response.content.decode()
    assert TOKEN not in caplog.text
    assert not ConnectorStaged.objects.filter(repository_url__contains=TOKEN).exists()


def draft_body_with(good_url: str, url: str) -> dict:
    body = draft_body(good_url)
    body["repository"]["url"] = url
    return body


@pytest.mark.parametrize(
    "url", ["git@github.com:acme/connector.git", "https://github.com/acme/conn@ctor.git"]
)
def test_an_ssh_user_or_an_at_sign_in_the_path_is_no_credential(good_repo, url):
    assert parse_draft(draft_body_with(good_repo.url, url)).repository.url == url


def test_access_tokens_are_stored_only_as_their_checksum(manager_credentials):
    token = issue_token(manager_credentials)
    row = AccessToken.objects.get(application__client_id=manager_credentials.client_id)
    assert row.token == ""
    assert row.token_checksum == sha256(token)
    assert ApiCaller(token).get("/connectors/drafts").status_code == 200


def test_introspection_answers_only_for_the_callers_own_project(manager_credentials, other_project):
    other = make_credentials(other_project, "manage_connectors")
    others_token = issue_token(other)
    own_token = issue_token(manager_credentials)
    headers = {"Authorization": manager_credentials.basic}
    answer = Client().post("/oauth/introspect", {"token": others_token}, headers=headers)
    assert answer.status_code == 200
    assert answer.json() == {"active": False}
    own = Client().post("/oauth/introspect", {"token": own_token}, headers=headers).json()
    assert own["active"] is True and own["client_id"] == manager_credentials.client_id
    # The other project's client sees its own token.
    mirrored = Client().post(
        "/oauth/introspect", {"token": others_token}, headers={"Authorization": other.basic}
    )
    assert mirrored.json()["active"] is True


def test_a_revoked_client_cannot_introspect(manager_credentials):
    token = issue_token(make_credentials(manager_credentials.project, "view_connectors"))
    revoke_api_client(
        api_client=ApiClient.objects.get(application__client_id=manager_credentials.client_id)
    )
    response = Client().post(
        "/oauth/introspect", {"token": token}, headers={"Authorization": manager_credentials.basic}
    )
    assert response.status_code == 401


def test_tokens_stored_in_plain_before_are_blanked_by_the_migration_and_still_work(
    manager_credentials,
):
    token = issue_token(manager_credentials)
    # A row as django-oauth-toolkit wrote it before: the token itself beside its checksum.
    AccessToken.objects.filter(token_checksum=sha256(token)).update(token=token)
    migration = importlib.import_module("connectors.migrations.0005_access_tokens_at_rest")

    migration.forget_plain_tokens(django_apps, None)

    assert AccessToken.objects.get(token_checksum=sha256(token)).token == ""
    assert ApiCaller(token).get("/connectors/drafts").status_code == 200


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
