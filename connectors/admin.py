"""The support admin: projects, API clients, drafts, Connectors and reports."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin

from .models import ApiClient, Connector, ConnectorStaged, DraftEvent, Project, ReportEntry


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["key", "region", "name", "created_at"]
    list_filter = ["region"]
    search_fields = ["key", "name"]
    filter_horizontal = ["members"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "scopes", "created_at", "revoked_at"]
    list_filter = ["project", "revoked_at"]
    search_fields = ["name", "project__key", "application__client_id"]
    readonly_fields = ["application", "created_at", "revoked_at"]
    list_select_related = ["project"]


class ReportEntryInline(admin.TabularInline):
    model = ReportEntry
    extra = 0
    can_delete = False
    readonly_fields = fields = (
        "report",
        "type",
        "title",
        "message",
        "application",
        "file",
        "line",
        "created_at",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CommentInline(admin.TabularInline):
    model = apps.get_model("certification", "CertificationComment")
    extra = 0
    fields = ["user_id", "comment", "datetime"]
    readonly_fields = ["datetime"]


class EventInline(admin.TabularInline):
    model = DraftEvent
    extra = 0
    can_delete = False
    readonly_fields = fields = ("created_at", "kind", "actor", "summary", "version")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConnectorStaged)
class ConnectorStagedAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "project", "status", "is_previewable", "private", "version"]
    list_filter = ["status", "private", "is_previewable", "project"]
    search_fields = ["key", "name", "creator_email", "=id"]
    list_select_related = ["project"]
    readonly_fields = ["id", "version", "created_at", "last_modified_at", "repository_commit"]
    inlines = [ReportEntryInline, CommentInline, EventInline]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "project", "certified", "listed", "private", "version"]
    list_filter = ["certified", "listed", "private"]
    search_fields = ["key", "name", "creator_email", "creator_company"]
    list_select_related = ["project"]


@admin.register(ReportEntry)
class ReportEntryAdmin(admin.ModelAdmin):
    list_display = ["draft", "report", "type", "title", "application", "file", "line", "created_at"]
    list_filter = ["report", "type"]
    search_fields = ["title", "message", "draft__key"]
    list_select_related = ["draft"]
