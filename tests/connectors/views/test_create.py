"""The create form: every field of a ConnectorStagedDraft, with the API's validation."""

from __future__ import annotations

from connectors.models import ConnectorStaged, DraftEvent


def form_data(repository_url: str, **overrides: str | list[str]) -> dict:
    data = {
        "name": "Payment bridge",
        "key": "payment-bridge",
        "description": "Forwards carts.",
        "documentationUrl": "https://docs.example.com/bridge",
        "integrationTypes": ["psp", "erp"],
        "repository.url": repository_url,
        "repository.tag": "1.0.0",
        "creator.name": "Jane Doe",
        "creator.title": "Engineer",
        "creator.email": "jane@example.com",
        "creator.company": "Acme",
        "creator.logoUrl": "https://example.com/logo.png",
        "creator.noOfContributors": "3",
        "creator.supportUrl": "https://help.example.com",
        "supportedRegions": ["europe-west1.gcp", "us-east-2.aws"],
        "privateProjects": "europe-west1.gcp:acme-shop\nus-central1.gcp:globex",
    }
    data.update(overrides)
    return data


def test_the_create_form_has_every_field_of_the_api_with_labels(creator_client):
    html = creator_client.get("/drafts/new/").content.decode()
    for name in (
        "name",
        "key",
        "description",
        "documentationUrl",
        "integrationTypes",
        "repository.url",
        "repository.tag",
        "creator.name",
        "creator.title",
        "creator.email",
        "creator.company",
        "creator.logoUrl",
        "creator.noOfContributors",
        "creator.supportUrl",
        "supportedRegions",
        "privateProjects",
    ):
        assert f'name="{name}"' in html, name
    assert '<label for="input-creator-email">Email' in html
    assert 'value="creator@example.com"' in html, "the user's email is the default creator email"


def test_creating_a_draft_stores_every_field_and_opens_its_page(creator_client, good_repo, project):
    response = creator_client.post("/drafts/new/", form_data(good_repo.url))
    draft = ConnectorStaged.objects.get(key="payment-bridge")
    assert response.status_code == 302
    assert response["Location"] == f"/drafts/{draft.id}/"
    assert draft.project == project and draft.created_by.username == "creator"
    assert draft.integration_types == ["psp", "erp"]
    assert draft.creator_no_of_contributors == 3 and draft.creator_logo_url.endswith("logo.png")
    assert draft.supported_regions == ["europe-west1.gcp", "us-east-2.aws"]
    assert draft.private_projects == ["europe-west1.gcp:acme-shop", "us-central1.gcp:globex"]
    assert len(draft.configurations) == 6
    assert DraftEvent.objects.filter(draft=draft, kind="created", actor="creator").exists()
    assert (
        "Draft “Payment bridge” created."
        in creator_client.get(response["Location"]).content.decode()
    )


def test_invalid_fields_show_messages_in_words_beside_each_field_and_keep_the_input(
    creator_client, good_repo
):
    data = form_data(
        good_repo.url,
        name="",
        key="x",
        **{"creator.email": "nope", "creator.noOfContributors": "0", "repository.tag": "..x"},
        integrationTypes=["psp", "teleport"],
        privateProjects="not-an-identifier",
    )
    response = creator_client.post("/drafts/new/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert not ConnectorStaged.objects.exists()
    assert "The draft was not created" in html
    for field_id in (
        "input-name",
        "input-key",
        "input-creator-email",
        "input-creator-noOfContributors",
        "input-integrationTypes",
        "input-privateProjects",
    ):
        assert f'id="{field_id}-errors"' in html, field_id
    assert "Enter a name." in html
    assert "Enter an email address like name@example.com." in html
    assert "Enter a whole number, 1 or more." in html
    assert "Choose integration types from the list." in html
    assert "does not match the pattern" not in html and "String should" not in html
    assert 'value="nope"' in html and "not-an-identifier" in html
    assert 'value="psp" checked' in html


def test_a_bad_repository_tag_is_shown_beside_the_tag(creator_client, good_repo):
    response = creator_client.post(
        "/drafts/new/", form_data(good_repo.url, **{"repository.tag": "..x"})
    )
    assert response.status_code == 400
    assert 'id="input-repository-tag-errors"' in response.content.decode()


def test_a_repository_without_connect_yaml_is_explained_at_the_repository(
    creator_client, repositories
):
    response = creator_client.post("/drafts/new/", form_data(repositories["no-spec"].url))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Connector specification file not found" in html


def test_a_key_already_used_is_a_duplicate_field_error_beside_the_key(
    creator_client, good_repo, draft
):
    response = creator_client.post("/drafts/new/", form_data(good_repo.url, key="sample-connector"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="input-key-errors"' in html
    assert "Another connector already uses this key: choose another one." in html


def test_a_member_of_two_projects_must_choose_one(
    creator_client, creator, other_project, good_repo
):
    other_project.members.add(creator)
    response = creator_client.post("/drafts/new/", form_data(good_repo.url))
    assert response.status_code == 400
    assert 'id="input-project-errors"' in response.content.decode()
    created = creator_client.post("/drafts/new/", form_data(good_repo.url, project="globex"))
    assert created.status_code == 302
    assert ConnectorStaged.objects.get().project == other_project


def test_a_user_without_a_project_cannot_create_drafts(certifier_client):
    assert certifier_client.get("/drafts/new/").status_code == 403
