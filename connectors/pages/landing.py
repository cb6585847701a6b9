"""Where each person lands: their start page, and the page they may see for a draft.

Creators (members of a project) start on the drafts list; certifiers without a project on
the certification queue; support staff without a project on the support overview. A link
to a draft page that is not the person's own takes them to the page they may see for it:
a certifier to its review while it is in the queue, support staff to its admin page;
everyone else gets the site's "not found" page, which says no more than that.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..models import ConnectorStaged
from ..roles import is_certifier
from ..state import IN_CERTIFICATION_QUEUE


def is_support(user: Any) -> bool:
    """Support staff use the Django admin (``is_staff``)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def start_page(user: Any, *, has_projects: bool) -> str | None:
    """The URL a person without the drafts list lands on, or None: the drafts list."""
    if has_projects:
        return None
    if is_certifier(user):
        return reverse("certification-queue")
    if is_support(user):
        return reverse("support-overview")
    return None


def draft_elsewhere(request: Any, draft_id: Any) -> HttpResponse:
    """The answer to a draft page the person may not see as its creator."""
    user = request.user
    draft = ConnectorStaged.objects.filter(id=draft_id).only("id", "status").first()
    if draft is not None:
        if is_certifier(user) and draft.status in IN_CERTIFICATION_QUEUE:
            return redirect("certification-review", draft_id=draft.id)
        if is_support(user) and user.has_perm("connectors.view_connectorstaged"):
            return redirect("admin:connectors_connectorstaged_change", draft.id)
    return not_found_page(request)


def not_found_page(request: Any) -> HttpResponse:
    """The site's 404 page (also with DEBUG on, which would show Django's URL list)."""
    return render(request, "404.html", status=404)
