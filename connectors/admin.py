"""The support admin: projects, API clients, drafts, Connectors and reports."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from .drafts import Actor
from .models import (
    ApiClient,
    CertificationComment,
    Connector,
    ConnectorStaged,
    DraftEvent,
    PipelineRun,
    Project,
    ReportEntry,
)
from .selectors import ENTRY_COLUMNS
from .services import (
    create_api_client,
    fail_stuck_runs,
    rerun_stuck_runs,
    revoke_api_client,
    rotate_api_client_secret,
)
from .values import SCOPE_NAMES


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["key", "region", "name", "created_at"]
    list_filter = ["region"]
    search_fields = ["key", "name"]
    filter_horizontal = ["members"]


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(name, name) for name in SCOPE_NAMES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["project", "name", "scopes"]


# New secrets wait in the session (stored in the database, never in a cookie: the messages
# framework would put them in a signed but readable cookie) until one page shows them.
ISSUED_SECRETS = "connectors:issued-secrets"


def _hold_secret(request: HttpRequest, *, client_id: str, secret: str, name: str) -> None:
    held = request.session.get(ISSUED_SECRETS, [])
    held.append({"client_id": client_id, "client_secret": secret, "name": name})
    request.session[ISSUED_SECRETS] = held


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Support creates clients here (the secret is shown once), rotates and revokes them."""

    form = ApiClientForm
    list_display = ["name", "project", "client_id", "scopes", "created_at", "revoked_at"]
    list_filter = ["project", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "project__key", "application__client_id"]
    list_select_related = ["project", "application"]
    actions = ["rotate_secret", "revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["project", "client_id", "created_at", "revoked_at"] if obj else []

    @admin.display(description="client id")
    def client_id(self, obj: ApiClient) -> str:
        return obj.application.client_id

    def save_model(self, request, obj: ApiClient, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "scopes"])
            return
        issued = create_api_client(
            project=form.cleaned_data["project"],
            scopes=form.cleaned_data["scopes"],
            name=form.cleaned_data["name"],
        )
        obj.pk, obj.application = issued.api_client.pk, issued.api_client.application
        obj.created_at = issued.api_client.created_at
        _hold_secret(
            request, client_id=issued.client_id, secret=issued.client_secret, name=obj.name
        )

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        return redirect("admin:connectors_apiclient_issued_secrets")

    @admin.action(description="Rotate the client secret (shown once)")
    def rotate_secret(self, request, queryset) -> HttpResponse:
        for api_client in queryset.select_related("application"):
            secret = rotate_api_client_secret(api_client=api_client)
            _hold_secret(
                request,
                client_id=api_client.application.client_id,
                secret=secret,
                name=api_client.name,
            )
        return redirect("admin:connectors_apiclient_issued_secrets")

    def get_urls(self):
        issued = path(
            "issued-secrets/",
            self.admin_site.admin_view(self.issued_secrets_view),
            name="connectors_apiclient_issued_secrets",
        )
        return [issued, *super().get_urls()]

    def issued_secrets_view(self, request: HttpRequest) -> HttpResponse:
        """Shows the secrets just issued, once: they leave the session as the page renders."""
        issued = request.session.pop(ISSUED_SECRETS, [])
        if not issued:
            self.message_user(
                request, "There is no new secret to show: each is shown once.", messages.INFO
            )
            return redirect("admin:connectors_apiclient_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Copy the client secret now",
            "issued": issued,
        }
        response = TemplateResponse(request, "admin/connectors/issued_secrets.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke: refuse the credentials and end their tokens")
    def revoke(self, request, queryset) -> None:
        for api_client in queryset.filter(revoked_at__isnull=True):
            revoke_api_client(api_client=api_client)
        self.message_user(request, "Revoked.", messages.SUCCESS)


class ReportEntryInline(admin.TabularInline):
    model = ReportEntry
    extra = 0
    can_delete = False
    readonly_fields = fields = ENTRY_COLUMNS[1:]  # what the API shows of an entry

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CommentInline(admin.TabularInline):
    model = CertificationComment
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
    actions = ["rerun_pipeline", "fail_pipeline"]

    def _actor(self, request) -> Actor:
        return Actor(label=request.user.get_username(), user=request.user)

    @admin.action(description="Re-run the stuck preview or publish run")
    def rerun_pipeline(self, request, queryset) -> None:
        for draft in queryset:
            restarted = rerun_stuck_runs(draft_id=draft.pk, actor=self._actor(request))
            text = ", ".join(restarted) or "nothing running"
            self.message_user(request, f"{draft}: {text}", messages.INFO)

    @admin.action(description="Fail the stuck preview or publish run")
    def fail_pipeline(self, request, queryset) -> None:
        for draft in queryset:
            failed = fail_stuck_runs(draft_id=draft.pk, actor=self._actor(request))
            self.message_user(request, f"{draft}: failed {', '.join(failed) or 'nothing'}")


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


@admin.register(PipelineRun)
class PipelineRunAdmin(admin.ModelAdmin):
    list_display = ["id", "draft", "report", "state", "attempts", "created_at", "heartbeat_at"]
    list_filter = ["report", "state"]
    search_fields = ["=id", "draft__key"]
    list_select_related = ["draft"]
    readonly_fields = [f.name for f in PipelineRun._meta.fields]
