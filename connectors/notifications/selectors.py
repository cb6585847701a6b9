"""Reads of notifications, scoped to a project: another project's endpoint is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Model, Prefetch, QuerySet

from connectors.errors import ResourceNotFound
from connectors.models import Project

from .models import NotificationPreference, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _one[M: Model](rows: QuerySet[M], id: Any, kind: str) -> M:
    try:
        found = rows.filter(id=uuid.UUID(str(id))).first()
    except ValueError:
        found = None
    if found is None:
        raise ResourceNotFound(f"The {kind} with ID '{id}' was not found.")
    return found


def endpoints_of(project: Project) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(project=project)


def get_endpoint(*, project: Project, id: Any) -> WebhookEndpoint:
    """The project's endpoint ``id``. Raises ResourceNotFound."""
    return _one(endpoints_of(project), id, "webhook endpoint")


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first, with their events and attempts."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


def get_delivery(*, endpoint: WebhookEndpoint, id: Any) -> WebhookDelivery:
    """The endpoint's delivery ``id``. Raises ResourceNotFound."""
    return _one(deliveries_of(endpoint), id, "webhook delivery")


def preferences_of(user: Any) -> NotificationPreference:
    """The person's preferences (all on when never saved; not stored by reading)."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def member_project(*, user: Any, key: str) -> Project:
    """A project the signed-in person is a member of. Raises ResourceNotFound."""
    found = Project.objects.filter(members=user, key=key).first()
    if found is None:
        raise ResourceNotFound(f"The project with key '{key}' was not found.")
    return found
