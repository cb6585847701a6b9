"""Celery tasks: ids in, one call to the pipelines, nothing else."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.db import connections
from kombu.exceptions import OperationalError

from . import advisory_data, pipelines
from .state import Report

logger = logging.getLogger(__name__)


class RunTask(Task):
    """A preview or publish run's task. Sending it never raises.

    The run is a QUEUED row before its task is sent (after the write commits), so a
    broker that cannot be reached loses nothing: the write still answers what it
    committed, and the sweep sends the run again once the broker is back (or fails it
    after CONNECTORS_UNCLAIMED_RUN_SECONDS). A sent run is marked, so that the sweep tells
    runs that never reached the broker from those it holds.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:  # type: ignore[override]
        run_id = args[1] if args and len(args) > 1 else None
        try:
            result = super().apply_async(args, kwargs, **options)
        except (OperationalError, OSError) as error:  # the broker could not be reached
            logger.warning("Run %s was not sent (%s); the sweep sends it again", run_id, error)
            return None
        pipelines.mark_sent(run_id)
        return result


@shared_task(name="connectors.run_preview", base=RunTask, bind=True, acks_late=True, max_retries=5)
def run_preview(self, draft_id: str, run_id: str) -> None:
    pipelines.run_with_retries(self, draft_id, run_id)


@shared_task(name="connectors.run_publish", base=RunTask, bind=True, acks_late=True, max_retries=5)
def run_publish(self, draft_id: str, run_id: str) -> None:
    pipelines.run_with_retries(self, draft_id, run_id)


def send_run(*, draft_id: Any, run_id: Any, report: str) -> None:
    task = run_preview if report == Report.PREVIEW else run_publish
    task.delay(str(draft_id), str(run_id))


@shared_task(name="connectors.sweep_interrupted_runs")
def sweep_interrupted_runs() -> int:
    return pipelines.sweep_interrupted_runs(send=send_run)


@worker_ready.connect
def clear_abandoned_checkouts(**_: Any) -> None:
    """A worker killed during a run left its checkout (and maybe git) behind: clear them."""
    try:
        pipelines.clear_abandoned_checkouts()
    finally:
        connections.close_all()  # this thread runs no task: give its connection back


@shared_task(name="connectors.sync_advisories", soft_time_limit=3 * 3600, time_limit=3 * 3600 + 60)
def sync_advisories() -> list[str]:
    return [str(result) for result in advisory_data.sync_configured_sources()]
