"""Notification tables: email preferences, the fan-out marks, webhook endpoints and deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from connectors.models import Project


class NotificationPreference(models.Model):
    """Which emails a person wants; without a row, all of them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    emails = models.BooleanField(default=True, help_text="Off: no email at all.")
    runs = models.BooleanField(default=True, help_text="Finished previews and publishes.")
    comments = models.BooleanField(default=True, help_text="Certification comments by others.")
    decisions = models.BooleanField(default=True, help_text="Certification decisions.")
    submissions = models.BooleanField(
        default=True, help_text="Certifiers: drafts submitted for certification."
    )
    updated_at = models.DateTimeField(auto_now=True)

    TOPICS = ("runs", "comments", "decisions", "submissions")

    def __str__(self) -> str:
        return f"notification preferences of {self.user}"

    def wants(self, topic: str) -> bool:
        return self.emails and bool(getattr(self, topic))


class OutboundEvent(models.Model):
    """A draft event as it was fanned out: the mark that it was, and the webhook body.

    Keyed by the ``DraftEvent``'s id without a foreign key: the delivery log outlives a
    deleted draft. ``event_id`` is the webhook's ``id`` and ``webhook-id``, the same on
    every endpoint and every redelivery.
    """

    draft_event_id = models.BigIntegerField(primary_key=True)
    event_id = models.CharField(max_length=40, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    draft_id = models.UUIDField()
    type = models.CharField(max_length=64)
    body = models.TextField(help_text="The JSON body every endpoint gets, byte for byte.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft_event_id"]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.type})"


class OutboxCursor(models.Model):
    """The sweep's place in the history: every event up to ``last_event_id`` is settled."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"outbox swept up to event {self.last_event_id}"


class WebhookEndpoint(models.Model):
    """A URL of a project's that receives the project's draft events, signed with ``secret``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=2048)
    description = models.CharField(max_length=256, blank=True, default="")
    enabled = models.BooleanField(default=True)
    # Standard Webhooks' ``whsec_<base64>``; needed in clear to sign, never shown again.
    secret = models.CharField(max_length=128)
    created_by = models.CharField(max_length=320, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_modified_at = models.DateTimeField(auto_now=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "created_at"], name="webhook_project_created")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until a 2xx answer or the last attempt."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        DELIVERED = "delivered"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # Attempts since the delivery was last queued (a redelivery starts again from 0).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=1024, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_unique"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "delivered", "failed"]),
                name="webhook_delivery_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: its answer's status code or the error, and how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=1024, blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["delivery", "id"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        outcome = self.status_code if self.status_code is not None else self.error
        return f"attempt {self.number}: {outcome}"
