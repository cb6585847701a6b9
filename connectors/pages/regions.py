"""The draft page's regions: what each shows, and rendering one alone or out of band.

A region is a named partial of ``connectors/draft_detail.html`` (or a template of its own).
A write answers with the region it concerns plus out-of-band swaps of the regions that
follow the draft's state; ``page_context`` is the one description of what they show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from ..drafts import production_connector
from ..models import ConnectorStaged, DraftEvent, ReportEntry
from ..run_summary import run_summary
from ..state import Report
from .base import DRAFT_PAGE, HISTORY_LIMIT, LONG_POLL_SECONDS, HtmxHttpRequest
from .controls import draft_controls, is_running
from .fields import EDITABLE_FIELDS, FieldSpec, current_values, editor_summary
from .marks import format_mark, live_snapshot


@dataclass
class FieldView:
    """One editable field as the page shows it: its value, or its form."""

    spec: FieldSpec
    current: dict[str, Any]
    version: int
    editing: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict: list[DraftEvent] | None = None
    # Why the form shows ``conflict``: a refused save (409) or a form opened late.
    conflict_intro: str = (
        "This draft changed since the page was loaded. Your value was not saved yet; "
        "it is kept below: save again to apply it."
    )
    focus: bool = False

    @property
    def form(self) -> dict[str, Any]:
        return self.values or self.current

    @property
    def error_summary(self) -> list[dict[str, str]]:
        return editor_summary(self.spec, self.errors)


def field_view(spec: FieldSpec, draft: ConnectorStaged, version: int, **state: Any) -> FieldView:
    return FieldView(spec=spec, current=current_values(spec, draft), version=version, **state)


def report_context(draft: ConnectorStaged) -> dict[str, Any]:
    """The two reports as the checks-style report shows them, and the poller's marks.

    Each report: its newest run check by check (``run_summary``), the previous run's
    entries while the new run has written none, and the entries themselves for a report
    no run wrote (older data). The marks come from the same query the poll compares.
    """
    entries = list(ReportEntry.objects.filter(draft=draft).order_by("id"))
    snapshot = live_snapshot(draft.id)
    context: dict[str, Any] = {
        "poll": {
            "preview": format_mark(snapshot.preview if snapshot else None),
            "publishing": format_mark(snapshot.publishing if snapshot else None),
        }
    }
    for report in (Report.PREVIEW, Report.PUBLISHING):
        run = run_summary(draft, report)
        mine = [e for e in entries if e.report == report]
        context[f"{report}_run"] = run
        context[f"{report}_entries"] = mine
        context[f"{report}_superseded"] = (
            [e for e in mine if e.run_id != run.run_id] if run and not run.over else []
        )
        if run and any(e.run_id == run.run_id for e in mine):
            context[f"{report}_superseded"] = []
    return context


REPORT_TITLES: dict[str, str] = {
    Report.PREVIEW: "Preview report",
    Report.PUBLISHING: "Publishing report",
}


def report_region(context: dict[str, Any], report: str) -> dict[str, Any]:
    """What ``connectors/_report.html`` takes for one report, from a page's context."""
    controls = context.get("controls")
    return {
        "report": report,
        "title": REPORT_TITLES[report],
        "run": context[f"{report}_run"],
        "entries": context[f"{report}_entries"],
        "superseded": context[f"{report}_superseded"],
        "can_cancel": context.get("can_cancel", False),
        "page_version": context.get("page_version"),
        "draft": context["draft"],
        "rerun": controls.preview if controls and report == Report.PREVIEW else None,
    }


def page_context(
    draft: ConnectorStaged,
    *,
    page_version: int | None = None,
    field_states: dict[str, dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the draft page's regions show."""
    version = draft.version if page_version is None else page_version
    connector = production_connector(draft)
    states = field_states or {}
    context = {
        **report_context(draft),
        "draft": draft,
        "connector": connector,
        "page_version": version,
        "controls": draft_controls(draft),
        "fields": [
            field_view(spec, draft, version, **states.get(spec.name, {}))
            for spec in EDITABLE_FIELDS
        ],
        "running": is_running(draft),
        # The creator may cancel a run: a live answer's report keeps its Cancel button.
        "can_cancel": True,
        "long_poll_seconds": LONG_POLL_SECONDS,
        "comments": list(draft.certification_comments.all()),
        "events": list(draft.events.order_by("-id")[:HISTORY_LIMIT]),
        "comment_url": reverse("draft-comments", args=[draft.id]),
    }
    context.update(extra)
    return context


def render_region(
    request: HtmxHttpRequest, name: str, context: dict[str, Any], **extra: Any
) -> str:
    """One region of the draft page (a partial), for a response or an out-of-band swap."""
    template = name if name.endswith(".html") else f"{DRAFT_PAGE}#{name}"
    return render_to_string(template, {**context, **extra}, request)


STATE_REGIONS = (
    "summary",
    "actions",
    "private_projects",
    "connectors/_diff.html",
    "connectors/_applications.html",
    "connectors/_history.html",
    "poller",
)


def out_of_band(
    request: HtmxHttpRequest,
    context: dict[str, Any],
    *,
    regions: tuple[str, ...] = STATE_REGIONS,
    skip: tuple[str, ...] = (),
    old_version: int | None = None,
) -> str:
    """The regions that follow the draft's state, as out-of-band swaps, and the version move."""
    parts = [
        render_region(request, name, context, oob=True) for name in regions if name not in skip
    ]
    new_version = context["page_version"]
    if old_version is not None and old_version != new_version:
        parts.append(
            render_to_string(
                "connectors/_version_sync.html", {"old": old_version, "new": new_version}
            )
        )
    return "".join(parts)
