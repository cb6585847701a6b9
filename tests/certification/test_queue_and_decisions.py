"""The certifier pages: the queue, claiming, reviewing, approving and rejecting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from certification import services
from connectors.drafts import Actor, publish_to_production
from connectors.models import CertificationComment, Connector, DraftEvent
from connectors.representations import connector_representation
from connectors.state import Status
from tests.certification.conftest import claimed_by, ready
from tests.conftest import HTMX, move_to, signed_in


def test_a_creator_cannot_reach_the_certification_pages(creator_client, draft):
    ready(draft)
    for url in ("/certification/", f"/certification/{draft.id}/"):
        assert creator_client.get(url).status_code == 403
    for url in (f"/certification/{draft.id}/claim/", f"/certification/{draft.id}/approve/"):
        assert creator_client.post(url, {"version": draft.version}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Status.READY_FOR_CERTIFICATION


def test_the_queue_lists_drafts_in_certification_oldest_first_with_waiting_time(
    certifier_client, make_draft, second_certifier
):
    recent = ready(make_draft(name="Recent one"), waited=timedelta(hours=1))
    old = ready(make_draft(name="Old one"), waited=timedelta(days=3))
    claimed_by(make_draft(name="Claimed one"), second_certifier)
    make_draft(name="Still a draft")
    html = certifier_client.get("/certification/").content.decode()
    assert "Still a draft" not in html
    assert html.index("Old one") < html.index("Recent one")
    assert "3\xa0days" in html and "1\xa0hour" in html
    assert "second-certifier" in html
    assert html.count(">Claim<") == 2
    assert old.id and recent.id


def test_the_queue_refresh_returns_only_the_table(certifier_client, draft):
    ready(draft)
    html = certifier_client.get(
        "/certification/", headers={**HTMX, "HX-Target": "queue-table"}
    ).content.decode()
    assert html.lstrip().startswith('<div id="queue-table"') and "Sample connector" in html


def test_claiming_moves_the_draft_in_certification_and_opens_the_review(
    certifier_client, certifier, draft
):
    ready(draft)
    response = certifier_client.post(f"/certification/{draft.id}/claim/")
    assert response.status_code == 302 and response["Location"] == f"/certification/{draft.id}/"
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION and draft.claimed_by == certifier
    assert draft.version == 2
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert (event.kind, event.actor, event.summary) == (
        "state",
        "certifier",
        "claimed for certification",
    )
    html = certifier_client.get(response["Location"]).content.decode()
    assert "Approve and publish" in html and "Reasons for rejecting" in html


def test_a_second_claim_is_refused_and_names_who_has_it(certifier_client, second_certifier, draft):
    claimed_by(draft, second_certifier)
    response = certifier_client.post(f"/certification/{draft.id}/claim/")
    assert response.status_code == 302
    html = certifier_client.get(response["Location"]).content.decode()
    assert "second-certifier has already claimed this draft." in html
    draft.refresh_from_db()
    assert draft.claimed_by == second_certifier


@pytest.mark.django_db(transaction=True)
def test_two_certifiers_claiming_at_the_same_moment_get_one_claim(
    certifier, second_certifier, draft
):
    ready(draft)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(user):
        try:
            barrier.wait()
            services.claim(
                draft_id=draft.id, actor=Actor(label=user.username, user=user, is_certifier=True)
            )
            outcomes.append("claimed")
        except services.CertificationConflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (certifier, second_certifier)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["claimed", "refused"]
    draft.refresh_from_db()
    assert draft.version == 2


def test_the_review_page_shows_report_applications_diff_and_comments(
    certifier_client, certifier, draft
):
    from connectors.models import ReportEntry

    claimed_by(draft, certifier)
    ReportEntry.objects.create(
        draft=draft, report="publishing", type="Information", title="Specification check succeeded"
    )
    CertificationComment.objects.create(draft=draft, user_id="acme-shop", comment="Please review.")
    html = certifier_client.get(f"/certification/{draft.id}/").content.decode()
    assert "Specification check succeeded" in html
    assert "<code>CORS_ALLOWED_ORIGINS</code>" in html
    assert 'id="draft-diff"' in html and "Not published yet" in html
    assert "Please review." in html
    assert 'action="/certification/' in html and "/comments/" in html


def test_a_draft_outside_the_queue_is_not_found_for_a_certifier(certifier_client, draft):
    assert certifier_client.get(f"/certification/{draft.id}/").status_code == 404
    response = certifier_client.post(f"/certification/{draft.id}/claim/")
    assert response.status_code == 302 and response["Location"] == "/certification/"
    html = certifier_client.get("/certification/").content.decode()
    assert "no longer in the certification queue" in html
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.claimed_by is None


def test_approving_publishes_a_certified_listed_public_connector(
    certifier_client, certifier, draft
):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        f"/certification/{draft.id}/approve/", {"version": draft.version, "confirm": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == "/certification/"
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.private is False and draft.already_listed is True and draft.has_changes is False
    assert draft.claimed_by is None and draft.version == 3
    connector = Connector.objects.get(staged=draft)
    assert connector.certified and connector.listed and not connector.private
    assert connector_representation(connector)["certified"] is True
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert (event.kind, event.actor, event.summary) == (
        "decision",
        "certifier",
        "certification approved",
    )
    assert "is certified and published" in certifier_client.get("/certification/").content.decode()


def test_approving_a_new_version_of_a_certified_connector_updates_it(
    certifier_client, certifier, draft
):
    move_to(draft, status=Status.PUBLISHED, private=False)
    publish_to_production(draft=draft, certified=True)
    claimed_by(draft, certifier)
    certifier_client.post(
        f"/certification/{draft.id}/approve/", {"version": draft.version, "confirm": "yes"}
    )
    assert Connector.objects.get(staged=draft).version == 2


def test_rejecting_needs_a_reason(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        f"/certification/{draft.id}/reject/", {"version": draft.version, "reason": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="reject-reason-errors"' in html
    assert "Choose at least one reason from the list or write one." in html
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_rejecting_fails_the_draft_and_stores_the_reason_as_a_certifier_comment(
    certifier_client, certifier, draft, creator_client
):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        f"/certification/{draft.id}/reject/",
        {"version": draft.version, "reason": "The job has no tests."},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.FAILED and draft.claimed_by is None
    comment = CertificationComment.objects.get(draft=draft)
    assert comment.comment == "The job has no tests."
    assert comment.by_certifier and comment.user_id == "certifier"
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert event.kind == "decision" and event.details["reason"] == "The job has no tests."
    creator_page = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    assert "The job has no tests." in creator_page and "comment--certifier" in creator_page


def test_only_the_certifier_holding_the_draft_decides(certifier_client, second_certifier, draft):
    claimed_by(draft, second_certifier)
    html = certifier_client.get(f"/certification/{draft.id}/").content.decode()
    assert "second-certifier is reviewing this draft." in html and "Approve and publish" not in html
    response = certifier_client.post(
        f"/certification/{draft.id}/approve/", {"version": draft.version, "confirm": "yes"}
    )
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_a_decision_on_a_draft_changed_since_the_review_is_409(
    certifier_client, certifier, creator_client, draft
):
    claimed_by(draft, certifier)
    reviewed = draft.version
    creator_client.post(
        f"/drafts/{draft.id}/fields/name/",
        {"version": reviewed, "name": "Sneaky rename"},
        headers=HTMX,
    )
    response = certifier_client.post(
        f"/certification/{draft.id}/approve/", {"version": reviewed, "confirm": "yes"}
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Sneaky rename" in html and "nothing was decided" in html
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_releasing_puts_the_draft_back_in_its_place(certifier_client, certifier, draft):
    ready(draft, waited=timedelta(days=2))
    since = draft.status_changed_at
    services.claim(
        draft_id=draft.id, actor=Actor(label="certifier", user=certifier, is_certifier=True)
    )
    response = certifier_client.post(f"/certification/{draft.id}/release/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.READY_FOR_CERTIFICATION and draft.claimed_by is None
    assert draft.status_changed_at == since


def test_only_the_holder_can_release(certifier_client, second_certifier, draft):
    claimed_by(draft, second_certifier)
    certifier_client.post(f"/certification/{draft.id}/release/")
    draft.refresh_from_db()
    assert draft.claimed_by == second_certifier


def test_a_certifier_comment_is_marked_as_a_certifiers(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        f"/certification/{draft.id}/comments/",
        {"version": draft.version, "comment": "Which Node version?"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Certifier</span>" in response.content.decode()
    comment = CertificationComment.objects.get()
    assert comment.by_certifier and comment.user_id == "certifier"


def test_a_certifier_comment_without_javascript_redirects_to_the_thread(
    certifier_client, certifier, draft
):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        f"/certification/{draft.id}/comments/", {"version": draft.version, "comment": "Noted."}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#draft-comments")


def test_signed_in_pages_work_for_a_certifier_from_a_fresh_login(certifier, draft):
    ready(draft)
    client = signed_in(certifier)
    assert client.get("/certification/").status_code == 200
