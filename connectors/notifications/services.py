"""Writes of notifications: webhook endpoints, redeliveries and email preferences.

The API and the dashboard pages both call these, so a rule (the target check, the limit
of endpoints, when a redelivery is allowed) exists once. A new or rotated secret is
returned once, on the endpoint object, and never again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.errors import ConnectError, InvalidInput, InvalidOperation
from connectors.models import Project

from . import deliveries
from .models import NotificationPreference, WebhookDelivery, WebhookEndpoint
from .webhooks import TargetRefused, check_target, new_secret

# Each event is sent to every enabled endpoint of its project: a bound on the fan-out.
MAX_ENDPOINTS_PER_PROJECT = 20


class DeliveryInProgress(ConnectError):
    code = "ConcurrentModification"
    status = 409
    default_message = "This delivery is still being attempted: wait for its outcome."


def _checked(url: str) -> str:
    try:
        check_target(url)
    except TargetRefused as refused:
        raise InvalidInput(
            f"The webhook URL cannot be used: {refused}", at=("url",), problem=str(refused)
        ) from None
    return url


def create_endpoint(
    *, project: Project, url: str, description: str = "", enabled: bool = True, actor: str
) -> WebhookEndpoint:
    """Register an endpoint with a new secret (on the returned object: shown once).

    Resolves the URL's host (the target check); locks the project row to count its
    endpoints. Raises InvalidInput (a refused URL), InvalidOperation (too many endpoints).
    """
    _checked(url)
    with transaction.atomic():
        Project.objects.select_for_update().filter(id=project.id).first()
        if WebhookEndpoint.objects.filter(project=project).count() >= MAX_ENDPOINTS_PER_PROJECT:
            raise InvalidOperation(
                f"A project can have at most {MAX_ENDPOINTS_PER_PROJECT} webhook endpoints: "
                "delete one first."
            )
        return WebhookEndpoint.objects.create(
            project=project,
            url=url,
            description=description,
            enabled=enabled,
            secret=new_secret(),
            created_by=actor,
        )


def update_endpoint(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given. A new URL is checked like a new endpoint's. Raises InvalidInput."""
    changes: dict[str, Any] = {}
    if url is not None and url != endpoint.url:
        changes["url"] = _checked(url)
    if description is not None:
        changes["description"] = description
    if enabled is not None:
        changes["enabled"] = enabled
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes:
        endpoint.save(update_fields=[*changes, "last_modified_at"])
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log; a delivery under way finds it gone and stops."""
    endpoint.delete()


def rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret (on the returned object: shown once); the old one signs nothing more."""
    endpoint.secret = new_secret()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "last_modified_at"])
    return endpoint


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a delivered or failed delivery again: same event id and body, new attempts.

    A conditional UPDATE (``state`` delivered or failed → pending); the task is sent after
    commit. Raises InvalidOperation (disabled endpoint), DeliveryInProgress.
    """
    if not delivery.endpoint.enabled:
        raise InvalidOperation("The endpoint is disabled: enable it before redelivering.")
    State = WebhookDelivery.State
    with transaction.atomic():
        queued = WebhookDelivery.objects.filter(
            id=delivery.id, state__in=[State.DELIVERED, State.FAILED]
        ).update(state=State.PENDING, attempts=0, next_attempt_at=timezone.now())
        if not queued:
            raise DeliveryInProgress()
        deliveries.queue([str(delivery.id)])
    delivery.refresh_from_db()
    return delivery


def save_preferences(*, user: Any, **topics: bool) -> NotificationPreference:
    """Store the person's email preferences (``emails`` and the topics given)."""
    known = {"emails", *NotificationPreference.TOPICS}
    values = {name: bool(value) for name, value in topics.items() if name in known}
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults=values)
    return preference
