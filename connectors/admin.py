"""The support admin: projects, API clients, drafts, Connectors and reports.

Support acts on a draft only through the domain: its fields and status are read only here
(the update actions and the pipelines own them), and the admin actions call the services
(re-run or fail a stuck run, give a certification claim back, delete), each a committed
change with a version bump and a history event. Connectors, report entries and runs are
read only: publishing and the pipelines write them. Rotating a secret and revoking a
client ask for confirmation on a page of their own first, as Django's delete does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from .drafts import Actor
from .errors import ConnectError
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
    cancel_run,
    create_api_client,
    delete_draft,
    fail_stuck_runs,
    release_claim,
    rerun_stuck_runs,
    revoke_api_client,
    rotate_api_client_secret,
)
from .state import Status
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


def _confirmed(request: HttpRequest) -> bool:
    """The action's confirmation page was answered (it posts ``post=yes`` back)."""
    return request.POST.get("post") == "yes"


def _confirmation(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    consequence: str,
    button: str,
) -> TemplateResponse:
    """The page asking to confirm an admin action on ``queryset`` (nothing is done yet)."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "consequence": consequence,
        "button": button,
        "action": action,
        "queryset": queryset,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/connectors/confirm_action.html", context)


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
        if not _confirmed(request):
            return _confirmation(
                self,
                request,
                queryset,
                action="rotate_secret",
                title="Rotate the client secret?",
                consequence=(
                    "Each selected client gets a new secret, shown once on the next page. "
                    "The current secret stops working at once: whoever uses it must be given "
                    "the new one. Tokens already issued stay valid until they expire."
                ),
                button="Yes, rotate the secret",
            )
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
    def revoke(self, request, queryset) -> HttpResponse | None:
        active = queryset.filter(revoked_at__isnull=True)
        if not active.exists():
            self.message_user(request, "The selected clients are already revoked.", messages.INFO)
            return None
        if not _confirmed(request):
            return _confirmation(
                self,
                request,
                active,
                action="revoke",
                title="Revoke the API client?",
                consequence=(
                    "Each selected client's credentials are refused from now on and every "
                    "token it holds ends at once. This cannot be undone: a revoked client "
                    "cannot be turned back on."
                ),
                button="Yes, revoke",
            )
        for api_client in active:
            revoke_api_client(api_client=api_client)
        self.message_user(request, "Revoked.", messages.SUCCESS)
        return None


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the domain writes (publishing, pipelines, commits): support looks, never edits."""

    def has_add_permission(self, request, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request, obj: Any = None) -> bool:
        return False


class ReportEntryInline(admin.TabularInline):
    model = ReportEntry
    extra = 0
    can_delete = False
    readonly_fields = fields = ENTRY_COLUMNS[1:]  # what the API shows of an entry


class CommentInline(admin.TabularInline):
    model = CertificationComment
    extra = 0
    can_delete = False
    readonly_fields = fields = ("user_id", "by_certifier", "comment", "datetime")


class EventInline(admin.TabularInline):
    model = DraftEvent
    extra = 0
    can_delete = False
    readonly_fields = fields = ("created_at", "kind", "actor", "summary", "version")


@admin.register(ConnectorStaged)
class ConnectorStagedAdmin(ReadOnlyAdmin):
    """Drafts: every field is the update actions' or the pipelines', so none is edited here.

    Created through the API or the dashboard (which read connect.yaml at the tag); changed
    only by the actions below, which call the services.
    """

    list_display = [
        "key",
        "name",
        "project",
        "status",
        "is_previewable",
        "claimed_by",
        "private",
        "version",
    ]
    list_filter = ["status", "private", "is_previewable", "project"]
    search_fields = ["key", "name", "creator_email", "=id"]
    list_select_related = ["project", "claimed_by"]
    inlines = [ReportEntryInline, CommentInline, EventInline]
    actions = ["rerun_pipeline", "fail_pipeline", "cancel_runs", "release_certification_claim"]
    change_form_template = "admin/connectors/connectorstaged/change_form.html"

    def _actor(self, request) -> Actor:
        return Actor(label=request.user.get_username(), user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        # The actions as buttons on the draft's own page too (they post to the changelist).
        actions = [
            (name, action.description)
            for name, action in self.get_actions(request).items()
            if action is not None and name != "delete_selected"
        ]
        extra_context = {**(extra_context or {}), "support_actions": actions}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj: ConnectorStaged) -> None:
        delete_draft(projects=obj.project, actor=self._actor(request), id=str(obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        for draft in queryset.select_related("project"):
            self.delete_model(request, draft)

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

    @admin.action(description="Cancel the queued or running preview or publish run")
    def cancel_runs(self, request, queryset) -> None:
        for draft in queryset:
            try:
                cancelled = cancel_run(actor=self._actor(request), draft_id=draft.pk)
            except ConnectError as refused:
                self.message_user(request, f"{draft}: {refused.message}", messages.WARNING)
            else:
                self.message_user(request, f"{draft}: cancelled {', '.join(cancelled)}.")

    @admin.action(description="Release the certification claim (back to the queue)")
    def release_certification_claim(self, request, queryset) -> None:
        actor = self._actor(request)
        for draft in queryset.select_related("claimed_by"):
            holder = draft.claimed_by.get_username() if draft.claimed_by else None
            released = (
                draft.status == Status.IN_CERTIFICATION
                and release_claim(
                    draft_id=draft.pk,
                    actor=actor,
                    summary=f"certification claim of {holder} released by support",
                )
                is not None
            )
            if released:
                self.message_user(request, f"{draft}: back in the certification queue.")
            else:
                self.message_user(
                    request,
                    f"{draft}: not claimed by a certifier, nothing released.",
                    messages.WARNING,
                )


@admin.register(Connector)
class ConnectorAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "project", "certified", "listed", "private", "version"]
    list_filter = ["certified", "listed", "private"]
    search_fields = ["key", "name", "creator_email", "creator_company"]
    list_select_related = ["project"]


@admin.register(ReportEntry)
class ReportEntryAdmin(ReadOnlyAdmin):
    list_display = ["draft", "report", "type", "title", "application", "file", "line", "created_at"]
    list_filter = ["report", "type"]
    search_fields = ["title", "message", "draft__key"]
    list_select_related = ["draft"]


@admin.register(PipelineRun)
class PipelineRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "draft", "report", "state", "attempts", "created_at", "heartbeat_at"]
    list_filter = ["report", "state"]
    search_fields = ["=id", "draft__key"]
    list_select_related = ["draft"]
