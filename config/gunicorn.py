"""gunicorn settings: ``gunicorn -c python:config.gunicorn config.asgi:application``.

``WEB_CONCURRENCY`` processes (gunicorn reads it itself; 2 by default here), each an asyncio
event loop (uvicorn's worker) that runs Django's synchronous views in threads, so that a
long poll waiting for a run's events costs a thread, not a process. ``HOST`` and ``PORT``
choose the address. Each process holds its own database pool (``DATABASE_POOL_MAX_SIZE``).

Request metrics are counted per process in ``PROMETHEUS_MULTIPROC_DIR`` (a folder of this
server's own, emptied when it starts) so that ``/metrics``, whichever process answers it,
adds up all of them.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

from uvicorn_worker import UvicornWorker

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
worker_class = "config.gunicorn.Worker"
# A worker that stops answering its heartbeat this long is replaced; requests themselves
# are bounded by the application (the long poll answers within 25 s).
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = None  # a proxy in front logs requests; /metrics counts them by route

_metrics_dir = Path(
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        str(Path(tempfile.gettempdir()) / f"workbench-metrics-{os.getpid()}"),
    )
)


def _logging() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.settings import LOGGING

    config = copy.deepcopy(LOGGING)
    for name in ("gunicorn.error", "gunicorn.access"):
        config["loggers"][name] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    return config


logconfig_dict = _logging()


class Worker(UvicornWorker):
    # Django's ASGI handler has no lifespan events.
    CONFIG_KWARGS = {"loop": "auto", "http": "auto", "lifespan": "off"}


def on_starting(server) -> None:
    """Counts of an earlier server would be added to this one's: start from an empty folder."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
