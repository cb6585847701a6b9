"""Every bad input gets the Connect error body, with the right code and status."""

from __future__ import annotations

import pytest

from tests.conftest import ApiCaller, draft_body

from .error_bodies import error_of


def test_malformed_json_is_invalid_json_input(api):
    body = error_of(api.post("/connectors/drafts", b"{not json"), 400, "InvalidJsonInput")
    assert "Malformed JSON" in body["errors"][0]["detailedErrorMessage"]


def test_an_empty_body_is_invalid_json_input(api):
    error_of(api.post("/connectors/drafts", b""), 400, "InvalidJsonInput")


def test_a_body_that_is_not_an_object_is_invalid_json_input(api):
    error_of(api.post("/connectors/drafts", [1, 2]), 400, "InvalidJsonInput")


def test_missing_required_fields_are_each_reported(api):
    body = error_of(api.post("/connectors/drafts", {"description": "x"}), 400, "InvalidJsonInput")
    details = [e["detailedErrorMessage"] for e in body["errors"]]
    assert details == [
        "name: Missing required value.",
        "creator: Missing required value.",
        "repository: Missing required value.",
    ]


def test_wrong_types_and_patterns_are_reported_per_field(api, good_repo):
    bad = draft_body(good_repo.url, key="x", name=5, supportedRegions=["mars-1.gcp"])
    bad["creator"]["email"] = "not-an-email"
    body = error_of(api.post("/connectors/drafts", bad), 400, "InvalidJsonInput")
    details = " | ".join(e["detailedErrorMessage"] for e in body["errors"])
    assert "key: Value 'x' does not match the pattern" in details
    assert "name: Input should be a valid string" in details
    assert "creator -> email: Value 'not-an-email' does not match" in details
    assert "supportedRegions -> 0: Value 'mars-1.gcp' is not one of" in details
    assert len(body["errors"]) == 4


@pytest.mark.parametrize(
    ("url", "tag"),
    [
        ("http://github.com/acme/repo.git", "1.0.0"),
        ("https://github.com/acme/repo", "1.0.0"),
        ("--upload-pack=touch /tmp/pwned", "1.0.0"),
        ("GOOD", "-b"),
        ("GOOD", "..evil"),
        ("GOOD", "*"),
    ],
)
def test_repository_url_and_tag_patterns_are_enforced(api, good_repo, url, tag):
    url = good_repo.url if url == "GOOD" else url
    error_of(api.post("/connectors/drafts", draft_body(url, tag=tag)), 400, "InvalidJsonInput")


def test_local_repositories_are_refused_unless_allowed(api, good_repo, settings):
    settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES = False
    body = error_of(
        api.post("/connectors/drafts", draft_body(good_repo.url)), 400, "InvalidJsonInput"
    )
    assert "url" in body["errors"][0]["detailedErrorMessage"]


def test_unknown_tag_is_git_repository_not_reachable(api, good_repo):
    response = api.post("/connectors/drafts", draft_body(good_repo.url, tag="9.9.9"))
    error_of(response, 400, "GitRepositoryNotReachable")


def test_unreachable_repository_is_git_repository_not_reachable(api, tmp_path):
    response = api.post("/connectors/drafts", draft_body(f"file://{tmp_path}/nothing.git"))
    error_of(response, 400, "GitRepositoryNotReachable")


def test_missing_connect_yaml_is_specification_file_not_found(api, repositories):
    response = api.post("/connectors/drafts", draft_body(repositories["no-spec"].url))
    error_of(response, 400, "ConnectorSpecificationFileNotFound")


def test_invalid_connect_yaml_is_specification_file_not_valid(api, repositories):
    response = api.post("/connectors/drafts", draft_body(repositories["invalid-spec"].url))
    error_of(response, 400, "ConnectorSpecificationFileNotValid")


def test_a_duplicate_key_is_duplicate_field(api, create_draft, good_repo):
    create_draft()
    body = error_of(
        api.post("/connectors/drafts", draft_body(good_repo.url)), 400, "DuplicateField"
    )
    assert body["errors"][0]["field"] == "key"
    assert body["errors"][0]["duplicateValue"] == "connector-key"


def test_unknown_update_action_names_the_action(api, create_draft):
    draft = create_draft()
    response = api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 1, "actions": [{"action": "setPrivate", "private": False}]},
    )
    body = error_of(response, 400, "InvalidJsonInput")
    assert "setPrivate" in body["message"]


@pytest.mark.parametrize("historic", ["setConfigurations", "triggerCertification", "setKey"])
def test_historic_actions_are_refused(api, create_draft, historic):
    draft = create_draft()
    response = api.post(
        f"/connectors/drafts/{draft['id']}", {"version": 1, "actions": [{"action": historic}]}
    )
    assert historic in error_of(response, 400, "InvalidJsonInput")["message"]


def test_unknown_fields_in_an_action_are_refused(api, create_draft):
    draft = create_draft()
    response = api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 1, "actions": [{"action": "setName", "name": "n", "colour": "red"}]},
    )
    body = error_of(response, 400, "InvalidJsonInput")
    assert body["errors"][0]["detailedErrorMessage"] == "actions -> 0 -> colour: Unknown field."


@pytest.mark.parametrize(
    "update",
    [
        {"actions": [{"action": "setName", "name": "n"}]},
        {"version": "1", "actions": [{"action": "setName", "name": "n"}]},
        {"version": 1, "actions": []},
        {"version": 1, "actions": [{"name": "n"}]},
        {
            "version": 1,
            "actions": [{"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 0}],
        },
        {"version": 1, "actions": [{"action": "setSupportedRegions", "regions": []}]},
        {"version": 1, "actions": [{"action": "addPrivateProject", "privateProject": "nocolon"}]},
        {"version": 1, "actions": [{"action": "publish", "certification": "yes"}]},
    ],
)
def test_invalid_update_requests_are_invalid_json_input(api, create_draft, update):
    draft = create_draft()
    response = api.post(f"/connectors/drafts/{draft['id']}", update)
    error_of(response, 400, "InvalidJsonInput")
    assert api.get(f"/connectors/drafts/{draft['id']}").json()["version"] == 1


def test_a_stale_version_is_409_with_both_versions(api, create_draft):
    draft = create_draft()
    response = api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 7, "actions": [{"action": "setName", "name": "n"}]},
    )
    body = error_of(response, 409, "ConcurrentModification")
    assert body["errors"][0]["expectedVersion"] == 7
    assert body["errors"][0]["currentVersion"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/connectors/drafts/5ab3edcd-9d23-4934-8f48-256805253119",
        "/connectors/drafts/not-a-uuid",
        "/connectors/drafts/key=nobody",
        "/connectors/5ab3edcd-9d23-4934-8f48-256805253119",
        "/connectors/key=nobody",
        "/connectors/drafts/a/b/c",
    ],
)
def test_unknown_ids_and_keys_are_resource_not_found(api, path):
    error_of(api.get(path), 404, "ResourceNotFound")


def test_another_projects_draft_is_not_found(api, other_api, create_draft):
    draft = create_draft()
    error_of(other_api.get(f"/connectors/drafts/{draft['id']}"), 404, "ResourceNotFound")
    error_of(other_api.get("/connectors/drafts/key=connector-key"), 404, "ResourceNotFound")
    update = {"version": 1, "actions": [{"action": "setName", "name": "mine now"}]}
    error_of(other_api.post(f"/connectors/drafts/{draft['id']}", update), 404, "ResourceNotFound")
    error_of(other_api.delete(f"/connectors/drafts/{draft['id']}"), 404, "ResourceNotFound")
    assert other_api.get("/connectors/drafts").json()["total"] == 0
    assert api.get(f"/connectors/drafts/{draft['id']}").json()["name"] == "Connector's name"


def test_missing_token_is_401_invalid_token(db):
    body = error_of(ApiCaller(None).get("/connectors/drafts"), 401, "invalid_token")
    assert body["error"] == "invalid_token"


def test_bad_token_is_401_invalid_token(db):
    response = ApiCaller("made-up").get("/connectors/drafts")
    error_of(response, 401, "invalid_token")
    assert "Bearer" in response["WWW-Authenticate"]


def test_view_only_token_cannot_update_or_create(viewer_api, api, create_draft, good_repo):
    draft = create_draft()
    update = {"version": 1, "actions": [{"action": "setName", "name": "n"}]}
    error_of(
        viewer_api.post(f"/connectors/drafts/{draft['id']}", update), 403, "insufficient_scope"
    )
    error_of(
        viewer_api.post("/connectors/drafts", draft_body(good_repo.url, key="k2")),
        403,
        "insufficient_scope",
    )
    error_of(viewer_api.delete(f"/connectors/drafts/{draft['id']}"), 403, "insufficient_scope")
    assert viewer_api.get(f"/connectors/drafts/{draft['id']}").status_code == 200


def test_method_not_allowed_uses_the_error_format(api):
    response = api.client.put(
        "/connectors/drafts", headers={"Authorization": f"Bearer {api.token}"}
    )
    error_of(response, 405, "MethodNotAllowed")


def test_every_response_carries_a_correlation_id(api, db):
    assert api.get("/connectors/drafts")["X-Correlation-ID"]
    assert ApiCaller(None).get("/connectors/drafts")["X-Correlation-ID"]
    echoed = api.get("/connectors/drafts", headers={"X-Correlation-ID": "my-trace-1"})
    assert echoed["X-Correlation-ID"] == "my-trace-1"
