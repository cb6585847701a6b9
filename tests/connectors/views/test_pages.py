"""Sign-in, the navigation by role, the draft list and who may see which page."""

from __future__ import annotations

import re

from connectors.state import Status
from tests.conftest import HTMX, PASSWORD, move_to


def test_pages_ask_an_anonymous_visitor_to_sign_in(client, draft):
    for url in ("/", "/drafts/new/", f"/drafts/{draft.id}/", "/certification/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_signing_in_with_the_right_password_leads_to_the_drafts(client, creator):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'autocomplete="current-password"' in page.content
    response = client.post("/accounts/login/", {"username": "creator", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_signing_in_with_a_wrong_password_shows_an_error(client, creator):
    response = client.post("/accounts/login/", {"username": "creator", "password": "nope"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert b'value="creator"' in response.content


def test_signing_out_is_a_post_and_returns_to_sign_in(creator_client):
    response = creator_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert creator_client.get("/").status_code == 302


def test_the_base_page_loads_vendored_htmx_and_sends_the_csrf_token_with_every_request(
    creator_client,
):
    html = creator_client.get("/").content.decode()
    assert '<script src="/static/vendor/htmx-2.0.11.min.js" defer></script>' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert '"code":"(400|409|422)","swap":true' in html
    assert "<script>" not in html and "style=" not in html
    assert "https://" not in html.split("<main")[0], "no CDN"


def test_pages_are_served_with_a_content_security_policy_without_inline_scripts(creator_client):
    policy = creator_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_navigation_shows_what_each_role_can_reach(
    creator_client, certifier_client, support_client
):
    creator_nav = creator_client.get("/").content.decode()
    assert "New draft" in creator_nav and "Certification queue" not in creator_nav
    assert "/admin/" not in creator_nav
    certifier_nav = certifier_client.get("/certification/").content.decode()
    assert "Certification queue" in certifier_nav and "New draft" not in certifier_nav
    support_nav = support_client.get("/", follow=True).content.decode()
    assert 'href="/admin/"' in support_nav


def test_a_certifier_without_a_project_lands_on_the_queue(certifier_client):
    response = certifier_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/certification/"


def test_the_list_shows_the_drafts_of_the_users_projects_only(
    creator_client, make_draft, other_project
):
    make_draft(name="Ours")
    make_draft(target=other_project, name="Theirs")
    html = creator_client.get("/").content.decode()
    assert "Ours" in html and "Theirs" not in html
    assert "1 draft" in html


def test_the_list_shows_status_and_preview_badges(creator_client, draft):
    move_to(draft, status=Status.FAILED, is_previewable="true")
    html = creator_client.get("/").content.decode()
    assert 'badge badge--bad">Publishing failed<' in html
    assert 'badge badge--good">Preview passed<' in html


def test_the_list_filters_by_status_visibility_type_and_text(creator_client, make_draft):
    make_draft(name="Payment bridge", integrationTypes=["psp"])
    shipped = make_draft(name="Shipping rates", integrationTypes=["shipping"])
    move_to(shipped, status=Status.PUBLISHED, private=False)

    def names(**params):
        html = creator_client.get("/", params).content.decode()
        return set(re.findall(r'<th scope="row"><a href="/drafts/[^"]+/">([^<]+)</a>', html))

    assert names() == {"Payment bridge", "Shipping rates"}
    assert names(status="Published") == {"Shipping rates"}
    assert names(private="yes") == {"Payment bridge"}
    assert names(private="no") == {"Shipping rates"}
    assert names(type="psp") == {"Payment bridge"}
    assert names(q="rates") == {"Shipping rates"}
    assert names(status="Draft", type="shipping") == set()


def test_the_list_sorts_and_paginates(creator_client, make_draft):
    for letter in "CAB":
        make_draft(name=f"{letter} connector")
    html = creator_client.get("/", {"sort": "name"}).content.decode()
    assert html.index("A connector") < html.index("B connector") < html.index("C connector")
    html = creator_client.get("/", {"sort": "-name"}).content.decode()
    assert html.index("C connector") < html.index("A connector")
    for number in range(20):
        make_draft(name=f"Extra {number:02}")
    first = creator_client.get("/", {"sort": "name"}).content.decode()
    assert "page 1 of 2" in first and "Next page" in first
    second = creator_client.get("/", {"sort": "name", "page": "2"}).content.decode()
    assert "page 2 of 2" in second and "Previous page" in second
    assert second.count('<th scope="row">') == 3


def test_unknown_filter_values_are_ignored_rather_than_an_error(creator_client, draft):
    response = creator_client.get("/", {"status": "Bogus", "sort": "drop table", "page": "x"})
    assert response.status_code == 200
    assert draft.name in response.content.decode()


def test_an_htmx_filter_request_gets_only_the_table(creator_client, draft):
    response = creator_client.get(
        "/", {"q": "Sample"}, headers={**HTMX, "HX-Target": "draft-table"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="draft-table"')
    assert "<html" not in html and "Sample connector" in html
    assert "HX-Request" in response["Vary"]


def test_another_projects_draft_is_not_found_on_every_page_and_fragment(other_client, draft):
    base = f"/drafts/{draft.id}"
    for url in (f"{base}/", f"{base}/delete/", f"{base}/fields/name/", f"{base}/live/"):
        assert other_client.get(url, headers=HTMX).status_code == 404, url
    posts = (
        f"{base}/fields/name/",
        f"{base}/actions/preview/",
        f"{base}/private-projects/add/",
        f"{base}/comments/",
        f"{base}/delete/",
    )
    for url in posts:
        response = other_client.post(url, {"version": draft.version, "name": "Taken"})
        assert response.status_code == 404, url
    draft.refresh_from_db()
    assert draft.name == "Sample connector" and draft.version == 1


def test_a_certifier_cannot_open_or_edit_a_creators_draft(certifier_client, draft):
    assert certifier_client.get(f"/drafts/{draft.id}/").status_code == 404
    response = certifier_client.post(
        f"/drafts/{draft.id}/fields/name/", {"version": draft.version, "name": "Certified name"}
    )
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.name == "Sample connector"


def test_an_unknown_draft_id_is_a_dashboard_404_page(creator_client):
    response = creator_client.get("/drafts/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_a_post_without_the_csrf_token_is_refused_with_an_explanation(creator, draft):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(creator)
    response = client.post(f"/drafts/{draft.id}/fields/name/", {"version": 1, "name": "Forged"})
    assert response.status_code == 403
    assert "The form expired" in response.content.decode()
    draft.refresh_from_db()
    assert draft.name == "Sample connector"
