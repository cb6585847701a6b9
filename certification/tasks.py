"""Celery tasks of the certification app: one call to its services each."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="certification.release_expired_claims")
def release_expired_claims() -> list[str]:
    """Celery beat's: give back to the queue the claims older than CERTIFICATION_CLAIM_HOURS."""
    return [str(draft_id) for draft_id in services.release_expired_claims()]
