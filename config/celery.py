"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_ready,
    worker_shutdown,
)

from config import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("connector_workbench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_broker_folders() -> None:
    """The file-system broker (the default) needs its folders before a worker starts."""
    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


_ensure_broker_folders()


# --- Logs and the workers' heartbeat (config/logs.py, connectors/monitoring.py) -------------
# Celery's own "correlation_id" is the task id; the request's travels under this header.
CORRELATION_HEADER = "workbench_correlation_id"
_bound: dict[str, object] = {}  # task id -> the context manager bound while it runs
_heartbeat: list[object] = []


@before_task_publish.connect
def _send_correlation_id(headers: dict | None = None, **_: object) -> None:
    """A task sent while a request runs carries the request's correlation id."""
    correlation_id = logs.current("correlation_id")
    if headers is not None and correlation_id:
        headers.setdefault(CORRELATION_HEADER, correlation_id)


@task_prerun.connect
def _bind_task_context(task_id: str, task, args=None, **_: object) -> None:
    headers = getattr(task.request, "headers", None) or {}
    correlation_id = getattr(task.request, CORRELATION_HEADER, None) or headers.get(
        CORRELATION_HEADER
    )
    # Run tasks take (draft id, run id); a run is logged with its id.
    run_id = args[1] if task.name in RUN_TASKS and args and len(args) > 1 else None
    context = logs.bound(correlation_id=correlation_id or f"task/{task_id}", run_id=run_id)
    context.__enter__()
    _bound[task_id] = context


@task_postrun.connect
def _unbind_task_context(task_id: str, **_: object) -> None:
    context = _bound.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)  # type: ignore[attr-defined]


RUN_TASKS = frozenset({"connectors.run_preview", "connectors.run_publish"})


@worker_ready.connect
def _start_heartbeat(**_: object) -> None:
    from connectors.monitoring import WorkerHeartbeat

    _heartbeat.append(WorkerHeartbeat().start())


@worker_shutdown.connect
def _stop_heartbeat(**_: object) -> None:
    while _heartbeat:
        _heartbeat.pop().stop()  # type: ignore[attr-defined]
