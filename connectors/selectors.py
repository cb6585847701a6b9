"""Permission-scoped reads: the only way views and services fetch drafts and Connectors.

Anything the caller may not see is ``ResourceNotFound``: a 404 never reveals that it exists.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from . import counts
from .aggregates import JSONList
from .compiled import CompiledQuery
from .errors import InvalidQueryParam, ResourceNotFound
from .models import (
    CertificationComment,
    Connector,
    ConnectorAccess,
    ConnectorStaged,
    PipelineRun,
    Project,
    ReportEntry,
)
from .state import Report
from .values import integration_mask

SORTABLE_FIELDS = {
    "createdAt": "created_at",
    "lastModifiedAt": "last_modified_at",
    "name": "name",
    "key": "key",
    "version": "version",
    "id": "id",
}


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    sort: Sequence[tuple[str, bool]]  # (API field, descending)


ENTRY_COLUMNS = (
    "draft_id",
    "report",
    "type",
    "title",
    "message",
    "application",
    "file",
    "line",
    "created_at",
)
COMMENT_COLUMNS = ("draft_id", "user_id", "comment", "datetime")


def current_entries(draft: OuterRef | None = None) -> Q:
    """Report entries of the newest run of their report (all of them where it has no run).

    A requested run does not remove the previous run's entries: its first write does. Until
    then the report is the new run's, still empty, as the Connect API shows it. ``draft``
    is the draft's id as the entries' query sees it: by default the entry's own
    ``draft_id``; ``OuterRef(OuterRef("pk"))`` inside a subquery of the drafts' query, so
    the newest run is looked up once per draft instead of once per entry.
    """
    draft = draft if draft is not None else OuterRef("draft_id")
    visible = Q()
    for report in Report.values:
        runs = PipelineRun.objects.filter(draft_id=draft, report=report)
        newest = runs.order_by("-created_at").values("id")[:1]
        visible |= Q(report=report) & (Q(run_id=Subquery(newest)) | Q(~Exists(runs)))
    return visible


def attach_details(drafts: list[ConnectorStaged]) -> list[ConnectorStaged]:
    """Report entries and comments of all ``drafts`` in one query each, in written order.

    Rows come as plain dicts (``draft.entries``, ``draft.comments``): these are read on
    every API request, and building model instances for them is most of its cost.
    """

    by_id = {draft.id: draft for draft in drafts}
    for draft in drafts:
        draft.entries, draft.comments = [], []
    if not by_id:
        return drafts
    entries = ReportEntry.objects.filter(current_entries(), draft_id__in=by_id)
    for entry in entries.order_by("id").values(*ENTRY_COLUMNS):
        by_id[entry["draft_id"]].entries.append(entry)
    comments = CertificationComment.objects.filter(draft_id__in=by_id).order_by("id")
    for comment in comments.values(*COMMENT_COLUMNS):
        by_id[comment["draft_id"]].comments.append(comment)
    return drafts


def _rows_of(model, columns: Sequence[str], *conditions: Q) -> Subquery:
    """A draft's child rows as one JSON array column of the draft's own query."""
    return Subquery(
        model.objects.filter(*conditions, draft=OuterRef("pk"))
        .order_by()
        .values("draft")
        .annotate(rows=JSONList(JSONObject(id="id", **{c: c for c in columns})))
        .values("rows")
    )


def with_report(drafts: QuerySet[ConnectorStaged]) -> QuerySet[ConnectorStaged]:
    """Report entries and comments inside the drafts' own query: one query in all.

    Call ``unpack_report`` on each fetched draft. This is the API's hot path: one query
    instead of three is most of what a read costs.
    """
    return drafts.annotate(**_report_columns())


@cache
def _report_columns() -> dict[str, Subquery]:
    """Built once: the expressions are the same for every query."""

    return {
        "entries_json": _rows_of(
            ReportEntry, ENTRY_COLUMNS[1:], current_entries(OuterRef(OuterRef("pk")))
        ),
        "comments_json": _rows_of(CertificationComment, COMMENT_COLUMNS[1:]),
    }


def _when(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _loaded(value) -> list[dict]:
    rows = json.loads(value) if isinstance(value, str) else (value or [])
    return sorted(rows, key=lambda row: row["id"])


def unpack_report(draft: ConnectorStaged) -> ConnectorStaged:
    draft.entries = _loaded(getattr(draft, "entries_json", None))
    for entry in draft.entries:
        entry["created_at"] = _when(entry["created_at"])
    draft.comments = _loaded(getattr(draft, "comments_json", None))
    for comment in draft.comments:
        comment["datetime"] = _when(comment["datetime"])
    return draft


def with_details(drafts: QuerySet[ConnectorStaged]) -> QuerySet[ConnectorStaged]:
    """Entries (the newest runs', see ``current_entries``) and comments as model instances,
    for pages that iterate them."""

    return drafts.prefetch_related(
        Prefetch(
            "report_entries",
            queryset=ReportEntry.objects.filter(current_entries()).order_by("id"),
        ),
        Prefetch("certification_comments", queryset=CertificationComment.objects.order_by("id")),
    )


def drafts_of(projects: Project | QuerySet[Project]) -> QuerySet[ConnectorStaged]:
    if isinstance(projects, Project):
        return ConnectorStaged.objects.filter(project=projects)
    return ConnectorStaged.objects.filter(project__in=projects)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def draft_lookup(*, id: str | None = None, key: str | None = None) -> Q:
    if key is not None:
        return Q(key=key)
    parsed = _uuid(id or "")
    if parsed is None:
        raise ResourceNotFound(f"The ConnectorStaged with ID '{id}' was not found.")
    return Q(id=parsed)


def not_found(
    *, id: str | None = None, key: str | None = None, kind: str = "ConnectorStaged"
) -> ResourceNotFound:
    if key is not None:
        return ResourceNotFound(f"The {kind} with key '{key}' was not found.")
    return ResourceNotFound(f"The {kind} with ID '{id}' was not found.")


def _one_project_draft(*, project_id: int, **lookup: Any) -> QuerySet[ConnectorStaged]:
    return with_report(ConnectorStaged.objects.filter(project_id=project_id, **lookup))[:1]


# The API reads one draft with its report on every GET: compiled once, bound per request.
_DRAFT_BY_ID = CompiledQuery(
    lambda project_id, id: _one_project_draft(project_id=project_id, id=id),
    project_id=-424242,
    id=uuid.UUID("5ab3edcd-0000-4000-8000-000000c0ffee"),
)
_DRAFT_BY_KEY = CompiledQuery(
    lambda project_id, key: _one_project_draft(project_id=project_id, key=key),
    project_id=-424242,
    key="\u0000example-key",
)


def get_draft(
    *,
    projects: Project | QuerySet[Project],
    id: str | None = None,
    key: str | None = None,
    details: bool = True,
) -> ConnectorStaged:
    if details and isinstance(projects, Project):
        if key is not None:
            found = _DRAFT_BY_KEY.run(project_id=projects.pk, key=key)
        else:
            parsed = _uuid(id or "")
            found = _DRAFT_BY_ID.run(project_id=projects.pk, id=parsed) if parsed else []
        if not found:
            raise not_found(id=id, key=key)
        return unpack_report(found[0])
    drafts = drafts_of(projects)
    if details:
        drafts = with_report(drafts)
    draft = drafts.filter(draft_lookup(id=id, key=key)).first()
    if draft is None:
        raise not_found(id=id, key=key)
    return unpack_report(draft) if details else draft


def _ordering(sort: Sequence[tuple[str, bool]]) -> list[str]:
    ordering = [f"{'-' if desc else ''}{SORTABLE_FIELDS[field]}" for field, desc in sort]
    if not any(o.lstrip("-") == "id" for o in ordering):
        ordering.append("id")
    return ordering


def filter_integration_types(qs: QuerySet, types: Sequence[str]) -> QuerySet:
    """Rows with any of ``types`` (a bitwise AND on the mask column)."""
    if not types:
        return qs
    wanted = integration_mask(list(types))
    return qs.annotate(_types=F("integration_mask").bitand(wanted)).filter(_types__gt=0)


def query_drafts(
    *,
    projects: Project | QuerySet[Project],
    page: Page,
    is_private: bool | None = None,
    integration_types: Sequence[str] = (),
    status: Sequence[str] = (),
    text: str | None = None,
) -> tuple[int, list[ConnectorStaged]]:
    drafts = drafts_of(projects)
    if is_private is not None:
        drafts = drafts.filter(private=is_private)
    if status:
        drafts = drafts.filter(status__in=list(status))
    if text:
        drafts = drafts.filter(
            Q(name__icontains=text) | Q(description__icontains=text) | Q(key__icontains=text)
        )
    drafts = filter_integration_types(drafts, integration_types)
    total = counts.count(
        drafts,
        project_id=projects.pk if isinstance(projects, Project) else None,
        filters=(is_private, tuple(integration_types), tuple(status), text),
    )
    if page.limit == 0 or page.offset >= total:
        return total, []
    if isinstance(projects, Project) and not status and not text:
        # The API's own filters: a query compiled once per shape, reports included.
        compiled = _page_query(tuple(page.sort), is_private, bool(integration_types))
        found = compiled.run(
            project_id=projects.pk,
            mask=integration_mask(list(integration_types)) if integration_types else 0,
            limit=page.limit,
            offset=page.offset,
        )
        return total, [unpack_report(row) for row in found]
    rows = drafts.order_by(*_ordering(page.sort))[page.offset : page.offset + page.limit]
    return total, attach_details(list(rows))


@cache
def _page_query(
    sort: tuple[tuple[str, bool], ...], is_private: bool | None, by_types: bool
) -> CompiledQuery[ConnectorStaged]:
    """One page of a project's drafts with their reports, for one shape of API query.

    The page's ids are chosen first (index order, offset, limit), so the reports are read
    for that page's drafts only.
    """
    ordering = _ordering(sort)

    def build(project_id: int, limit: int, offset: int, mask: int = 0) -> QuerySet[ConnectorStaged]:
        drafts = ConnectorStaged.objects.filter(project_id=project_id)
        if is_private is not None:
            drafts = drafts.filter(private=is_private)
        if by_types:
            drafts = drafts.annotate(_types=F("integration_mask").bitand(mask)).filter(_types__gt=0)
        ids = drafts.order_by(*ordering).values("id")[offset : offset + limit]
        return with_report(ConnectorStaged.objects.filter(id__in=Subquery(ids))).order_by(*ordering)

    examples = {"project_id": -424242, "limit": 987_653, "offset": 987_655}
    if by_types:
        examples["mask"] = 987_651_234
    return CompiledQuery(build, paged=("limit", "offset"), **examples)


def visible_connectors(project: Project) -> QuerySet[Connector]:
    """Public (certified and listed) Connectors, and the private ones this project may use."""
    granted = ConnectorAccess.objects.filter(
        connector=OuterRef("pk"), project_identifier=project.identifier
    )
    return Connector.objects.filter(
        Q(certified=True, listed=True, private=False) | Q(project=project) | Exists(granted)
    )


def get_connector(*, project: Project, id: str | None = None, key: str | None = None) -> Connector:
    if key is None and _uuid(id or "") is None:
        raise not_found(id=id, kind="Connector")
    lookup = Q(key=key) if key is not None else Q(staged_id=_uuid(id or ""))
    connector = visible_connectors(project).filter(lookup).first()
    if connector is None:
        raise not_found(id=id, key=key, kind="Connector")
    return connector


def search_connectors(
    *,
    project: Project,
    page: Page,
    text: str | None = None,
    private: bool | None = None,
    company: str | None = None,
    ids: Sequence[str] = (),
    keys: Sequence[str] = (),
    integration_types: Sequence[str] = (),
) -> tuple[int, list[Connector]]:
    connectors = visible_connectors(project)
    if text:
        connectors = connectors.filter(Q(name__icontains=text) | Q(description__icontains=text))
    if private is True:
        granted = ConnectorAccess.objects.filter(
            connector=OuterRef("pk"), project_identifier=project.identifier
        )
        connectors = connectors.filter(Q(private=True) & (Q(project=project) | Exists(granted)))
    elif private is False:
        connectors = connectors.filter(private=False)
    if company:
        connectors = connectors.filter(creator_company=company)
    if ids:
        parsed = [_uuid(value) for value in ids]
        if any(p is None for p in parsed):
            raise InvalidQueryParam(
                "'id' must be a UUID.", detailed=f"id: {ids!r} contains a value that is not a UUID."
            )
        connectors = connectors.filter(staged_id__in=parsed)
    if keys:
        connectors = connectors.filter(key__in=list(keys))
    connectors = filter_integration_types(connectors, integration_types)
    total = connectors.count()
    if page.limit == 0 or page.offset >= total:
        return total, []
    ordering = [
        o.replace("id", "staged_id") if o.lstrip("-") == "id" else o for o in _ordering(page.sort)
    ]
    return total, list(connectors.order_by(*ordering)[page.offset : page.offset + page.limit])
