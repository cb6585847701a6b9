"""The certifier pages through Django's test client: the queue's due dates, filters and
recent decisions, the rejection form with reasons, and the approval's confirmation page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from certification.models import RejectionReason
from connectors.models import CertificationComment, DraftEvent
from connectors.state import Status
from tests.certification.conftest import approved_by, claimed_by, ready, rejected_by
from tests.conftest import HTMX, move_to

pytestmark = pytest.mark.usefixtures("rejection_reasons")


def names_in(html: str) -> list[str]:
    """The connectors the queue table lists, in order."""
    return re.findall(r'<th scope="row"><a href="/certification/[^"]+/">([^<]+)</a>', html)


def test_the_queue_shows_due_dates_overdue_first_and_claim_expiry(
    certifier_client, certifier, make_draft, settings
):
    settings.CERTIFICATION_DUE_WORKING_DAYS = 3
    settings.CERTIFICATION_CLAIM_HOURS = 24
    ready(make_draft(name="Fresh"), waited=timedelta(hours=1))
    ready(make_draft(name="Forgotten"), waited=timedelta(days=10))
    claimed_by(make_draft(name="Mine"), certifier, waited=timedelta(hours=2))
    html = certifier_client.get("/certification/").content.decode()
    assert names_in(html)[0] == "Forgotten"
    assert re.search(r"overdue by \d+\xa0days?", html)
    assert html.count("overdue by") == 1
    assert "Mine</a>" in html and "back to the queue" in html and "in 23\xa0hours" in html
    assert 'class="queue-overdue"' in html


def test_the_queue_filters_by_region_type_and_own_claims(
    certifier_client, certifier, second_certifier, make_draft
):
    ready(make_draft(name="Europe only", supportedRegions=["europe-west1.gcp"]))
    ready(make_draft(name="AWS tax", supportedRegions=["us-east-2.aws"], integrationTypes=["tax"]))
    claimed_by(make_draft(name="My claim"), certifier)
    claimed_by(make_draft(name="Their claim"), second_certifier)

    def listed(params, **headers):
        response = certifier_client.get("/certification/", params, headers=headers)
        assert response.status_code == 200
        return response.content.decode()

    assert set(names_in(listed({}))) == {"Europe only", "AWS tax", "My claim", "Their claim"}
    assert names_in(listed({"region": "us-east-2.aws"})) == ["AWS tax"]
    assert names_in(listed({"type": "tax"})) == ["AWS tax"]
    assert names_in(listed({"mine": "1"})) == ["My claim"]
    page = listed({"region": "us-east-2.aws", "mine": "1"})
    assert names_in(page) == [] and "No draft in the queue matches these filters" in page
    assert '<option value="us-east-2.aws" selected>' in page
    assert 'name="mine" value="1" checked' in page
    # The filter form swaps the table alone, whose live poll asks with the same filters.
    table = listed({"type": "tax"}, **HTMX, **{"HX-Target": "queue-table"})
    assert table.lstrip().startswith('<div id="queue-table"')
    assert names_in(table) == ["AWS tax"] and 'hx-get="/certification/?type=tax"' in table


def test_filter_values_not_understood_are_named_and_ignored(certifier_client, make_draft):
    ready(make_draft(name="Listed anyway"))
    html = certifier_client.get(
        "/certification/", {"region": "mars-1", "type": "<script>"}
    ).content.decode()
    assert names_in(html) == ["Listed anyway"]
    assert "Not understood, so not used as a filter" in html
    assert "region “mars-1”" in html and "&lt;script&gt;" in html and "<script>”" not in html


def test_the_queue_lists_recent_decisions(certifier_client, certifier, make_draft):
    approved_by(make_draft(name="Went through"), certifier)
    rejected_by(make_draft(name="Sent back"), certifier, reason_codes=["documentation-missing"])
    html = certifier_client.get("/certification/").content.decode()
    recent = html.split('id="recent-decisions"', 1)[1]
    assert recent.index("Sent back") < recent.index("Went through")
    assert "Changes requested" in recent and "Approved" in recent
    assert "by certifier" in recent and "Documentation missing" in recent


def test_the_review_page_offers_the_reasons_and_an_approval_step(
    certifier_client, certifier, draft
):
    RejectionReason.objects.filter(code="description-inaccurate").update(active=False)
    claimed_by(draft, certifier)
    html = certifier_client.get(f"/certification/{draft.id}/").content.decode()
    assert 'name="reasons" value="tests-failing"' in html and "Tests failing" in html
    assert 'value="description-inaccurate"' not in html
    assert re.search(rf'<form method="get" action="/certification/{draft.id}/approve/"', html), (
        "approving starts with a confirmation page"
    )
    assert "Due</dt>" in html and "back to the queue" in html


def reject(client, draft, **data):
    return client.post(f"/certification/{draft.id}/reject/", {"version": draft.version, **data})


def test_rejecting_with_chosen_reasons_and_text(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    response = reject(
        certifier_client,
        draft,
        reasons=["tests-failing", "connect-yaml-unclear"],
        reason="See the job folder.",
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.FAILED
    comment = CertificationComment.objects.get(draft=draft).comment
    assert comment.startswith("connect.yaml configuration unclear: ")
    assert "\n\nTests failing: " in comment and comment.endswith("\n\nSee the job folder.")
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    codes = [r["code"] for r in event.details["reasons"]]
    assert codes == ["connect-yaml-unclear", "tests-failing"]
    assert event.details["note"] == "See the job folder."


def test_rejecting_with_reasons_only(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    assert reject(certifier_client, draft, reasons=["tests-failing"]).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.FAILED


def test_a_reason_not_offered_is_shown_beside_the_reasons_and_the_choice_kept(
    certifier_client, certifier, draft
):
    claimed_by(draft, certifier)
    response = reject(
        certifier_client, draft, reasons=["tests-failing", "made-up"], reason="Typed text"
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="reject-reasons-errors"' in html and "Unknown rejection reason" in html
    assert 'value="tests-failing" checked' in html and "Typed text</textarea>" in html
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def approve_url(draft) -> str:
    return f"/certification/{draft.id}/approve/"


def test_approving_asks_for_confirmation_on_its_own_page(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    page = certifier_client.get(approve_url(draft), {"version": draft.version})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Approve and publish “Sample connector”?" in html
    assert "<strong>public</strong> (it is private today)" in html
    assert "<strong>created</strong>" in html
    assert 'name="confirm" value="yes"' in html and 'id="approve-note"' in html
    assert f'name="version" value="{draft.version}"' in html
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION  # looking decides nothing


def test_an_approval_posted_without_confirming_only_shows_the_confirmation(
    certifier_client, certifier, draft
):
    claimed_by(draft, certifier)
    response = certifier_client.post(approve_url(draft), {"version": draft.version, "note": "Hi"})
    html = response.content.decode()
    assert response.status_code == 200 and "Yes, approve and publish" in html
    assert ">Hi</textarea>" in html
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_confirming_approves_with_the_note(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        approve_url(draft), {"version": draft.version, "confirm": "yes", "note": "Well done."}
    )
    assert response.status_code == 302 and response["Location"] == "/certification/"
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and not draft.private
    assert CertificationComment.objects.get(draft=draft).comment == "Well done."
    assert DraftEvent.objects.filter(draft=draft).latest("id").details["note"] == "Well done."


def test_a_note_the_api_refuses_is_shown_on_the_confirmation_page(
    certifier_client, certifier, draft
):
    claimed_by(draft, certifier)
    response = certifier_client.post(
        approve_url(draft), {"version": draft.version, "confirm": "yes", "note": "x" * 10_001}
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'id="approve-note-errors"' in html
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_the_confirmation_of_a_changed_draft_shows_the_changes_instead_of_the_button(
    certifier_client, certifier, draft
):
    claimed_by(draft, certifier)
    reviewed = draft.version
    move_to(draft, name="Renamed meanwhile")
    DraftEvent.objects.create(
        draft=draft, kind="updated", actor="acme-shop", summary="renamed", version=reviewed + 1
    )
    move_to(draft, version=reviewed + 1)
    html = certifier_client.get(approve_url(draft), {"version": reviewed}).content.decode()
    assert "The draft changed since you reviewed it" in html and "renamed" in html
    assert "Yes, approve and publish" not in html


def test_only_the_claim_holder_sees_the_confirmation(certifier_client, second_certifier, draft):
    claimed_by(draft, second_certifier)
    response = certifier_client.get(approve_url(draft), {"version": draft.version}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/certification/{draft.id}/"
    assert "Claim the draft before deciding" in html and "Yes, approve" not in html


def test_a_rejection_cannot_be_requested_with_get(certifier_client, certifier, draft):
    claimed_by(draft, certifier)
    assert certifier_client.get(f"/certification/{draft.id}/reject/").status_code == 405
    assert certifier_client.get(f"/certification/{draft.id}/unknown/").status_code == 404
