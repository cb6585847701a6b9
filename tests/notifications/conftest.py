"""The webhook receiver's fixtures (``receivers``), a worker factory and in-place tasks."""

from __future__ import annotations

import pytest

from tests.connectors.pipelines.conftest import worker_factory  # noqa: F401 - a fixture
from tests.notifications.receivers import local_targets, receiver  # noqa: F401 - fixtures


@pytest.fixture
def eager():
    """Tasks sent by name run in place (the fan-out, its deliveries and its emails)."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
