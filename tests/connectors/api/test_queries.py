"""Query and search parameters, their bounds and their errors."""

from __future__ import annotations

import pytest

from connectors.drafts import publish_to_production
from connectors.models import ConnectorStaged


@pytest.fixture
def three_drafts(create_draft):
    drafts = [
        create_draft(key="alpha", name="Alpha", integrationTypes=["psp"]),
        create_draft(key="bravo", name="Bravo", integrationTypes=["tax", "erp"]),
        create_draft(key="charlie", name="Charlie"),
    ]
    ConnectorStaged.objects.filter(key="charlie").update(private=False)
    return drafts


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [d["key"] for d in response.json()["results"]]


def test_sort_by_name_both_ways(api, three_drafts):
    assert keys(api.get("/connectors/drafts", {"sort": "name asc"})) == [
        "alpha",
        "bravo",
        "charlie",
    ]
    assert keys(api.get("/connectors/drafts", {"sort": "name desc"})) == [
        "charlie",
        "bravo",
        "alpha",
    ]


def test_sort_by_created_at_desc_is_newest_first(api, three_drafts):
    assert keys(api.get("/connectors/drafts", {"sort": "createdAt desc"})) == [
        "charlie",
        "bravo",
        "alpha",
    ]


def test_limit_and_offset_page_through(api, three_drafts):
    response = api.get("/connectors/drafts", {"sort": "key asc", "limit": 1, "offset": 1})
    page = response.json()
    assert keys(response) == ["bravo"]
    assert (page["limit"], page["offset"], page["count"], page["total"]) == (1, 1, 1, 3)


def test_limit_zero_counts_without_results(api, three_drafts):
    page = api.get("/connectors/drafts", {"limit": 0}).json()
    assert (page["count"], page["total"], page["results"]) == (0, 3, [])


def test_filters_by_privacy_and_integration_types(api, three_drafts):
    assert keys(api.get("/connectors/drafts", {"isPrivate": "false"})) == ["charlie"]
    assert len(keys(api.get("/connectors/drafts", {"isPrivate": "true"}))) == 2
    found = keys(
        api.get("/connectors/drafts?integrationTypes=tax&integrationTypes=psp&sort=key+asc")
    )
    assert found == ["alpha", "bravo"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 501},
        {"limit": -1},
        {"limit": "ten"},
        {"offset": 10001},
        {"sort": "colour asc"},
        {"sort": "name sideways"},
        {"isPrivate": "maybe"},
        {"integrationTypes": "teleportation"},
    ],
)
def test_bad_query_parameters_are_invalid_query_param(api, params):
    response = api.get("/connectors/drafts", params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidQueryParam"


def test_limits_at_their_bounds_are_accepted(api, db):
    assert api.get("/connectors/drafts", {"limit": 500, "offset": 10000}).status_code == 200


def test_search_finds_public_and_own_connectors_only(api, other_api, three_drafts, other_project):
    for draft in ConnectorStaged.objects.all():
        publish_to_production(draft=draft, certified=draft.key == "charlie")
    assert other_api.get("/connectors/search").json()["total"] == 1  # only the certified one
    own = api.get("/connectors/search", {"sort": "key asc"})
    assert keys(own) == ["alpha", "bravo", "charlie"]
    assert keys(api.get("/connectors/search", {"text": "brav"})) == ["bravo"]
    assert keys(api.get("/connectors/search", {"private": "true", "sort": "key asc"})) == [
        "alpha",
        "bravo",
    ]
    assert keys(
        api.get("/connectors/search", {"key": ["alpha", "charlie"], "sort": "key asc"})
    ) == ["alpha", "charlie"]
    assert keys(
        api.get(
            "/connectors/search",
            {"creator.company": "commercetools", "limit": 1, "sort": "key desc"},
        )
    ) == ["charlie"]
    assert keys(api.get("/connectors/search", {"integrationTypes": "erp"})) == ["bravo"]
    alpha = ConnectorStaged.objects.get(key="alpha")
    assert keys(api.get("/connectors/search", {"id": str(alpha.id)})) == ["alpha"]


def test_a_private_connector_is_visible_to_the_projects_it_names(
    api, other_api, create_draft, other_project
):
    draft = create_draft(privateProjects=[other_project.identifier])
    publish_to_production(draft=ConnectorStaged.objects.get(id=draft["id"]), certified=False)
    assert keys(other_api.get("/connectors/search", {"private": "true"})) == ["connector-key"]
    by_key = other_api.get("/connectors/key=connector-key")
    assert by_key.status_code == 200
    assert by_key.json()["certified"] is False
    assert other_api.get(f"/connectors/{draft['id']}").json()["id"] == draft["id"]


def test_search_rejects_a_malformed_id(api, db):
    response = api.get("/connectors/search", {"id": "nope"})
    assert response.json()["errors"][0]["code"] == "InvalidQueryParam"
