"""The drafts list: the user's projects' drafts, filtered, sorted and paged."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from ..labels import STATUS_LABELS
from ..selectors import Page, query_drafts
from ..state import Status
from ..values import INTEGRATION_TYPES, ascii_integer
from .base import HtmxHttpRequest, user_projects
from .landing import start_page
from .live import follow_list

PAGE_SIZE = 20
MAX_PAGE = 100_000  # the offset of the last page stays a small integer

SORTS: dict[str, tuple[str, str, bool]] = {
    # form value: (label, API sort field, descending)
    "-createdAt": ("Newest first", "createdAt", True),
    "createdAt": ("Oldest first", "createdAt", False),
    "-lastModifiedAt": ("Recently changed", "lastModifiedAt", True),
    "name": ("Name A–Z", "name", False),
    "-name": ("Name Z–A", "name", True),
    "key": ("Key A–Z", "key", False),
}
DEFAULT_SORT = "-createdAt"


@dataclass(frozen=True)
class ListFilters:
    text: str
    statuses: list[str]
    private: str  # "", "yes", "no"
    types: list[str]
    sort: str
    page: int

    @classmethod
    def from_query(cls, params: QueryDict) -> ListFilters:
        """Lenient: an unknown value in a bookmarked URL is ignored, not an error page."""
        page = params.get("page", "1")
        sort = params.get("sort", DEFAULT_SORT)
        return cls(
            text=params.get("q", "").strip()[:200],
            statuses=[s for s in params.getlist("status") if s in Status.values],
            private=params.get("private", "") if params.get("private") in ("yes", "no") else "",
            types=[t for t in params.getlist("type") if t in INTEGRATION_TYPES],
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=max(ascii_integer(page, maximum=MAX_PAGE) or 1, 1),
        )

    def query(self, page: int) -> str:
        params = QueryDict(mutable=True)
        if self.text:
            params["q"] = self.text
        params.setlist("status", self.statuses)
        if self.private:
            params["private"] = self.private
        params.setlist("type", self.types)
        if self.sort != DEFAULT_SORT:
            params["sort"] = self.sort
        if page > 1:
            params["page"] = str(page)
        return params.urlencode()


@login_required
@require_GET
def draft_list(request: HtmxHttpRequest) -> HttpResponse:
    """The drafts of the user's projects; the table follows changes live (``follow_list``).

    Certifiers and support staff who are in no project land on their own start page.
    """
    projects = user_projects(request.user)
    has_projects = projects.exists()
    elsewhere = start_page(request.user, has_projects=has_projects)
    if elsewhere is not None:
        return redirect(elsewhere)
    filters = ListFilters.from_query(request.GET)
    several_projects = projects.count() > 1

    def build() -> dict[str, Any]:
        _label, sort_field, descending = SORTS[filters.sort]
        total, drafts = query_drafts(
            projects=projects,
            page=Page(
                limit=PAGE_SIZE,
                offset=(filters.page - 1) * PAGE_SIZE,
                sort=[(sort_field, descending)],
            ),
            is_private={"yes": True, "no": False}.get(filters.private),
            integration_types=filters.types,
            status=filters.statuses,
            text=filters.text or None,
        )
        prefetch_related_objects(drafts, "project")
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        return {
            "drafts": drafts,
            "total": total,
            "filters": filters,
            "has_projects": has_projects,
            "several_projects": several_projects,
            "page": filters.page,
            "pages": pages,
            "previous_query": filters.query(filters.page - 1) if filters.page > 1 else None,
            "next_query": filters.query(filters.page + 1) if filters.page < pages else None,
            "statuses": [(status, STATUS_LABELS[status]) for status in Status.values],
            "integration_types": INTEGRATION_TYPES,
            "sorts": [(value, label) for value, (label, _f, _d) in SORTS.items()],
        }

    return follow_list(request, build, "connectors/draft_list.html", table="draft-table")
