"""The support overview: what support staff look at first, each line linking to the admin.

Runs that look stuck (queued past the time the sweep sends them again, or running with a
heartbeat older than the sweep's limit, or for longer than ``LONG_RUN``), the latest
failed runs, and the drafts that have waited longest for certification. Read only: every
action (re-run, fail a run, release a claim) is in the admin, through the services.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..models import ConnectorStaged, PipelineRun
from ..state import IN_CERTIFICATION_QUEUE
from .base import HtmxHttpRequest
from .landing import is_support

LONG_RUN = timedelta(minutes=30)
ROWS = 20


def stuck_runs(now: Any) -> list[PipelineRun]:
    queued_since = now - timedelta(seconds=settings.CONNECTORS_RESEND_RUN_SECONDS)
    silent_since = now - timedelta(seconds=settings.CONNECTORS_STALE_RUN_SECONDS)
    stuck = Q(state=PipelineRun.State.QUEUED, created_at__lt=queued_since) | Q(
        Q(heartbeat_at__lt=silent_since) | Q(started_at__lt=now - LONG_RUN),
        state=PipelineRun.State.RUNNING,
    )
    runs = PipelineRun.objects.filter(stuck).select_related("draft", "draft__project")
    return list(runs.order_by("created_at")[:ROWS])


def failed_runs() -> list[PipelineRun]:
    failed = (PipelineRun.State.FAILED, PipelineRun.State.INTERRUPTED)
    runs = PipelineRun.objects.filter(state__in=failed).select_related("draft", "draft__project")
    return list(runs.order_by("-finished_at", "-created_at")[:ROWS])


def waiting_for_certification() -> list[ConnectorStaged]:
    drafts = ConnectorStaged.objects.filter(status__in=IN_CERTIFICATION_QUEUE).select_related(
        "project", "claimed_by"
    )
    return list(drafts.order_by("status_changed_at", "id")[:ROWS])


@login_required
@require_GET
def support_overview(request: HtmxHttpRequest) -> HttpResponse:
    if not is_support(request.user):
        raise PermissionDenied("The support overview is for support staff.")
    now = timezone.now()
    context = {
        "now": now,
        "stuck_runs": stuck_runs(now),
        "failed_runs": failed_runs(),
        "waiting": waiting_for_certification(),
    }
    return render(request, "connectors/support.html", context)
