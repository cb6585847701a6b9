"""Celery tasks of the certification app: ids in, one call to a service each."""

from __future__ import annotations

from celery import shared_task

from . import changes, services


@shared_task(name="certification.release_expired_claims")
def release_expired_claims() -> list[str]:
    """Celery beat's: give back to the queue the claims older than CERTIFICATION_CLAIM_HOURS."""
    return [str(draft_id) for draft_id in services.release_expired_claims()]


@shared_task(
    name=changes.COMPARE_TASK,
    acks_late=True,
    soft_time_limit=changes.TASK_SOFT_TIME_LIMIT,
    time_limit=changes.TASK_TIME_LIMIT,
)
def compare_repositories(comparison_id: int) -> None:
    """What changed in a draft's repository since its last review (``RepositoryComparison``)."""
    changes.compute_comparison(comparison_id)
