"""The draft page: every region, and fields edited in place with the API's update actions."""

from __future__ import annotations

import re

from connectors.models import DraftEvent
from connectors.state import Status
from tests.conftest import HTMX, move_to, rename_elsewhere


def page(client, draft) -> str:
    response = client.get(f"/drafts/{draft.id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_draft_page_shows_every_region(creator_client, draft):
    html = page(creator_client, draft)
    for region in (
        "draft-summary",
        "draft-actions",
        "draft-reports",
        "draft-poller",
        "draft-fields",
        "draft-private-projects",
        "draft-applications",
        "draft-diff",
        "draft-comments",
        "draft-history",
    ):
        assert f'id="{region}"' in html, region
    for spec in ("name", "description", "repository", "creatorNoOfContributors", "creatorLogo"):
        assert f'id="field-{spec}"' in html
    assert "Not published yet" in html
    assert "No preview yet." in html and "No publishing yet." in html


def test_the_applications_table_lists_each_application_and_its_configuration_keys(
    creator_client, draft
):
    html = page(creator_client, draft)
    section = html[html.index('id="draft-applications"') :]
    for application in ("service", "event", "job", "assets", "custom-application", "custom-view"):
        assert f"<code>{application}</code>" in section
    assert "<code>CORS_ALLOWED_ORIGINS</code>" in section
    assert "<code>https://storefront.example.com</code>" in section
    row = section[section.index("<code>PARTNER_API_KEY</code>") :].split("</tr>")[0]
    assert "secured" in row and "yes" in row


def test_repository_and_user_text_is_escaped_everywhere(creator_client, make_draft):
    hostile = '<script>alert("x")</script>'
    draft = make_draft(name=hostile, description=hostile)
    from connectors.models import ReportEntry

    ReportEntry.objects.create(
        draft=draft, report="preview", type="Error", title=hostile, message=hostile, file=hostile
    )
    html = page(creator_client, draft)
    assert hostile not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    listing = creator_client.get("/").content.decode()
    assert hostile not in listing


def test_opening_a_field_with_htmx_returns_its_form_with_the_current_value(creator_client, draft):
    response = creator_client.get(
        f"/drafts/{draft.id}/fields/name/", {"version": draft.version}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="field field--editing" id="field-name">')
    assert 'value="Sample connector"' in html and "autofocus" in html
    assert f'name="version" value="{draft.version}"' in html


def test_opening_a_field_without_javascript_shows_the_page_with_the_form_open(
    creator_client, draft
):
    response = creator_client.get(f"/drafts/{draft.id}/fields/name/")
    assert response.status_code == 302
    assert response["Location"] == f"/drafts/{draft.id}/?edit=name#field-name"
    html = creator_client.get(response["Location"]).content.decode()
    assert 'class="field field--editing" id="field-name"' in html


def test_cancelling_an_edit_returns_the_display_with_focus_on_its_edit_button(
    creator_client, draft
):
    html = creator_client.get(
        f"/drafts/{draft.id}/fields/name/", {"cancel": "1"}, headers=HTMX
    ).content.decode()
    assert 'class="field" id="field-name"' in html and "autofocus" in html


def test_saving_a_field_sends_its_update_action_with_the_page_version(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": "1", "name": "Renamed"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.name == "Renamed" and draft.version == 2
    event = DraftEvent.objects.filter(draft=draft, kind="updated").get()
    assert event.actor == "creator"
    assert event.details == {"actions": [{"action": "setName", "name": "Renamed"}]}
    # The field comes back displayed, the state regions out of band, the forms move to v2.
    assert html.lstrip().startswith('<div class="field" id="field-name">')
    assert (
        'id="draft-summary" class="summary card" aria-labelledby="draft-title" hx-swap-oob="true"'
        in html
    )
    assert 'hx-swap-oob="true" data-old="1" data-new="2" data-live="false"' in html
    assert '<h1 id="draft-title">Renamed</h1>' in html


def test_each_field_sends_exactly_the_api_action(creator_client, draft):
    cases = [
        ("description", {"description": ""}, {"action": "setDescription", "description": None}),
        (
            "documentationUrl",
            {"documentationUrl": "https://docs.example.com"},
            {"action": "setDocumentationUrl", "documentationUrl": "https://docs.example.com"},
        ),
        (
            "integrationTypes",
            {"integrationTypes": ["psp", "tax"]},
            {"action": "setIntegrationTypes", "integrationTypes": ["psp", "tax"]},
        ),
        (
            "supportedRegions",
            {"supportedRegions": ["us-east-2.aws"]},
            {"action": "setSupportedRegions", "regions": ["us-east-2.aws"]},
        ),
        (
            "creatorName",
            {"creatorName": "Jane"},
            {"action": "setCreatorName", "creatorName": "Jane"},
        ),
        ("creatorTitle", {"creatorTitle": ""}, {"action": "setCreatorTitle", "creatorTitle": None}),
        (
            "creatorEmail",
            {"creatorEmail": "jane@example.com"},
            {"action": "setCreatorEmail", "creatorEmail": "jane@example.com"},
        ),
        (
            "creatorCompany",
            {"creatorCompany": "Acme"},
            {"action": "setCreatorCompany", "creatorCompany": "Acme"},
        ),
        (
            "creatorNoOfContributors",
            {"creatorNoOfContributors": " 7 "},
            {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 7},
        ),
        (
            "creatorSupportUrl",
            {"creatorSupportUrl": "https://help.example.com"},
            {"action": "setCreatorSupportUrl", "creatorSupportUrl": "https://help.example.com"},
        ),
        (
            "creatorLogo",
            {"creatorLogo": "https://example.com/logo.png"},
            {"action": "setCreatorLogo", "logoUrl": "https://example.com/logo.png"},
        ),
    ]
    for name, data, expected in cases:
        version = draft.version
        response = creator_client.post(
            f"/drafts/{draft.id}/fields/{name}/", {"version": version, **data}, headers=HTMX
        )
        assert response.status_code == 200, (name, response.content.decode()[:500])
        draft.refresh_from_db()
        assert draft.version == version + 1
        event = DraftEvent.objects.filter(draft=draft).latest("id")
        assert event.details["actions"] == [expected], name
    assert draft.integration_types == ["psp", "tax"]
    assert draft.supported_regions == ["us-east-2.aws"]
    assert draft.creator_no_of_contributors == 7
    assert draft.creator_logo_url == "https://example.com/logo.png"


def test_an_invalid_value_shows_a_message_in_words_beside_the_field_and_keeps_the_input(
    creator_client, draft
):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/creatorEmail/",
        {"version": draft.version, "creatorEmail": "not an email"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="not an email"' in html
    assert 'aria-invalid="true"' in html and 'id="input-creatorEmail-errors"' in html
    assert "Enter an email address like name@example.com." in html
    assert "does not match the pattern" not in html
    draft.refresh_from_db()
    assert draft.version == 1


def test_a_number_field_rejects_text_and_zero_like_the_api(creator_client, draft):
    url = f"/drafts/{draft.id}/fields/creatorNoOfContributors/"
    text = creator_client.post(url, {"version": 1, "creatorNoOfContributors": "many"}, headers=HTMX)
    assert text.status_code == 400 and "Enter a whole number, 1 or more." in text.content.decode()
    zero = creator_client.post(url, {"version": 1, "creatorNoOfContributors": "0"}, headers=HTMX)
    assert zero.status_code == 400 and "Enter a whole number, 1 or more." in zero.content.decode()


def test_supported_regions_need_at_least_one(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/supportedRegions/", {"version": 1}, headers=HTMX
    )
    assert response.status_code == 400
    assert "Choose at least one region." in response.content.decode()


def test_a_stale_edit_is_409_shows_what_changed_and_keeps_what_the_user_typed(
    creator_client, draft
):
    rename_elsewhere(draft, "Renamed by the CLI")
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/description/",
        {"version": "1", "description": "My careful description"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "My careful description" in html
    assert "<strong>acme-shop</strong>: setName" in html
    assert "name “Renamed by the CLI”" in html
    # The form now carries the current version: saving again applies the typed text.
    assert 'name="version" value="2"' in html
    again = creator_client.post(
        f"/drafts/{draft.id}/fields/description/",
        {"version": "2", "description": "My careful description"},
        headers=HTMX,
    )
    assert again.status_code == 200
    draft.refresh_from_db()
    assert draft.name == "Renamed by the CLI"
    assert draft.description == "My careful description"


def test_a_stale_edit_of_the_same_field_shows_the_value_saved_meanwhile(creator_client, draft):
    rename_elsewhere(draft, "Their name")
    html = creator_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": "1", "name": "My name"}, headers=HTMX
    ).content.decode()
    assert 'value="My name"' in html
    assert re.search(r"Saved now:</span>\s*<span class=\"text\">Their name</span>", html)


def test_opening_a_form_after_the_draft_changed_says_what_changed(creator_client, draft):
    rename_elsewhere(draft, "Changed meanwhile")
    html = creator_client.get(
        f"/drafts/{draft.id}/fields/description/", {"version": "1"}, headers=HTMX
    ).content.decode()
    assert "setName" in html and "Changed meanwhile" in html
    assert 'name="version" value="2"' in html


def test_a_plain_form_post_redirects_to_the_page(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": "1", "name": "No JavaScript"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/drafts/{draft.id}/#field-name"
    html = creator_client.get(response["Location"]).content.decode()
    assert "Name saved." in html and "No JavaScript" in html


def test_a_plain_form_post_with_an_error_shows_the_whole_page_with_the_message(
    creator_client, draft
):
    response = creator_client.post(f"/drafts/{draft.id}/fields/name/", {"version": "1", "name": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<html" in html and 'class="field field--editing" id="field-name"' in html
    assert "Enter a name." in html


def test_a_form_without_a_version_is_refused(creator_client, draft):
    response = creator_client.post(f"/drafts/{draft.id}/fields/name/", {"name": "x"}, headers=HTMX)
    assert response.status_code == 400
    assert "reload the page" in response.content.decode()


def test_an_unknown_field_is_404(creator_client, draft):
    assert (
        creator_client.get(f"/drafts/{draft.id}/fields/version/", headers=HTMX).status_code == 404
    )


def test_changing_the_repository_tag_rereads_connect_yaml(creator_client, draft, good_repo):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/repository/",
        {"version": "1", "url": "", "tag": "v1.1.0"},
        headers=HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:800]
    draft.refresh_from_db()
    assert draft.repository_tag == "v1.1.0" and draft.repository_url == good_repo.url
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert event.details["actions"] == [{"action": "setRepository", "url": None, "tag": "v1.1.0"}]


def test_an_unknown_tag_shows_the_repository_error_in_the_field(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/repository/",
        {"version": "1", "url": "", "tag": "9.9.9"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="9.9.9"' in html and 'id="input-repository-tag-errors"' in html
    assert "The tag &#x27;9.9.9&#x27; was not found" in html


def test_a_bad_tag_pattern_shows_beside_the_tag_input(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/repository/",
        {"version": "1", "url": "", "tag": "..bad"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="input-repository-tag-errors"' in html


def test_saving_is_refused_with_the_reason_while_publishing(creator_client, draft):
    move_to(draft, status=Status.PROCESSING)
    form = creator_client.get(
        f"/drafts/{draft.id}/fields/name/", {"version": draft.version}, headers=HTMX
    ).content.decode()
    assert "The connector is being published" in form
    assert re.search(r"<button type=\"submit\"[^>]*disabled", form)
    response = creator_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": draft.version, "name": "x"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "being published" in response.content.decode()
