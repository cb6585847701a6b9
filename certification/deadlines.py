"""When a submission is due and when a claim expires: date arithmetic, no database.

Working time runs Monday to Friday, in the server's time zone (``TIME_ZONE``): a
submission that enters the queue on a weekend starts counting on Monday at midnight.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

SATURDAY = 5


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday), at the same time of day."""
    tz = timezone.get_current_timezone()
    moment = timezone.localtime(start, tz).replace(tzinfo=None)
    while moment.weekday() >= SATURDAY:
        moment = datetime.combine(moment.date() + timedelta(days=1), time.min)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < SATURDAY:
            remaining -= 1
    return timezone.make_aware(moment, tz)


def due_at(entered_queue_at: datetime) -> datetime:
    """When a submission that entered the queue then is due (CERTIFICATION_DUE_WORKING_DAYS)."""
    return add_working_days(entered_queue_at, settings.CERTIFICATION_DUE_WORKING_DAYS)


def claim_lifetime() -> timedelta:
    """How long a claim lasts before it is given back to the queue (CERTIFICATION_CLAIM_HOURS)."""
    return timedelta(hours=settings.CERTIFICATION_CLAIM_HOURS)


def claim_expires_at(claimed_at: datetime) -> datetime:
    return claimed_at + claim_lifetime()
