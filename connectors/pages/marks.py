"""What a page holds of a draft's live parts, and the same figures read from the database.

A page's poller sends its marks (the draft version it last saw, and per report the count
and last id of the entries it shows); a poll answers once the database's differ. Both
sides are computed here, from the same query, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.http import QueryDict

from ..models import ConnectorStaged
from ..state import Report
from ..values import ascii_integer
from .base import as_version


def format_mark(mark: tuple[int, int] | None) -> str:
    """A report's mark as the page holds it: ``<count>-<last entry id>``."""
    count, last = mark or (0, 0)
    return f"{count}-{last}"


def read_mark(raw: str | None) -> tuple[int, int] | None:
    count, _, last = (raw or "").partition("-")
    marks = ascii_integer(count), ascii_integer(last, maximum=2**63 - 1)
    return None if marks[0] is None or marks[1] is None else (marks[0], marks[1])


@dataclass(frozen=True)
class LiveState:
    """What a draft page holds of the draft's live parts, as its poll reports it."""

    seen: int | None  # the draft version the page last rendered
    preview: tuple[int, int] | None  # (entry count, last entry id) of each report
    publishing: tuple[int, int] | None

    @classmethod
    def from_query(cls, params: QueryDict) -> LiveState:
        return cls(
            seen=as_version(params.get("seen")),
            preview=read_mark(params.get("preview")),
            publishing=read_mark(params.get("publishing")),
        )


def live_snapshot(draft_id: Any) -> LiveState | None:
    """The same figures, read from the database in one query (None: the draft is gone)."""

    def mark(report: str) -> tuple[Count, Max]:
        entries = Q(report_entries__report=report)
        return Count("report_entries", filter=entries), Max("report_entries__id", filter=entries)

    preview_count, preview_last = mark(Report.PREVIEW)
    publishing_count, publishing_last = mark(Report.PUBLISHING)
    row = (
        ConnectorStaged.objects.filter(id=draft_id)
        .annotate(
            preview_count=preview_count,
            preview_last=preview_last,
            publishing_count=publishing_count,
            publishing_last=publishing_last,
        )
        .values_list(
            "version", "preview_count", "preview_last", "publishing_count", "publishing_last"
        )
        .first()
    )
    if row is None:
        return None
    version, p_count, p_last, b_count, b_last = row
    return LiveState(version, (p_count, p_last or 0), (b_count, b_last or 0))
