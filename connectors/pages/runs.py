"""One run of a draft: its per-check durations and the step logs of its build checks.

Creators of the draft's project and certifiers of a draft in the queue may see them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import ConnectorStaged, PipelineRun
from ..roles import is_certifier
from ..state import IN_CERTIFICATION_QUEUE
from .base import HtmxHttpRequest, load_draft


def load_run(request: HtmxHttpRequest, draft_id: Any, run_id: Any) -> tuple[ConnectorStaged, Any]:
    """The draft and one of its runs; a 404 for anyone who may not see the draft."""
    try:
        draft = load_draft(request, draft_id)
    except Http404:
        found = ConnectorStaged.objects.filter(
            id=draft_id, status__in=IN_CERTIFICATION_QUEUE
        ).first()
        if found is None or not is_certifier(request.user):
            raise
        draft = found
    run = PipelineRun.objects.filter(id=run_id, draft=draft).first()
    if run is None:
        raise Http404("No such run of this draft.")
    return draft, run


@login_required
@require_GET
def draft_run(request: HtmxHttpRequest, draft_id: Any, run_id: Any) -> HttpResponse:
    """Per-check durations and the step logs (install, build, test) of one run."""
    draft, run = load_run(request, draft_id, run_id)
    logs = run.step_logs.defer("text")
    timings = sorted((run.timings or {}).items(), key=lambda item: -float(item[1]))
    context = {"draft": draft, "run": run, "logs": logs, "timings": timings}
    return render(request, "connectors/draft_run.html", context)


@login_required
@require_GET
def draft_step_log(
    request: HtmxHttpRequest, draft_id: Any, run_id: Any, log_id: int
) -> HttpResponse:
    """One step's whole log, as plain text (kept without colour codes, secrets masked)."""
    _draft, run = load_run(request, draft_id, run_id)
    log = run.step_logs.filter(id=log_id).first()
    if log is None:
        raise Http404("No such log in this run.")
    ending = "succeeded" if log.succeeded else f"failed (exit code {log.exit_code})"
    header = (
        f"{log.application}: {log.step} — {log.command}\n{ending} after {log.duration:.1f} s\n\n"
    )
    response = HttpResponse(header + log.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = "inline"
    return response
