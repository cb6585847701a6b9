"""Decisions in the domain: rejection reasons, the approval note, claims that expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certification import services, tasks
from certification.models import RejectionReason
from certification.selectors import offered_reasons
from connectors.errors import ConnectError, InvalidInput
from connectors.models import CertificationComment, DraftEvent
from connectors.state import Status
from tests.certification.conftest import as_certifier, claimed_by, seed_rejection_reasons
from tests.conftest import move_to

pytestmark = pytest.mark.usefixtures("rejection_reasons")

SEEDED = {
    "security-finding-unresolved",
    "documentation-missing",
    "description-inaccurate",
    "connect-yaml-unclear",
    "tests-failing",
}


def test_the_migration_seeds_the_usual_reasons_in_order_and_keeps_edits(db):
    RejectionReason.objects.all().delete()
    seed_rejection_reasons()
    reasons = offered_reasons()
    assert {r.code for r in reasons} == SEEDED
    assert [r.order for r in reasons] == sorted(r.order for r in reasons)
    assert all(r.title and r.text for r in reasons)
    RejectionReason.objects.filter(code="tests-failing").update(title="Tests fail")
    seed_rejection_reasons()  # seeding again adds nothing and keeps what support changed
    assert RejectionReason.objects.count() == len(SEEDED)
    assert RejectionReason.objects.get(code="tests-failing").title == "Tests fail"


def reject(draft, certifier, **given):
    return services.reject(
        draft_id=draft.id, version=draft.version, actor=as_certifier(certifier), **given
    )


def test_a_rejection_without_reason_or_text_is_refused_and_changes_nothing(certifier, draft):
    claimed_by(draft, certifier)
    for given in ({}, {"reason": "   \n"}, {"reason_codes": []}):
        with pytest.raises(InvalidInput) as refused:
            reject(draft, certifier, **given)
        assert refused.value.location == ("reason",)
        assert "at least one reason" in str(refused.value.problem)
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION and draft.version == 2
    assert not CertificationComment.objects.filter(draft=draft).exists()


def test_a_rejection_composes_its_comment_from_the_chosen_reasons_and_the_text(certifier, draft):
    claimed_by(draft, certifier)
    docs = RejectionReason.objects.get(code="documentation-missing")
    tests = RejectionReason.objects.get(code="tests-failing")
    reject(
        draft,
        certifier,
        reason_codes=["tests-failing", "documentation-missing", "tests-failing"],
        reason="  The job has no tests at all.  ",
    )
    draft.refresh_from_db()
    assert draft.status == Status.FAILED and draft.claimed_by is None and draft.version == 3
    comment = CertificationComment.objects.get(draft=draft)
    # In the list's order (documentation comes first), not the order they were sent in.
    assert comment.comment == (
        f"{docs.title}: {docs.text}\n\n{tests.title}: {tests.text}\n\nThe job has no tests at all."
    )
    assert comment.by_certifier and comment.user_id == "certifier"
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert (event.kind, event.version) == ("decision", 3)
    assert event.details["decision"] == "rejected"
    assert event.details["reasons"] == [
        {"code": "documentation-missing", "title": docs.title, "text": docs.text},
        {"code": "tests-failing", "title": tests.title, "text": tests.text},
    ]
    assert event.details["note"] == "The job has no tests at all."


def test_reasons_alone_are_enough(certifier, draft):
    claimed_by(draft, certifier)
    reject(draft, certifier, reason_codes=["connect-yaml-unclear"])
    reason = RejectionReason.objects.get(code="connect-yaml-unclear")
    assert CertificationComment.objects.get(draft=draft).comment == f"{reason.title}: {reason.text}"
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert [r["code"] for r in event.details["reasons"]] == ["connect-yaml-unclear"]
    assert event.details["note"] == ""


def test_text_alone_is_enough(certifier, draft):
    claimed_by(draft, certifier)
    reject(draft, certifier, reason="Please rename the job.")
    assert CertificationComment.objects.get(draft=draft).comment == "Please rename the job."


def test_a_reason_that_is_unknown_or_no_longer_offered_is_refused(certifier, draft):
    claimed_by(draft, certifier)
    RejectionReason.objects.filter(code="description-inaccurate").update(active=False)
    for code in ("description-inaccurate", "no-such-reason"):
        with pytest.raises(InvalidInput) as refused:
            reject(draft, certifier, reason_codes=[code], reason="and more")
        assert refused.value.location == ("reasons",) and code in str(refused.value.problem)
    assert "description-inaccurate" not in {r.code for r in offered_reasons()}
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_a_composed_comment_too_long_for_the_api_is_refused(certifier, draft):
    claimed_by(draft, certifier)
    with pytest.raises(ConnectError):
        reject(draft, certifier, reason_codes=["tests-failing"], reason="x" * 10_000)
    draft.refresh_from_db()
    assert draft.status == Status.IN_CERTIFICATION


def test_an_approval_note_becomes_a_certifier_comment_and_is_kept_in_history(certifier, draft):
    claimed_by(draft, certifier)
    services.approve(
        draft_id=draft.id,
        version=draft.version,
        actor=as_certifier(certifier),
        note="  Nice work on the docs.  ",
    )
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.version == 3
    comment = CertificationComment.objects.get(draft=draft)
    assert comment.comment == "Nice work on the docs." and comment.by_certifier
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert event.details["decision"] == "approved"
    assert event.details["note"] == "Nice work on the docs."


def test_an_approval_without_note_adds_no_comment(certifier, draft):
    claimed_by(draft, certifier)
    services.approve(draft_id=draft.id, version=draft.version, actor=as_certifier(certifier))
    assert not CertificationComment.objects.filter(draft=draft).exists()
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert event.details["decision"] == "approved"
    assert event.details["note"] == ""


# --- claims that expire ------------------------------------------------------------------------


def claimed_hours_ago(draft, certifier, hours: float):
    claimed_by(draft, certifier, waited=timedelta(days=2))
    return move_to(draft, claimed_at=timezone.now() - timedelta(hours=hours))


def test_the_periodic_task_releases_claims_older_than_the_setting(
    settings, certifier, second_certifier, make_draft
):
    settings.CERTIFICATION_CLAIM_HOURS = 24
    old = claimed_hours_ago(make_draft(), certifier, 25)
    fresh = claimed_hours_ago(make_draft(), second_certifier, 23)
    entered = old.status_changed_at
    released = tasks.release_expired_claims()
    assert released == [str(old.id)]
    old.refresh_from_db()
    assert old.status == Status.READY_FOR_CERTIFICATION and old.claimed_by is None
    assert old.version == 3 and old.status_changed_at == entered  # keeps its place
    event = DraftEvent.objects.filter(draft=old).latest("id")
    assert (event.kind, event.actor, event.version) == ("state", "system", 3)
    assert event.summary == "claim expired after 24 hours: released to the queue"
    assert event.details["claimedBy"] == "certifier"
    fresh.refresh_from_db()
    assert fresh.status == Status.IN_CERTIFICATION and fresh.claimed_by == second_certifier
    assert tasks.release_expired_claims() == []


def test_expiry_follows_the_clock_it_is_given(settings, certifier, draft):
    settings.CERTIFICATION_CLAIM_HOURS = 2
    claimed_by(draft, certifier)
    assert services.release_expired_claims(now=timezone.now() + timedelta(hours=1)) == []
    assert services.release_expired_claims(now=timezone.now() + timedelta(hours=3)) == [draft.id]


def test_a_claim_decided_meanwhile_is_not_released(settings, certifier, draft):
    claimed_hours_ago(draft, certifier, 30)
    draft.refresh_from_db()
    reject(draft, certifier, reason="No.")
    assert tasks.release_expired_claims() == []
    draft.refresh_from_db()
    assert draft.status == Status.FAILED


def test_the_holder_releasing_goes_through_the_same_write(certifier, second_certifier, draft):
    claimed_by(draft, certifier)
    with pytest.raises(services.CertificationConflict):
        services.release(draft_id=draft.id, actor=as_certifier(second_certifier))
    services.release(draft_id=draft.id, actor=as_certifier(certifier))
    draft.refresh_from_db()
    assert draft.status == Status.READY_FOR_CERTIFICATION and draft.version == 3
    event = DraftEvent.objects.filter(draft=draft).latest("id")
    assert (event.actor, event.summary, event.details["claimedBy"]) == (
        "certifier",
        "released to the queue",
        "certifier",
    )


def test_the_beat_schedule_runs_the_expiry(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["release-expired-claims"]
    assert entry["task"] == tasks.release_expired_claims.name
