"""Preview and publish pipelines (plain Python; the Celery tasks only call these)."""

from __future__ import annotations


def run_with_retries(task, function, draft_id: str, run_id: str) -> None:
    function(draft_id, run_id)


def run_preview(draft_id: str, run_id: str) -> None:
    raise NotImplementedError


def run_publish(draft_id: str, run_id: str) -> None:
    raise NotImplementedError


def sweep_interrupted_runs() -> int:
    return 0
