"""Hostile input answers 400 (or 413) in the error body, never a 500.

NUL characters (PostgreSQL refuses them), deep JSON, huge bodies, thousands of query
parameters, digits that are not ASCII and integers past what a column holds.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from django.test import Client

from connectors.models import ConnectorStaged
from tests.conftest import draft_body

from .error_bodies import error_of


@pytest.fixture
def signed_in(django_user_model, project) -> Client:
    user = django_user_model.objects.create_user(username="hostile", password="x" * 12)
    project.members.add(user)
    client = Client()
    client.force_login(user)
    return client


def update(api, draft_id: str, body) -> object:
    return api.post(f"/connectors/drafts/{draft_id}", body)


# --- NUL characters -----------------------------------------------------------------------


def test_a_nul_in_a_json_value_is_invalid_json_input_naming_the_field(api, good_repo):
    body = draft_body(good_repo.url, name="evil\u0000name")
    found = error_of(api.post("/connectors/drafts", body), 400, "InvalidJsonInput")
    assert found["errors"][0]["detailedErrorMessage"] == "name: NUL characters are not allowed."
    assert not ConnectorStaged.objects.exists()


def test_a_nul_in_a_json_key_is_invalid_json_input(api, good_repo):
    body = draft_body(good_repo.url)
    body["creator"]["x\u0000"] = "ignored field, but stored in history"
    error_of(api.post("/connectors/drafts", body), 400, "InvalidJsonInput")


def test_a_nul_in_an_update_action_is_refused_before_the_database(api, create_draft):
    draft = create_draft()
    action = {"action": "addCertificationComment", "comment": "a\u0000b"}
    error_of(update(api, draft["id"], {"version": 1, "actions": [action]}), 400, "InvalidJsonInput")


@pytest.mark.parametrize(
    "path",
    [
        "/connectors/drafts?sort=%00",
        "/connectors/search?text=%00",
        "/connectors/search?key=a%00b",
        "/connectors/search?creator.company=%00",
        "/connectors/drafts?%00=1",
    ],
)
def test_a_nul_in_a_query_parameter_is_invalid_query_param(api, path):
    error_of(api.get(path), 400, "InvalidQueryParam")


@pytest.mark.parametrize(
    "path", ["/connectors/drafts/key=a%00b", "/connectors/key=a%00b", "/connectors/%00"]
)
def test_a_nul_in_a_path_parameter_is_invalid_path_param(api, path):
    error_of(api.get(path), 400, "InvalidPathParam")


def test_a_nul_in_the_token_form_is_an_oauth_error(manager_credentials):
    response = Client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "manage_connectors:\u0000"},
        headers={"Authorization": manager_credentials.basic},
    )
    body = error_of(response, 400, "InvalidInput")
    assert body["error"] == "invalid_request"


def test_a_nul_in_the_client_id_is_refused(db):
    basic = "Basic " + base64.b64encode(b"id%00x:secret").decode()
    response = Client().post(
        "/oauth/token", {"grant_type": "client_credentials"}, headers={"Authorization": basic}
    )
    error_of(response, 400, "InvalidInput")


def test_a_nul_in_a_page_form_or_search_field_is_a_400_page(signed_in, create_draft):
    draft = create_draft()
    searched = signed_in.get("/?q=%00")
    assert searched.status_code == 400
    posted = signed_in.post(
        f"/drafts/{draft['id']}/fields/name/", {"version": "1", "name": "a\u0000b"}
    )
    assert posted.status_code == 400
    admin_search = signed_in.get("/admin/connectors/connectorstaged/?q=%00")
    assert admin_search.status_code == 400
    assert ConnectorStaged.objects.get(id=draft["id"]).name == "Connector's name"


# --- shapes and sizes ---------------------------------------------------------------------


def test_json_nested_a_hundred_thousand_deep_is_invalid_json_input(api):
    deep = b"[" * 100_000 + b"]" * 100_000
    found = error_of(api.post("/connectors/drafts", deep), 400, "InvalidJsonInput")
    assert "deeper than" in found["errors"][0]["detailedErrorMessage"]


def test_json_nested_past_the_limit_inside_an_ignored_field_is_refused_too(api, good_repo):
    body = draft_body(good_repo.url)
    body["creator"]["extra"] = json.loads("[" * 40 + "]" * 40)
    error_of(api.post("/connectors/drafts", body), 400, "InvalidJsonInput")


def test_a_body_over_the_limit_is_413_in_the_error_body(api, settings):
    huge = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    body = error_of(api.post("/connectors/drafts", huge), 413, "InvalidInput")
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in body["message"]


def test_two_thousand_repeated_query_parameters_are_refused(api):
    path = "/connectors/search?" + "&".join(["key=a"] * 2000)
    error_of(api.get(path), 400, "InvalidQueryParam")


def test_a_repeated_parameter_past_its_own_bound_is_refused(api):
    path = "/connectors/search?" + "&".join(f"key=k{i}" for i in range(60))
    body = error_of(api.get(path), 400, "InvalidQueryParam")
    assert "at most 50 times" in body["message"]


def test_a_search_text_past_its_bound_is_refused(api):
    error_of(api.get("/connectors/search", {"text": "x" * 257}), 400, "InvalidQueryParam")


# --- digits and ranges --------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661\u0662", " 12", "+1", "1_0", "-1"])
def test_only_ascii_digits_count_for_limit_and_offset(api, raw):
    error_of(api.get(f"/connectors/drafts?limit={quote(raw)}"), 400, "InvalidQueryParam")
    error_of(api.get(f"/connectors/search?offset={quote(raw)}"), 400, "InvalidQueryParam")


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661", "0", "2147483648", "99999999999999999999"])
def test_a_delete_version_must_be_an_ascii_number_in_range(api, create_draft, raw):
    draft = create_draft()
    response = api.delete(f"/connectors/drafts/{draft['id']}?version={quote(raw)}")
    error_of(response, 400, "InvalidQueryParam")
    assert ConnectorStaged.objects.filter(id=draft["id"]).exists()


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661\u0662", "99999999999999999999"])
def test_page_parameters_with_other_digits_are_ignored_not_a_500(signed_in, create_draft, raw):
    draft = create_draft()
    htmx = {"HX-Request": "true"}
    for params in ({"wait": raw}, {"seen": raw}, {"version": raw}, {"preview": f"{raw}-{raw}"}):
        response = signed_in.get(f"/drafts/{draft['id']}/live/", params, headers=htmx)
        assert response.status_code in (200, 204), (params, response.status_code)
    assert signed_in.get("/", {"page": raw}).status_code == 200
    stale = signed_in.post(f"/drafts/{draft['id']}/fields/name/", {"version": raw, "name": "n"})
    assert stale.status_code in (400, 409)
    assert ConnectorStaged.objects.get(id=draft["id"]).version == 1


@pytest.mark.parametrize("count", [2**31, 4294967301, 10**30])
def test_no_of_contributors_beyond_a_32_bit_integer_is_refused(api, good_repo, count):
    body = draft_body(good_repo.url)
    body["creator"]["noOfContributors"] = count
    found = error_of(api.post("/connectors/drafts", body), 400, "InvalidJsonInput")
    assert "creator -> noOfContributors" in found["errors"][0]["detailedErrorMessage"]
    assert not ConnectorStaged.objects.exists()


def test_the_largest_32_bit_contributor_count_is_stored_as_sent(api, good_repo):
    body = draft_body(good_repo.url)
    body["creator"]["noOfContributors"] = 2**31 - 1
    response = api.post("/connectors/drafts", body)
    assert response.status_code == 201
    fetched = api.get(f"/connectors/drafts/{response.json()['id']}").json()
    assert fetched["creator"]["noOfContributors"] == 2**31 - 1


def test_set_creator_no_of_contributors_and_version_are_range_checked(api, create_draft):
    draft = create_draft()
    action = {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 2**31}
    error_of(update(api, draft["id"], {"version": 1, "actions": [action]}), 400, "InvalidJsonInput")
    rename = {"action": "setName", "name": "n"}
    error_of(
        update(api, draft["id"], {"version": 2**31, "actions": [rename]}), 400, "InvalidJsonInput"
    )
    assert ConnectorStaged.objects.get(id=draft["id"]).version == 1


def test_a_trailing_newline_does_not_slip_past_a_pattern(api, good_repo):
    error_of(
        api.post("/connectors/drafts", draft_body(good_repo.url, key="good-key\n")),
        400,
        "InvalidJsonInput",
    )
