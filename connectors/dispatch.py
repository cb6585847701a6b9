"""Sending a Celery task by its name, from code that must not import the tasks.

The domain (``drafts``) and the notification outbox ask for work this way: a task's name
and its arguments, sent after the write commits. Sending never raises into the writer. A
broker that cannot be reached loses nothing, because every such task has a periodic sweep
behind it that finds the work undone in the database (the notification sweep fans out the
events that were not); after a failure, sends are skipped for RETRY_AFTER_SECONDS instead
of every write waiting on the broker again.

With ``CELERY_TASK_ALWAYS_EAGER`` (tests only) the task runs in place, as ``delay`` does.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

# A draft event's notifications (emails, webhook deliveries): connectors.notifications.tasks.
FAN_OUT_TASK = "notifications.fan_out"

RETRY_AFTER_SECONDS = 5.0
_silent_until = 0.0


def send_task(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Send task ``name`` now; False (and a warning) when it could not be sent."""
    global _silent_until
    app = current_app
    if app.conf.task_always_eager:
        if name not in app.tasks:
            app.loader.import_default_modules()  # the apps' tasks modules, as a worker does
        task = app.tasks.get(name)
        if task is None:
            logger.warning("No task named %s to run", name)
            return False
        task.apply(args=args)
        return True
    if time.monotonic() < _silent_until:
        return False
    try:
        app.send_task(name, args=list(args), countdown=countdown)
    except Exception as error:
        _silent_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning("Task %s was not sent (%s); the sweep does its work later", name, error)
        return False
    return True


def send_task_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """Send task ``name`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(send_task, name, *args, countdown=countdown), robust=True)


def fan_out_on_commit(event_id: int) -> None:
    """Ask for a draft event's notifications once the write that recorded it commits."""
    send_task_on_commit(FAN_OUT_TASK, event_id)
