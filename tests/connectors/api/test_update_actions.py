"""Each update action, its value rules and the state-dependent errors."""

from __future__ import annotations

import pytest

from connectors.drafts import publish_to_production
from connectors.models import Connector, ConnectorStaged
from connectors.state import Previewable, Status


def update(api, draft_id: str, version: int, *actions: dict):
    return api.post(
        f"/connectors/drafts/{draft_id}", {"version": version, "actions": list(actions)}
    )


@pytest.mark.parametrize(
    ("action", "field", "expected"),
    [
        ({"action": "setName", "name": "Renamed"}, ("name",), "Renamed"),
        ({"action": "setDescription", "description": "About"}, ("description",), "About"),
        (
            {"action": "setSupportedRegions", "regions": ["us-east-2.aws", "us-east-2.aws"]},
            ("supportedRegions",),
            ["us-east-2.aws"],
        ),
        (
            {"action": "setDocumentationUrl", "documentationUrl": "https://docs.example.com"},
            ("documentationUrl",),
            "https://docs.example.com",
        ),
        (
            {"action": "setIntegrationTypes", "integrationTypes": ["psp", "tax"]},
            ("integrationTypes",),
            ["psp", "tax"],
        ),
        ({"action": "setCreatorName", "creatorName": "Jane"}, ("creator", "name"), "Jane"),
        ({"action": "setCreatorTitle", "creatorTitle": "Ms"}, ("creator", "title"), "Ms"),
        (
            {"action": "setCreatorEmail", "creatorEmail": "jane@example.org"},
            ("creator", "email"),
            "jane@example.org",
        ),
        ({"action": "setCreatorCompany", "creatorCompany": "Acme"}, ("creator", "company"), "Acme"),
        (
            {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 3},
            ("creator", "noOfContributors"),
            3,
        ),
        (
            {"action": "setCreatorSupportUrl", "creatorSupportUrl": "https://help.example.com"},
            ("creator", "supportUrl"),
            "https://help.example.com",
        ),
        (
            {"action": "setCreatorLogo", "logoUrl": "https://example.com/logo.png"},
            ("creator", "logoUrl"),
            "https://example.com/logo.png",
        ),
        (
            {"action": "addPrivateProject", "privateProject": "us-east-2.aws:shop-1"},
            ("privateProjects",),
            ["us-east-2.aws:shop-1"],
        ),
        ({"action": "updatePreviewable"}, ("isPreviewable",), "pending"),
        ({"action": "publish", "certification": True}, ("status",), "Processing"),
        (
            {"action": "addCertificationComment", "comment": "Ready?"},
            ("certificationInfo", "comments", 0, "comment"),
            "Ready?",
        ),
    ],
)
def test_each_action_changes_what_it_names(api, create_draft, action, field, expected):
    draft = create_draft()
    response = update(api, draft["id"], 1, action)
    assert response.status_code == 201, response.content
    value = response.json()
    for part in field:
        value = value[part]
    assert value == expected
    assert api.get(f"/connectors/drafts/{draft['id']}").json()["version"] == 2


def test_clearing_optional_values_removes_them(api, create_draft):
    draft = create_draft()
    response = update(
        api,
        draft["id"],
        1,
        {"action": "setDescription"},
        {"action": "setCreatorName"},
        {"action": "setDocumentationUrl"},
    )
    body = response.json()
    assert "description" not in body and "name" not in body["creator"]


def test_remove_private_project_takes_it_out(api, create_draft):
    draft = create_draft(privateProjects=["eu-central-1.aws:one", "eu-central-1.aws:two"])
    response = update(
        api,
        draft["id"],
        1,
        {"action": "removePrivateProject", "privateProject": "eu-central-1.aws:one"},
    )
    assert response.json()["privateProjects"] == ["eu-central-1.aws:two"]


def test_several_actions_are_one_version_bump(api, create_draft):
    draft = create_draft()
    response = update(
        api,
        draft["id"],
        1,
        {"action": "setName", "name": "A"},
        {"action": "setName", "name": "B"},
        {"action": "setCreatorTitle", "creatorTitle": "Dr"},
    )
    assert response.json()["version"] == 2
    assert response.json()["name"] == "B"


def test_a_failing_action_applies_none_of_the_request(api, create_draft):
    draft = create_draft()
    ConnectorStaged.objects.filter(id=draft["id"]).update(private=False)
    response = update(
        api,
        draft["id"],
        1,
        {"action": "setName", "name": "Half applied?"},
        {"action": "addCertificationComment", "comment": "written?"},
        {"action": "addPrivateProject", "privateProject": "us-east-2.aws:shop-1"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "ConnectorStagedNotPrivate"
    after = api.get(f"/connectors/drafts/{draft['id']}").json()
    assert after["name"] == "Connector's name"
    assert after["version"] == 1
    assert "certificationInfo" not in after


@pytest.mark.parametrize("action", ["addPrivateProject", "removePrivateProject"])
def test_private_projects_of_a_public_draft_are_connector_staged_not_private(
    api, create_draft, action
):
    draft = create_draft()
    ConnectorStaged.objects.filter(id=draft["id"]).update(private=False)
    response = update(api, draft["id"], 1, {"action": action, "privateProject": "us-east-2.aws:x1"})
    assert response.json()["errors"][0]["code"] == "ConnectorStagedNotPrivate"


def test_a_second_preview_request_while_pending_is_refused(api, create_draft):
    draft = create_draft()
    assert update(api, draft["id"], 1, {"action": "updatePreviewable"}).status_code == 201
    response = update(api, draft["id"], 2, {"action": "updatePreviewable"})
    assert response.json()["errors"][0]["code"] == "ConnectorStagedPreviewRequestUnderProcess"


def test_publish_for_certification_while_in_certification_is_refused(api, create_draft):
    draft = create_draft()
    ConnectorStaged.objects.filter(id=draft["id"]).update(status=Status.IN_CERTIFICATION)
    response = update(api, draft["id"], 1, {"action": "publish", "certification": True})
    assert response.json()["errors"][0]["code"] == "ConnectorStagedInCertification"


def test_publish_for_certification_of_an_unchanged_certified_connector_is_refused(
    api, create_draft
):
    draft = create_draft()
    row = ConnectorStaged.objects.get(id=draft["id"])
    row.private = False
    row.status = Status.PUBLISHED
    row.save()
    publish_to_production(draft=row, certified=True)
    response = update(api, draft["id"], 1, {"action": "publish", "certification": True})
    assert response.json()["errors"][0]["code"] == "ConnectorAlreadyCertified"
    changed = update(
        api,
        draft["id"],
        1,
        {"action": "setName", "name": "v2"},
        {"action": "publish", "certification": True},
    )
    assert changed.status_code == 201, changed.content
    assert changed.json()["status"] == "Processing"


def test_while_processing_only_comments_are_accepted(api, create_draft):
    draft = create_draft()
    update(api, draft["id"], 1, {"action": "publish", "certification": False})
    refused = update(api, draft["id"], 2, {"action": "setName", "name": "sneaky"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "InvalidOperation"
    comment = update(
        api, draft["id"], 2, {"action": "addCertificationComment", "comment": "Waiting"}
    )
    assert comment.status_code == 201
    assert comment.json()["certificationInfo"]["comments"][0]["userId"] == "acme-shop"


def test_set_repository_to_a_new_tag_resets_the_preview(api, create_draft, good_repo):
    draft = create_draft()
    ConnectorStaged.objects.filter(id=draft["id"]).update(is_previewable=Previewable.TRUE)
    response = update(api, draft["id"], 1, {"action": "setRepository", "tag": "v1.1.0"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["repository"] == {"url": good_repo.url, "tag": "v1.1.0"}
    assert body["isPreviewable"] == "none"


def test_set_repository_refills_configurations_from_the_new_tag(api, create_draft, repositories):
    draft = create_draft()
    seed = repositories["seed"]
    response = update(
        api, draft["id"], 1, {"action": "setRepository", "url": seed.url, "tag": "0.0.0"}
    )
    assert [c["applicationName"] for c in response.json()["configurations"]] == ["app-1"]


def test_set_repository_to_a_missing_tag_changes_nothing(api, create_draft):
    draft = create_draft()
    response = update(api, draft["id"], 1, {"action": "setRepository", "tag": "7.7.7"})
    assert response.json()["errors"][0]["code"] == "GitRepositoryNotReachable"
    assert api.get(f"/connectors/drafts/{draft['id']}").json()["version"] == 1


def test_unlist_hides_the_connector_from_search(api, create_draft):
    draft = create_draft()
    row = ConnectorStaged.objects.get(id=draft["id"])
    row.private, row.already_listed = False, True
    row.save()
    publish_to_production(draft=row, certified=True)
    assert api.get("/connectors/search").json()["total"] == 1
    response = update(api, draft["id"], 1, {"action": "unlist"})
    assert response.json()["alreadyListed"] is False
    assert Connector.objects.get(pk=draft["id"]).listed is False


def test_has_changes_tracks_the_difference_to_production(api, create_draft):
    draft = create_draft()
    publish_to_production(draft=ConnectorStaged.objects.get(id=draft["id"]), certified=False)
    changed = update(api, draft["id"], 1, {"action": "setName", "name": "Different"})
    assert changed.json()["hasChanges"] is True
    back = update(api, draft["id"], 2, {"action": "setName", "name": "Connector's name"})
    assert back.json()["hasChanges"] is False


def test_delete_returns_the_draft_and_removes_its_connector(api, create_draft):
    draft = create_draft()
    publish_to_production(draft=ConnectorStaged.objects.get(id=draft["id"]), certified=False)
    response = api.delete(f"/connectors/drafts/{draft['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == draft["id"]
    assert api.get(f"/connectors/drafts/{draft['id']}").status_code == 404
    assert not Connector.objects.filter(pk=draft["id"]).exists()


def test_delete_by_key_with_a_stale_version_is_409(api, create_draft):
    create_draft()
    response = api.delete("/connectors/drafts/key=connector-key?version=5")
    assert response.status_code == 409
    assert api.delete("/connectors/drafts/key=connector-key?version=1").status_code == 200


def test_every_update_is_recorded_in_the_history(api, create_draft):
    draft = create_draft()
    update(api, draft["id"], 1, {"action": "setName", "name": "A"}, {"action": "unlist"})
    events = ConnectorStaged.objects.get(id=draft["id"]).events.order_by("id")
    assert [(e.kind, e.summary, e.actor) for e in events] == [
        ("created", "created", "acme-shop"),
        ("updated", "setName, unlist", "acme-shop"),
    ]
