"""The queue's due dates (working days), its order and filters, and recent decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from certification.deadlines import add_working_days, due_at
from certification.selectors import queue_items, recent_decisions
from tests.certification.conftest import approved_by, claimed_by, ready, rejected_by

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def day(offset: int, hour: int = 10) -> datetime:
    return MONDAY.replace(hour=hour) + timedelta(days=offset)


@pytest.mark.parametrize(
    ("entered", "days", "due"),
    [
        (day(0), 3, day(3)),  # Monday → Thursday
        (day(2), 3, day(7)),  # Wednesday → next Monday, over the weekend
        (day(4, 15), 3, day(9, 15)),  # Friday afternoon → Wednesday afternoon
        (day(4, 15), 1, day(7, 15)),  # Friday → Monday
        (day(5), 3, day(10, 0)),  # Saturday: counted from Monday midnight → Thursday 00:00
        (day(6, 23), 3, day(10, 0)),  # Sunday night likewise
        (day(5), 0, day(7, 0)),  # nothing to add: the next working moment
        (day(1), 0, day(1)),
        (day(0), 10, day(14)),  # two whole weeks
    ],
)
def test_due_dates_count_working_days_only(entered, days, due):
    assert add_working_days(entered, days) == due


def test_working_days_follow_the_server_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    # Friday 23:00 UTC is Saturday 12:00 in Auckland: the count starts on Auckland's Monday.
    entered = day(4, 23)
    due = add_working_days(entered, 1)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)


def test_the_due_date_uses_the_setting(settings):
    settings.CERTIFICATION_DUE_WORKING_DAYS = 5
    assert due_at(day(0)) == day(7)


def test_the_queue_puts_overdue_first_then_by_due_date(make_draft, settings):
    settings.CERTIFICATION_DUE_WORKING_DAYS = 3
    now = day(9, 12)  # Wednesday of the second week
    late = ready(make_draft(name="Late"), since=day(2))  # due Monday: overdue
    later = ready(make_draft(name="Later"), since=day(4))  # due Wednesday 10:00: overdue
    soon = ready(make_draft(name="Soon"), since=day(7))  # due Thursday
    weekend = ready(make_draft(name="Weekend"), since=day(5))  # due Thursday 00:00
    items = queue_items(now=now)
    assert [i.draft.name for i in items] == ["Late", "Later", "Weekend", "Soon"]
    assert [i.overdue for i in items] == [True, True, False, False]
    assert items[0].due_at == day(7) and items[1].due_at == day(9)
    assert late.id and later.id and soon.id and weekend.id


def test_the_queue_shows_when_a_claim_expires(settings, certifier, draft):
    settings.CERTIFICATION_CLAIM_HOURS = 8
    claimed_by(draft, certifier)
    [item] = queue_items()
    assert item.claim_expires_at == draft.claimed_at + timedelta(hours=8)


def test_the_queue_filters_by_region_type_and_own_claims(make_draft, certifier, second_certifier):
    europe = ready(make_draft(name="Europe", supportedRegions=["europe-west1.gcp"]))
    aws = ready(
        make_draft(name="AWS tax", supportedRegions=["us-east-2.aws"], integrationTypes=["tax"])
    )
    mine = claimed_by(make_draft(name="Mine", integrationTypes=["tax", "psp"]), certifier)
    theirs = claimed_by(make_draft(name="Theirs"), second_certifier)

    def names(**filters):
        return {i.draft.name for i in queue_items(user=certifier, **filters)}

    assert names() == {"Europe", "AWS tax", "Mine", "Theirs"}
    assert names(region="us-east-2.aws") == {"AWS tax"}
    assert names(region="europe-west1.gcp") == {"Europe", "Mine", "Theirs"}
    assert names(integration_type="tax") == {"AWS tax", "Mine"}
    assert names(claimed_by_me=True) == {"Mine"}
    assert names(integration_type="tax", claimed_by_me=True) == {"Mine"}
    assert names(region="nowhere") == set() and names(integration_type="nothing") == set()
    assert europe.id and aws.id and mine.id and theirs.id


def test_recent_decisions_name_who_decided_when_and_how(
    make_draft, certifier, second_certifier, rejection_reasons
):
    approved_by(make_draft(name="First"), certifier)
    rejected_by(make_draft(name="Second"), second_certifier, reason_codes=["tests-failing"])
    decisions = recent_decisions()
    assert [(d.draft_name, d.actor, d.outcome) for d in decisions] == [
        ("Second", "second-certifier", "rejected"),
        ("First", "certifier", "approved"),
    ]
    assert decisions[0].reasons == ["Tests failing"] and decisions[0].at >= decisions[1].at
    assert [d.draft_name for d in recent_decisions(limit=1)] == ["Second"]
