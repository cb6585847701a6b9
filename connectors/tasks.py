"""Celery tasks: ids in, one call to the pipelines, nothing else."""

from __future__ import annotations

from celery import shared_task

from . import advisory_data, pipelines


@shared_task(name="connectors.run_preview", bind=True, acks_late=True, max_retries=5)
def run_preview(self, draft_id: str, run_id: str) -> None:
    pipelines.run_with_retries(self, draft_id, run_id)


@shared_task(name="connectors.run_publish", bind=True, acks_late=True, max_retries=5)
def run_publish(self, draft_id: str, run_id: str) -> None:
    pipelines.run_with_retries(self, draft_id, run_id)


@shared_task(name="connectors.sweep_interrupted_runs")
def sweep_interrupted_runs() -> int:
    return pipelines.sweep_interrupted_runs()


@shared_task(name="connectors.sync_advisories", soft_time_limit=3 * 3600, time_limit=3 * 3600 + 60)
def sync_advisories() -> list[str]:
    return [str(result) for result in advisory_data.sync_configured_sources()]
