"""The draft page's buttons, private projects, comments and deletion."""

from __future__ import annotations

import re
from html import unescape

from django.utils.html import escape

from connectors.drafts import publish_to_production
from connectors.models import CertificationComment, Connector, ConnectorStaged, PipelineRun
from connectors.state import Status
from tests.conftest import HTMX, move_to, rename_elsewhere


def action(client, draft, name, version=None, htmx=True):
    return client.post(
        f"/drafts/{draft.id}/actions/{name}/",
        {"version": draft.version if version is None else version},
        headers=HTMX if htmx else {},
    )


def disabled_reason(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="reason" id="reason-{name}">([^<]+)</p>', html)
    return unescape(match.group(1)) if match else None


def test_run_a_preview_starts_a_run_and_the_page_starts_following_it(creator_client, draft):
    response = action(creator_client, draft, "preview")
    html = response.content.decode()
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.is_previewable == "pending" and draft.version == 2
    run = PipelineRun.objects.get(id=draft.preview_run_id)
    assert run.report == "preview" and run.requested_by == "creator"
    assert html.lstrip().startswith('<section id="draft-actions"')
    assert "Preview requested" in html
    assert disabled_reason(html, "preview") == (
        "A previewable request for this connector is already being processed."
    )
    poller = re.search(r'<div id="draft-poller"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in poller and 'hx-trigger="load, retry"' in poller
    assert 'id="draft-reports"' in html


def test_publish_privately_and_for_certification_send_the_publish_action(
    creator_client, make_draft
):
    private = make_draft()
    assert action(creator_client, private, "publish").status_code == 200
    private.refresh_from_db()
    assert private.status == Status.PROCESSING
    assert PipelineRun.objects.get(id=private.publish_run_id).certification is False
    public = make_draft()
    assert action(creator_client, public, "certify").status_code == 200
    public.refresh_from_db()
    assert PipelineRun.objects.get(id=public.publish_run_id).certification is True


def test_while_publishing_every_button_is_disabled_with_the_reason(creator_client, draft):
    move_to(draft, status=Status.PROCESSING)
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    reason = (
        "The connector is being published: only certification comments can be added "
        "until publishing ends."
    )
    for name in ("preview", "publish", "certify", "unlist"):
        assert disabled_reason(html, name) == reason, name
    assert 'id="reason-private-projects"' in html
    response = action(creator_client, draft, "preview")
    assert response.status_code == 400
    assert reason in response.content.decode()  # the button and the refusal say the same


def test_in_certification_publishing_is_disabled_with_the_reason(creator_client, draft):
    move_to(draft, status=Status.IN_CERTIFICATION)
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    reason = disabled_reason(html, "certify")
    assert reason == "The connector is being certified: wait for the certifier's decision."
    assert disabled_reason(html, "preview") is None
    response = action(creator_client, draft, "certify")
    assert response.status_code == 400
    assert escape(reason) in response.content.decode()


def test_a_certified_draft_without_changes_cannot_be_sent_again(creator_client, draft):
    move_to(draft, status=Status.PUBLISHED, private=False, already_listed=True)
    publish_to_production(draft=draft, certified=True)
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    assert disabled_reason(html, "certify") == (
        "The connector is already certified and has no changes to certify."
    )
    assert disabled_reason(html, "unlist") is None


def test_unlist_hides_the_connector(creator_client, draft):
    move_to(draft, status=Status.PUBLISHED, private=False, already_listed=True)
    publish_to_production(draft=draft, certified=True)
    assert action(creator_client, draft, "unlist").status_code == 200
    draft.refresh_from_db()
    assert draft.already_listed is False
    assert Connector.objects.get(staged=draft).listed is False


def test_a_stale_button_is_409_and_lists_the_change(creator_client, draft):
    rename_elsewhere(draft, "Renamed meanwhile")
    response = action(creator_client, draft, "preview", version=1)
    html = response.content.decode()
    assert response.status_code == 409
    assert "nothing was done" in html and "Renamed meanwhile" in html
    draft.refresh_from_db()
    assert draft.is_previewable == "none"
    # The buttons now hold the current version.
    assert 'name="version" value="2"' in html


def test_a_plain_post_of_a_button_redirects_with_a_message(creator_client, draft):
    response = action(creator_client, draft, "preview", htmx=False)
    assert response.status_code == 302
    page = creator_client.get(response["Location"]).content.decode()
    assert "Preview requested" in page


def test_an_unknown_action_is_404(creator_client, draft):
    assert action(creator_client, draft, "setKey").status_code == 404


def test_private_projects_are_added_and_removed(creator_client, draft):
    url = f"/drafts/{draft.id}/private-projects"
    added = creator_client.post(
        f"{url}/add/", {"version": 1, "privateProject": "us-east-2.aws:partner"}, headers=HTMX
    )
    assert added.status_code == 200
    assert "<code>us-east-2.aws:partner</code>" in added.content.decode()
    draft.refresh_from_db()
    assert draft.private_projects == ["us-east-2.aws:partner"]
    removed = creator_client.post(
        f"{url}/remove/", {"version": 2, "privateProject": "us-east-2.aws:partner"}, headers=HTMX
    )
    assert removed.status_code == 200
    draft.refresh_from_db()
    assert draft.private_projects == []


def test_an_invalid_private_project_keeps_the_input_and_says_what_it_looks_like(
    creator_client, draft
):
    response = creator_client.post(
        f"/drafts/{draft.id}/private-projects/add/",
        {"version": 1, "privateProject": "no colon"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="no colon"' in html and 'id="private-project-errors"' in html
    assert "Use region:projectKey, like europe-west1.gcp:my-shop" in html


def test_a_public_connector_cannot_change_private_projects(creator_client, draft):
    move_to(draft, private=False)
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    assert "The connector is public" in html
    response = creator_client.post(
        f"/drafts/{draft.id}/private-projects/add/",
        {"version": draft.version, "privateProject": "us-east-2.aws:partner"},
        headers=HTMX,
    )
    assert response.status_code == 400


def test_a_comment_is_added_to_the_thread_by_the_signed_in_user(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/comments/",
        {"version": 1, "comment": "Ready for review."},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="draft-comments"')
    assert "<strong>creator</strong>" in html and "Ready for review." in html
    comment = CertificationComment.objects.get()
    assert comment.user_id == "creator" and comment.by_certifier is False
    assert 'hx-swap-oob="true" data-old="1" data-new="2" data-live="false"' in html


def test_an_empty_comment_is_refused_with_the_api_message(creator_client, draft):
    response = creator_client.post(
        f"/drafts/{draft.id}/comments/", {"version": 1, "comment": ""}, headers=HTMX
    )
    assert response.status_code == 400
    assert "String should have at least 1 character" in response.content.decode()


def test_a_stale_comment_keeps_its_text(creator_client, draft):
    rename_elsewhere(draft, "New name")
    response = creator_client.post(
        f"/drafts/{draft.id}/comments/", {"version": 1, "comment": "Long thoughts"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Long thoughts</textarea>" in html and "New name" in html
    assert not CertificationComment.objects.exists()


def test_comments_are_accepted_while_publishing(creator_client, draft):
    move_to(draft, status=Status.PROCESSING)
    response = creator_client.post(
        f"/drafts/{draft.id}/comments/",
        {"version": draft.version, "comment": "Any news?"},
        headers=HTMX,
    )
    assert response.status_code == 200


def test_delete_asks_for_confirmation_then_deletes(creator_client, draft):
    page = creator_client.get(f"/drafts/{draft.id}/delete/")
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    response = creator_client.post(f"/drafts/{draft.id}/delete/", {"version": draft.version})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not ConnectorStaged.objects.filter(id=draft.id).exists()
    assert "deleted" in creator_client.get("/").content.decode()


def test_delete_of_a_stale_page_is_409_and_deletes_nothing(creator_client, draft):
    rename_elsewhere(draft, "Changed")
    response = creator_client.post(f"/drafts/{draft.id}/delete/", {"version": 1})
    assert response.status_code == 409
    assert "Changed" in response.content.decode()
    assert ConnectorStaged.objects.filter(id=draft.id).exists()


def test_the_diff_shows_each_field_that_differs_from_the_production_connector(
    creator_client, draft
):
    move_to(draft, status=Status.PUBLISHED)
    publish_to_production(draft=draft, certified=False)
    creator_client.post(
        f"/drafts/{draft.id}/fields/name/",
        {"version": draft.version, "name": "Next name"},
        headers=HTMX,
    )
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    diff = html[html.index('id="draft-diff"') : html.index('id="draft-comments"')]
    assert "Production connector version 1" in diff
    row = re.search(r'<th scope="row">Name</th>(.*?)</tr>', diff, re.S).group(1)
    assert "Sample connector" in row and "Next name" in row
    assert diff.count('<th scope="row">') == 1
    assert "Changed since published" in html


def test_the_history_lists_each_request_with_who_and_what(creator_client, draft):
    creator_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": 1, "name": "Second"}, headers=HTMX
    )
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    history = html[html.index('id="draft-history"') :]
    assert "<strong>creator</strong> setName" in history
    assert "name “Second”" in history
    assert "<strong>creator</strong> created" in history


def test_a_plain_comment_post_with_an_error_shows_the_whole_page_with_the_message(
    creator_client, draft
):
    response = creator_client.post(f"/drafts/{draft.id}/comments/", {"version": 1, "comment": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<html" in html and 'id="comment-errors"' in html
