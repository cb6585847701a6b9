"""Edges of the API: HEAD, wrong methods and paths, URL schemes, e-mail characters, the
repository URL message and publish's required ``certification``."""

from __future__ import annotations

import pytest
from django.test import Client

from connectors.models import ConnectorStaged
from tests.conftest import draft_body

from .error_bodies import error_of


def test_head_answers_like_get(api, create_draft):
    draft = create_draft()
    for path in (
        "/connectors/drafts",
        f"/connectors/drafts/{draft['id']}",
        "/connectors/drafts/key=connector-key",
        "/connectors/search",
    ):
        got = api.get(path)
        head = api.client.head(path, headers=api._headers(None))
        assert head.status_code == got.status_code == 200, path
        assert head["Content-Type"] == got["Content-Type"]


def test_get_on_the_token_endpoint_is_a_405_in_the_error_body(db):
    for path in ("/oauth/token", "/oauth/introspect"):
        response = Client().get(path)
        body = error_of(response, 405, "MethodNotAllowed")
        assert response["Allow"] == "POST"
        assert body["error"] == "invalid_request"


def test_a_doubled_slash_before_an_api_path_is_a_json_404(api):
    # As a server receives it (the test client would read "//connectors" as a host name).
    response = api.client.get("/", headers=api._headers(None), PATH_INFO="//connectors/drafts")
    error_of(response, 404, "ResourceNotFound")


def test_a_wrong_method_on_an_api_view_names_the_allowed_ones(api):
    response = api.client.put("/connectors/search", headers=api._headers(None))
    error_of(response, 405, "MethodNotAllowed")
    assert "GET" in response["Allow"]


BAD_WEB_URLS = [
    "javascript:alert(document.domain)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.com/docs",
    "//example.com/docs",
    "https://example.com/a b",
    "https://example.com/\u0007",
    "https://",
]


@pytest.mark.parametrize("url", BAD_WEB_URLS)
def test_documentation_support_and_logo_urls_must_be_http_or_https(api, good_repo, url):
    body = draft_body(good_repo.url, documentationUrl=url)
    body["creator"]["supportUrl"] = url
    body["creator"]["logoUrl"] = url
    found = error_of(api.post("/connectors/drafts", body), 400, "InvalidJsonInput")
    locations = {e["detailedErrorMessage"].partition(":")[0] for e in found["errors"]}
    assert locations == {"documentationUrl", "creator -> supportUrl", "creator -> logoUrl"}


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("setDocumentationUrl", "documentationUrl"),
        ("setCreatorSupportUrl", "creatorSupportUrl"),
        ("setCreatorLogo", "logoUrl"),
    ],
)
def test_url_actions_refuse_javascript_and_accept_https(api, create_draft, action, field):
    draft = create_draft()
    path = f"/connectors/drafts/{draft['id']}"
    bad = {"version": 1, "actions": [{"action": action, field: "javascript:alert(1)"}]}
    error_of(api.post(path, bad), 400, "InvalidJsonInput")
    good = {"version": 1, "actions": [{"action": action, field: "https://example.com/x?a=1#b"}]}
    assert api.post(path, good).status_code == 201


@pytest.mark.parametrize(
    "email",
    ["john\u0001doe@example.com", "john@exa\u007fmple.com", "john@example.com\n", "a\u0000@b.co"],
)
def test_control_characters_are_refused_in_email_addresses(api, good_repo, create_draft, email):
    body = draft_body(good_repo.url)
    body["creator"]["email"] = email
    error_of(api.post("/connectors/drafts", body), 400, "InvalidJsonInput")
    draft = create_draft()
    action = {"action": "setCreatorEmail", "creatorEmail": email}
    path = f"/connectors/drafts/{draft['id']}"
    error_of(api.post(path, {"version": 1, "actions": [action]}), 400, "InvalidJsonInput")
    assert ConnectorStaged.objects.get(id=draft["id"]).creator_email == "john.doe@example.com"


@pytest.mark.parametrize(
    "url",
    [
        "https://-evil.example/acme/x.git",
        "ssh://git@github.com/acme/x.git",
        "git@github.com:acme/x",
        "https://github.com:99999/acme/x.git",
    ],
)
def test_the_repository_url_message_never_offers_ssh_scheme_urls(api, good_repo, url):
    response = api.post("/connectors/drafts", draft_body(url))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["code"] in ("InvalidJsonInput", "GitRepositoryNotReachable")
    text = " ".join(e["message"] + e.get("detailedErrorMessage", "") for e in errors)
    assert "ssh://" not in text.replace(url, "the URL")


def test_publish_without_certification_is_invalid_json_input(api, create_draft):
    draft = create_draft()
    path = f"/connectors/drafts/{draft['id']}"
    found = error_of(
        api.post(path, {"version": 1, "actions": [{"action": "publish"}]}), 400, "InvalidJsonInput"
    )
    assert found["errors"][0]["detailedErrorMessage"] == (
        "actions -> 0 -> certification: Missing required value."
    )
    assert ConnectorStaged.objects.get(id=draft["id"]).status == "Draft"


def test_two_publish_actions_in_one_update_are_refused_not_a_500(api, create_draft):
    draft = create_draft()
    actions = [
        {"action": "publish", "certification": False},
        {"action": "publish", "certification": True},
    ]
    response = api.post(f"/connectors/drafts/{draft['id']}", {"version": 1, "actions": actions})
    body = error_of(response, 400, "InvalidOperation")
    assert "only once" in body["message"]
    assert ConnectorStaged.objects.get(id=draft["id"]).status == "Draft"
