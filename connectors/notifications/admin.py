"""Notifications in the support admin: preferences and endpoints editable, the log read-only.

An endpoint's secret never appears here (it was shown once to whoever registered it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    NotificationPreference,
    OutboundEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "emails", *NotificationPreference.TOPICS, "updated_at"]
    search_fields = ["user__username", "user__email"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "project", "enabled", "description", "created_by", "created_at"]
    list_filter = ["enabled", "project"]
    search_fields = ["url", "description", "project__key"]
    fields = ["project", "url", "description", "enabled", "created_by", "secret_rotated_at"]
    readonly_fields = ["project", "created_by", "secret_rotated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Registered through the API or the project's webhooks page, where the secret shows.
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = readonly_fields = (
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "error",
        "response_excerpt",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "state", "attempts", "last_status_code", "created_at"]
    list_filter = ["state"]
    search_fields = ["event__event_id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    inlines = [WebhookAttemptInline]


@admin.register(OutboundEvent)
class OutboundEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "project", "draft_id", "created_at"]
    list_filter = ["type"]
    search_fields = ["event_id", "draft_id"]
