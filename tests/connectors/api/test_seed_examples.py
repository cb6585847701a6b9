"""Every request example of the seed document, sent as it is (only the repository URL is local)."""

from __future__ import annotations

import pytest

from connectors.schemas import ConnectorStaged

# The create request of the seed document, read-only fields included.
SEED_CREATE = {
    "id": "5ab3edcd-9d23-4934-8f48-256805253119",
    "key": "connector-key",
    "version": 1,
    "name": "Connector's name",
    "description": "Connector's description",
    "creator": {
        "title": "Mr",
        "name": "John Doe",
        "email": "john.doe@example.com",
        "company": "commercetools",
        "noOfContributors": 200,
    },
    "repository": {"url": "LOCAL", "tag": "0.0.0"},
    "privateProjects": [],
    "private": False,
    "hasChanges": True,
    "alreadyListed": True,
    "isPreviewable": "true",
    "status": "Draft",
    "publishingReport": None,
    "previewableReport": {
        "entries": [
            {
                "title": "Image security analysis check succeeded",
                "type": "Information",
                "message": None,
                "createdAt": "2024-02-15T10:12:12.069Z",
                "application": None,
            }
        ]
    },
    "supportedRegions": ["us-central1.gcp", "europe-west1.gcp"],
}

# The 201 response of the seed's create example, less the server-made id.
SEED_CREATED = {
    "key": "connector-key",
    "version": 1,
    "name": "Connector's name",
    "description": "Connector's description",
    "integrationTypes": ["other"],
    "creator": {
        "title": "Mr",
        "name": "John Doe",
        "email": "john.doe@example.com",
        "company": "commercetools",
        "noOfContributors": 200,
    },
    "configurations": [
        {
            "applicationName": "app-1",
            "applicationType": "service",
            "standardConfiguration": [
                {"key": "CONFIG_KEY", "description": "config key description"}
            ],
            "securedConfiguration": [
                {"key": "CONFIG_SECRET_KEY", "description": "config secret description"}
            ],
        }
    ],
    "private": True,
    "privateProjects": [],
    "supportedRegions": ["us-central1.gcp", "europe-west1.gcp"],
    "hasChanges": False,
    "alreadyListed": False,
    "status": "Draft",
    "isPreviewable": "none",
}

# The update action examples of the seed, in the order the document gives them.
SEED_ACTIONS = [
    {"action": "setName", "name": "The new name of the Connector"},
    {"action": "setDescription", "description": "New description of the Connector."},
    {
        "action": "setSupportedRegions",
        "regions": ["europe-west1.gcp", "us-central1.gcp", "australia-southeast1.gcp"],
    },
    {
        "action": "setDocumentationUrl",
        "documentationUrl": "https://www.example.com/my-connector/documentation",
    },
    {"action": "setIntegrationTypes", "integrationTypes": ["promotion", "other"]},
    {"action": "setCreatorName", "creatorName": "Jane Doe"},
    {"action": "setCreatorTitle", "creatorTitle": "Ms"},
    {"action": "setCreatorEmail", "creatorEmail": "new-email-address@example.com"},
    {"action": "setCreatorCompany", "creatorCompany": "New name of company"},
    {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 123},
    {"action": "setCreatorSupportUrl", "creatorSupportUrl": "https://www.example.com/support"},
    {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:example-project-key"},
    {"action": "removePrivateProject", "privateProject": "europe-west1.gcp:example-project-key"},
    {"action": "addCertificationComment", "comment": "The comment to add."},
]


@pytest.fixture
def seed_repo(repositories):
    return repositories["seed"]


@pytest.fixture
def created(api, seed_repo):
    body = {**SEED_CREATE, "repository": {"url": seed_repo.url, "tag": "0.0.0"}}
    response = api.post("/connectors/drafts", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_seed_create_example_is_accepted_with_the_seed_response(created, seed_repo):
    assert created["id"] != SEED_CREATE["id"]  # read-only fields are ignored
    for field, value in SEED_CREATED.items():
        assert created[field] == value, field
    assert created["repository"] == {"url": seed_repo.url, "tag": "0.0.0"}
    assert "publishingReport" not in created and "previewableReport" not in created
    ConnectorStaged.model_validate(created)


def test_seed_get_examples_return_the_draft_by_id_and_by_key(api, created):
    by_id = api.get(f"/connectors/drafts/{created['id']}")
    by_key = api.get("/connectors/drafts/key=connector-key")
    assert by_id.status_code == by_key.status_code == 200
    assert by_id.json() == by_key.json() == created


def test_seed_query_example_returns_a_paged_response(api, created):
    response = api.get("/connectors/drafts")
    assert response.status_code == 200
    page = response.json()
    assert {k: page[k] for k in ("offset", "limit", "total", "count")} == {
        "offset": 0,
        "limit": 20,
        "total": 1,
        "count": 1,
    }
    assert page["results"] == [created]


@pytest.mark.parametrize("by", ["id", "key"])
def test_seed_update_example_sets_the_name_and_bumps_the_version(api, created, by):
    path = (
        f"/connectors/drafts/{created['id']}"
        if by == "id"
        else "/connectors/drafts/key=connector-key"
    )
    response = api.post(
        path, {"version": 1, "actions": [{"action": "setName", "name": "New Connector name"}]}
    )
    assert response.status_code == 201, response.content
    updated = response.json()
    assert updated["version"] == 2
    assert updated["name"] == "New Connector name"
    for field in ("key", "description", "creator", "configurations", "private", "status"):
        assert updated[field] == created[field]


@pytest.mark.parametrize("action", SEED_ACTIONS, ids=[a["action"] for a in SEED_ACTIONS])
def test_each_seed_action_example_is_accepted(api, created, action):
    response = api.post(f"/connectors/drafts/{created['id']}", {"version": 1, "actions": [action]})
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2


def test_seed_set_repository_example_reads_the_new_tag(api, created, seed_repo):
    response = api.post(
        f"/connectors/drafts/{created['id']}",
        {
            "version": 1,
            "actions": [{"action": "setRepository", "url": seed_repo.url, "tag": "0.0.0"}],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["repository"] == {"url": seed_repo.url, "tag": "0.0.0"}


def test_seed_preview_publish_and_unlist_examples_are_accepted(api, created):
    path = f"/connectors/drafts/{created['id']}"
    preview = api.post(path, {"version": 1, "actions": [{"action": "updatePreviewable"}]})
    assert preview.status_code == 201, preview.content
    assert preview.json()["isPreviewable"] == "pending"
    unlist = api.post(path, {"version": 2, "actions": [{"action": "unlist"}]})
    assert unlist.status_code == 201
    publish = api.post(
        path, {"version": 3, "actions": [{"action": "publish", "certification": False}]}
    )
    assert publish.status_code == 201, publish.content
    assert publish.json()["status"] == "Processing"
