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
from ..state import Report
from ..values import ascii_integer
from .base import DRAFT_PAGE, HISTORY_LIMIT, LONG_POLL_SECONDS, HtmxHttpRequest
from .controls import draft_controls, is_running
from .fields import EDITABLE_FIELDS, FieldSpec, current_values


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


def field_view(spec: FieldSpec, draft: ConnectorStaged, version: int, **state: Any) -> FieldView:
    return FieldView(spec=spec, current=current_values(spec, draft), version=version, **state)


def report_mark(entries: list[ReportEntry]) -> str:
    """What the page holds of a report: ``<count>-<last entry id>``."""
    return f"{len(entries)}-{entries[-1].id if entries else 0}"


def read_mark(raw: str | None) -> tuple[int, int] | None:
    count, _, last = (raw or "").partition("-")
    marks = ascii_integer(count), ascii_integer(last, maximum=2**63 - 1)
    return None if marks[0] is None or marks[1] is None else (marks[0], marks[1])


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
    entries = list(draft.report_entries.all())
    preview = [e for e in entries if e.report == Report.PREVIEW]
    publishing = [e for e in entries if e.report == Report.PUBLISHING]
    states = field_states or {}
    context = {
        "draft": draft,
        "connector": connector,
        "page_version": version,
        "controls": draft_controls(draft),
        "fields": [
            field_view(spec, draft, version, **states.get(spec.name, {}))
            for spec in EDITABLE_FIELDS
        ],
        "preview_entries": preview,
        "publishing_entries": publishing,
        "poll": {"preview": report_mark(preview), "publishing": report_mark(publishing)},
        "running": is_running(draft),
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
