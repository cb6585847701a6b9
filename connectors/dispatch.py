"""Sending a Celery task by its name, from code that must not import the tasks.

The domain (``drafts``) and the notification outbox ask for work this way: a task's name
and its arguments, sent after the write commits. Sending never raises into the writer and
never makes it wait: ``send_task_on_commit`` hands the task to a sender thread of the
process, which talks to the broker. A broker that cannot be reached (kombu may spend
seconds on one connection) loses nothing, because every such task has a periodic sweep
behind it that finds the work undone in the database (the notification sweep fans out
the events that were not); after a failure, sends are dropped for RETRY_AFTER_SECONDS
instead of each one waiting on the broker again.

With ``CELERY_TASK_ALWAYS_EAGER`` (tests only) the task runs in place, as ``delay`` does.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

# A draft event's notifications (emails, webhook deliveries): connectors.notifications.tasks.
FAN_OUT_TASK = "notifications.fan_out"

RETRY_AFTER_SECONDS = 5.0
# Sends waiting for the sender thread; past this many (a long outage) they are dropped.
MAX_WAITING = 10_000

_silent_until = 0.0
_lock = threading.Lock()
_waiting: queue.Queue[tuple[str, tuple[Any, ...], float | None]] = queue.Queue(MAX_WAITING)
_sender: threading.Thread | None = None
_sender_pid = 0


def send_task(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Send task ``name`` now, in this thread; False (and a warning) when it was not sent."""
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


def _send_waiting() -> None:
    while True:
        name, args, countdown = _waiting.get()
        try:
            send_task(name, *args, countdown=countdown)
        except Exception:  # never let the thread die: the next send may work
            logger.exception("Task %s was not sent", name)


def _hand_over(name: str, args: tuple[Any, ...], countdown: float | None) -> None:
    """Queue the send for this process's sender thread (started on first use, and again
    in a forked child, where the parent's thread does not exist)."""
    global _sender, _sender_pid, _waiting
    if current_app.conf.task_always_eager:
        send_task(name, *args, countdown=countdown)
        return
    with _lock:
        if _sender_pid != os.getpid() or _sender is None or not _sender.is_alive():
            if _sender_pid != os.getpid():
                _waiting = queue.Queue(MAX_WAITING)
            _sender = threading.Thread(target=_send_waiting, name="task-sender", daemon=True)
            _sender.start()
            _sender_pid = os.getpid()
    try:
        _waiting.put_nowait((name, args, countdown))
    except queue.Full:
        logger.warning("Task %s was not sent (too many waiting); the sweep does its work", name)


def send_task_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """Send task ``name`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_hand_over, name, args, countdown), robust=True)


def fan_out_on_commit(event_id: int) -> None:
    """Ask for a draft event's notifications once the write that recorded it commits."""
    send_task_on_commit(FAN_OUT_TASK, event_id)
