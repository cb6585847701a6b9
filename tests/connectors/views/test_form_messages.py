"""Refused input in words people use: each field's sentence, the same in the create form and
the field editors; the pages' own URL rules; the error summaries; the API's wording unchanged."""

from __future__ import annotations

import re
from html import unescape

import pytest

from connectors.errors import InvalidJsonInput
from connectors.models import ConnectorStaged
from connectors.pages import messages
from tests.conftest import draft_body

HTMX = {"HX-Request": "true"}

EMAIL = "Enter an email address like name@example.com."
WHOLE = "Enter a whole number, 1 or more."
WEB = messages.WEB_URL
GIT = messages.GIT_URL
CREDENTIALS = "Remove the user name or password from the URL."


def create_data(repository_url: str, **overrides: str | list[str]) -> dict:
    data: dict = {
        "name": "Payment bridge",
        "key": "payment-bridge",
        "repository.url": repository_url,
        "repository.tag": "1.0.0",
        "creator.email": "jane@example.com",
        "supportedRegions": ["europe-west1.gcp"],
    }
    data.update(overrides)
    return data


def field_errors(html: str, input_id: str) -> list[str]:
    """The messages listed beside one input."""
    found = re.search(rf'<ul class="field-errors" id="{input_id}-errors">(.*?)</ul>', html, re.S)
    assert found, f"no errors beside {input_id}"
    return [unescape(m) for m in re.findall(r"<li>(.*?)</li>", found[1], re.S)]


# (field editor, its form data, the create form's data, the create form's input id, the words)
CASES = [
    ("name", {"name": ""}, {"name": ""}, "input-name", "Enter a name."),
    (
        "creatorEmail",
        {"creatorEmail": "nope"},
        {"creator.email": "nope"},
        "input-creator-email",
        EMAIL,
    ),
    ("creatorEmail", {"creatorEmail": ""}, {"creator.email": ""}, "input-creator-email", EMAIL),
    (
        "creatorNoOfContributors",
        {"creatorNoOfContributors": "many"},
        {"creator.noOfContributors": "many"},
        "input-creator-noOfContributors",
        WHOLE,
    ),
    (
        "creatorNoOfContributors",
        {"creatorNoOfContributors": "0"},
        {"creator.noOfContributors": "0"},
        "input-creator-noOfContributors",
        WHOLE,
    ),
    (
        "creatorNoOfContributors",
        {"creatorNoOfContributors": "99999999999"},
        {"creator.noOfContributors": "99999999999"},
        "input-creator-noOfContributors",
        "Enter a whole number no larger than 2147483647.",
    ),
    (
        "creatorName",
        {"creatorName": "x" * 257},
        {"creator.name": "x" * 257},
        "input-creator-name",
        "Use 256 characters or fewer.",
    ),
    (
        "integrationTypes",
        {"integrationTypes": ["teleport"]},
        {"integrationTypes": ["teleport"]},
        "input-integrationTypes",
        "Choose integration types from the list.",
    ),
    (
        "supportedRegions",
        {"supportedRegions": ["mars-north1.aws"]},
        {"supportedRegions": ["mars-north1.aws"]},
        "input-supportedRegions",
        "Choose regions from the list.",
    ),
    # The API's own URL rule (http or https) ...
    (
        "documentationUrl",
        {"documentationUrl": "ftp://docs.example.com"},
        {"documentationUrl": "ftp://docs.example.com"},
        "input-documentationUrl",
        WEB,
    ),
    # ... and the pages' (a host people can reach): the same words.
    (
        "documentationUrl",
        {"documentationUrl": "https://intranet"},
        {"documentationUrl": "https://intranet"},
        "input-documentationUrl",
        WEB,
    ),
    (
        "creatorSupportUrl",
        {"creatorSupportUrl": "http://help_desk/"},
        {"creator.supportUrl": "http://help_desk/"},
        "input-creator-supportUrl",
        WEB,
    ),
    (
        "creatorLogo",
        {"creatorLogo": "https://:443/logo.png"},
        {"creator.logoUrl": "https://:443/logo.png"},
        "input-creator-logoUrl",
        WEB,
    ),
    (
        "repository",
        {"url": "github.com/acme/bridge.git", "tag": "1.0.0"},
        {"repository.url": "github.com/acme/bridge.git"},
        "input-repository-url",
        GIT,
    ),
    (
        "repository",
        {"url": "http://github.com/acme/bridge.git", "tag": "1.0.0"},
        {"repository.url": "http://github.com/acme/bridge.git"},
        "input-repository-url",
        GIT,
    ),
    (
        "repository",
        {"url": "https://token@github.com/acme/bridge.git", "tag": "1.0.0"},
        {"repository.url": "https://token@github.com/acme/bridge.git"},
        "input-repository-url",
        CREDENTIALS,
    ),
    (
        "repository",
        {"url": "", "tag": "..x"},
        {"repository.tag": "..x"},
        "input-repository-tag",
        messages.TAG,
    ),
]


@pytest.mark.parametrize(("field", "inline", "created", "input_id", "words"), CASES)
def test_each_field_says_what_is_wrong_in_words_the_same_in_both_forms(
    creator_client, draft, good_repo, field, inline, created, input_id, words
):
    edited = creator_client.post(
        f"/drafts/{draft.id}/fields/{field}/", {"version": 1, **inline}, headers=HTMX
    )
    assert edited.status_code == 400
    edited_html = edited.content.decode()
    # The editors' inputs are named after the field (the repository's after its parts).
    editor_input = input_id if field == "repository" else f"input-{field}"
    editor_words = field_errors(edited_html, editor_input)
    assert any(message.startswith(words) for message in editor_words), editor_words

    refused = creator_client.post("/drafts/new/", create_data(good_repo.url, **created))
    assert refused.status_code == 400
    create_html = refused.content.decode()
    create_words = field_errors(create_html, input_id)
    assert any(message.startswith(words) for message in create_words), create_words
    assert create_words == editor_words, "the create form and the editor say the same"
    for raw in ("does not match the pattern", "String should", "Input should"):
        assert raw not in edited_html and raw not in create_html
    assert ConnectorStaged.objects.count() == 1
    draft.refresh_from_db()
    assert draft.version == 1


def test_the_private_projects_say_what_an_identifier_looks_like(creator_client, draft, good_repo):
    added = creator_client.post(
        f"/drafts/{draft.id}/private-projects/add/",
        {"version": 1, "privateProject": "no colon"},
        headers=HTMX,
    )
    created = creator_client.post(
        "/drafts/new/", create_data(good_repo.url, privateProjects="no colon")
    )
    assert field_errors(added.content.decode(), "private-project") == [messages.PROJECT]
    assert field_errors(created.content.decode(), "input-privateProjects") == [messages.PROJECT]


def test_a_key_says_which_characters_it_takes(creator_client, good_repo, draft):
    bad = creator_client.post("/drafts/new/", create_data(good_repo.url, key="bad key!"))
    assert field_errors(bad.content.decode(), "input-key") == [
        "Use 2 to 256 letters, digits, hyphens or underscores."
    ]
    taken = creator_client.post("/drafts/new/", create_data(good_repo.url, key="sample-connector"))
    assert field_errors(taken.content.decode(), "input-key") == [
        "Another connector already uses this key: choose another one."
    ]


def test_supported_regions_in_the_editor_need_one(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/supportedRegions/", {"version": 1}, headers=HTMX
    )
    assert field_errors(response.content.decode(), "input-supportedRegions") == [
        "Choose at least one region."
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/bridge.git",
        "git@github.com:acme/bridge.git",
        "ssh://git@github.com/acme/bridge.git",
        "deploy@git.example.com:acme/bridge.git",
    ],
)
def test_https_and_ssh_git_urls_pass_the_pages_rule(url):
    assert messages.git_url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.example.com",
        "http://docs.example.com:8080/a?b#c",
        "https://127.0.0.1/x",
        "https://localhost/docs",
        "https://bücher.example/",
    ],
)
def test_web_addresses_pass_the_pages_rule(url):
    assert messages.web_url_problem(url) is None


def test_an_unknown_case_keeps_the_api_message():
    error = InvalidJsonInput("x", at=("name",), problem="Something new.", rule="brand_new")
    assert messages.sentence(error, "name", "Something new.") == "Something new."


def test_the_api_keeps_its_own_words_and_accepts_what_only_the_pages_refuse(api, good_repo):
    refused = api.post("/connectors/drafts", draft_body(good_repo.url, key="bad key!"))
    assert refused.status_code == 400
    body = refused.json()
    assert body["errors"] == [
        {
            "code": "InvalidJsonInput",
            "message": "Request body does not contain valid JSON.",
            "detailedErrorMessage": (
                "key: Value 'bad key!' does not match the pattern ^[A-Za-z0-9_-]{2,256}$."
            ),
        }
    ]
    accepted = api.post(
        "/connectors/drafts", draft_body(good_repo.url, documentationUrl="https://intranet")
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["documentationUrl"] == "https://intranet"


def test_the_create_forms_summary_links_every_error_to_its_input(creator_client, good_repo):
    response = creator_client.post(
        "/drafts/new/",
        create_data(
            good_repo.url,
            name="",
            **{"creator.email": "nope", "creator.supportUrl": "https://helpdesk"},
        ),
    )
    html = response.content.decode()
    summary = re.search(r'<div class="alert alert--error error-summary"(.*?)</div>', html, re.S)
    assert summary, "an error summary at the top"
    assert 'role="alert" tabindex="-1"' in summary[0]
    links = [
        (href, unescape(text))
        for href, text in re.findall(r'<a href="(#[^"]+)">(.*?)</a>', summary[1], re.S)
    ]
    assert links == [
        ("#input-name", "Name: Enter a name."),
        ("#input-creator-email", f"Creator email: {EMAIL}"),
        ("#input-creator-supportUrl", f"Creator support URL: {WEB}"),
    ]
    for href, _text in links:
        assert f'id="{href[1:]}"' in html


@pytest.mark.parametrize(
    ("repository", "tag", "input_id", "words"),
    [
        ("missing", "1.0.0", "input-repository-url", "could not be reached"),
        ("good", "9.9.9", "input-repository-tag", "The tag '9.9.9' was not found"),
        ("no-spec", "1.0.0", "input-repository-tag", "Connector specification file not found"),
    ],
)
def test_repository_errors_are_linked_to_the_git_url_or_the_tag(
    creator_client, repositories, tmp_path, repository, tag, input_id, words
):
    url = (
        f"file://{tmp_path}/nowhere.git"
        if repository == "missing"
        else repositories[repository].url
    )
    response = creator_client.post("/drafts/new/", create_data(url, **{"repository.tag": tag}))
    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert re.search(rf'<a href="#{input_id}">[^<]*{re.escape(words)}', html), html[:3000]
    assert any(words in m for m in field_errors(response.content.decode(), input_id))


def test_an_editor_with_several_errors_has_a_summary_of_links(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/repository/",
        {"version": 1, "url": "https://token@github.com/acme/bridge.git", "tag": ""},
        headers=HTMX,
    )
    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert 'id="error-summary-repository"' in html
    assert '<a href="#input-repository-url">Git URL: Remove the user name' in html
    assert '<a href="#input-repository-tag">Tag: Enter the tag to read, like 1.0.0.</a>' in html
    one = creator_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": 1, "name": ""}, headers=HTMX
    )
    assert "error-summary" not in one.content.decode(), "one error shows beside its input only"
