"""Log lines that say which request or run they belong to, as text or as JSON.

A request's correlation id (``X-Correlation-ID``) is bound for the time the request runs
(``connectors.middleware.CorrelationIdMiddleware``), travels with the tasks the request
sends (a Celery message header, ``config.celery``) and is bound again while the worker
runs them, with the run's id. Every record logged meanwhile carries both, in the same
thread or in a thread started from a copy of its context (the pipeline's check threads).

``LOG_FORMAT=json`` writes one JSON object per line: ``time``, ``level``, ``logger``,
``message``, ``correlation_id``, ``run_id`` when there is one, the ``extra`` fields a call
passed, and ``exception`` with the traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_context: ContextVar[dict[str, str]] = ContextVar("workbench_log_context", default={})  # noqa: B039 - never mutated

# What every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "correlation_id",
    "run_id",
    "taskName",
}


def current(key: str) -> str | None:
    return _context.get().get(key)


@contextlib.contextmanager
def bound(**values: str | None) -> Iterator[None]:
    """Adds ``values`` (None ones left out) to the log context until the block ends."""
    token = _context.set({**_context.get(), **{k: v for k, v in values.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Puts the bound correlation and run ids on every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = _context.get()
        record.correlation_id = values.get("correlation_id", "-")
        record.run_id = values.get("run_id", "")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", "-"),
        }
        if getattr(record, "run_id", ""):
            line["run_id"] = record.run_id  # type: ignore[attr-defined]
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` setting: one console handler, text or JSON, with the context filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {
            "text": {
                "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
            },
            "json": {"()": JsonFormatter},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.request": {"level": "ERROR"}},
    }
