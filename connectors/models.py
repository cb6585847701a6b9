"""The draft/connector domain's tables. Lean: fields, constraints, indexes, ``__str__``."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from .state import EntryType, Previewable, Report, Status
from .values import REGIONS


class Project(models.Model):
    """A Composable Commerce project: owns drafts and API clients, has members."""

    key = models.CharField(max_length=36, unique=True)
    region = models.CharField(
        max_length=32, choices=[(r, r) for r in REGIONS], default="europe-west1.gcp"
    )
    name = models.CharField(max_length=256, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="connector_projects", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def identifier(self) -> str:
        """The ``region:projectKey`` form used in ``privateProjects``."""
        return f"{self.region}:{self.key}"


class ApiClient(models.Model):
    """An OAuth client of one project, limited to a set of scopes.

    The credentials live in django-oauth-toolkit's Application (secret stored hashed);
    this row says which project it acts for and what it may ask for.
    """

    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="api_client"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_clients")
    name = models.CharField(max_length=256)
    scopes = models.JSONField(default=list, help_text="Scope names, e.g. manage_connectors.")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.project.key})"

    @property
    def full_scopes(self) -> list[str]:
        return [f"{name}:{self.project.key}" for name in self.scopes]


class ConnectorFields(models.Model):
    """What a draft and its production Connector share; publishing copies these."""

    # NULL, not "": the key is optional and unique only when given.
    key = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True, default="")
    integration_types = models.JSONField(default=list, blank=True)
    # One bit per integration type, for the integrationTypes filter on every database.
    integration_mask = models.IntegerField(default=0)
    creator_name = models.CharField(max_length=256, blank=True, default="")
    creator_title = models.CharField(max_length=256, blank=True, default="")
    creator_email = models.CharField(max_length=320)
    creator_company = models.CharField(max_length=256, blank=True, default="")
    creator_logo_url = models.CharField(max_length=2048, blank=True, default="")
    creator_no_of_contributors = models.PositiveIntegerField(null=True, blank=True)
    creator_support_url = models.CharField(max_length=2048, blank=True, default="")
    repository_url = models.CharField(max_length=2048)
    repository_tag = models.CharField(max_length=255)
    configurations = models.JSONField(default=list, blank=True)
    global_configuration = models.JSONField(null=True, blank=True)
    api_client = models.JSONField(null=True, blank=True)
    private = models.BooleanField(default=True)
    supported_regions = models.JSONField(default=list, blank=True)
    documentation_url = models.CharField(max_length=2048, blank=True, default="")

    class Meta:
        abstract = True


# Compared field by field for ``hasChanges`` and copied by publishing.
SHARED_FIELDS: tuple[str, ...] = tuple(f.name for f in ConnectorFields._meta.local_fields)


class ConnectorStaged(ConnectorFields):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="drafts")
    version = models.PositiveIntegerField(default=1)
    private_projects = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.DRAFT)
    is_previewable = models.CharField(
        max_length=8, choices=Previewable.choices, default=Previewable.NONE
    )
    already_listed = models.BooleanField(default=False)
    has_changes = models.BooleanField(default=False)
    repository_commit = models.CharField(max_length=64, blank=True, default="")
    # The current pipeline runs: a task whose run is no longer current stops (see PipelineRun).
    preview_run_id = models.UUIDField(null=True, blank=True)
    publish_run_id = models.UUIDField(null=True, blank=True)
    # Certification queue bookkeeping.
    status_changed_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claimed_drafts",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_drafts",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_modified_at = models.DateTimeField(auto_now=True)

    # Attached by ``selectors.attach_details`` for the API representation (not columns).
    entries: list[dict[str, Any]]
    comments: list[dict[str, Any]]

    class Meta:
        verbose_name = "connector draft"
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(key__isnull=False), name="draft_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="draft_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(is_previewable__in=Previewable.values), name="draft_previewable_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "created_at"], name="draft_project_created"),
            models.Index(fields=["project", "last_modified_at"], name="draft_project_modified"),
            models.Index(fields=["project", "name"], name="draft_project_name"),
            models.Index(fields=["project", "key"], name="draft_project_key"),
            models.Index(fields=["project", "private", "created_at"], name="draft_project_private"),
            models.Index(fields=["project", "status"], name="draft_project_status"),
            models.Index(fields=["status", "status_changed_at"], name="draft_status_since"),
        ]

    def __str__(self) -> str:
        return self.key or str(self.id)


class Connector(ConnectorFields):
    """The read-only production version of a draft; shares the draft's id and key."""

    staged = models.OneToOneField(
        ConnectorStaged,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="connector",
        db_column="id",
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="connectors")
    version = models.PositiveIntegerField(default=1)
    certified = models.BooleanField(default=False)
    listed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["key"], name="connector_key"),
            models.Index(fields=["name"], name="connector_name"),
            models.Index(fields=["created_at"], name="connector_created"),
            models.Index(fields=["creator_company"], name="connector_company"),
            models.Index(fields=["certified", "listed"], name="connector_public"),
        ]

    def __str__(self) -> str:
        return self.key or str(self.pk)

    @property
    def id(self):
        return self.staged_id


class ConnectorAccess(models.Model):
    """One ``privateProjects`` entry of a production Connector, for indexed search."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="access")
    project_identifier = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_identifier", "connector"], name="connector_access_unique"
            )
        ]

    def __str__(self) -> str:
        return self.project_identifier


class PipelineRun(models.Model):
    """One preview or publish run: claimed by one worker, kept alive by its heartbeat."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        INTERRUPTED = "interrupted"
        SUPERSEDED = "superseded"
        CANCELLED = "cancelled"

    FINAL_STATES = frozenset(
        {State.SUCCEEDED, State.FAILED, State.INTERRUPTED, State.SUPERSEDED, State.CANCELLED}
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(ConnectorStaged, on_delete=models.CASCADE, related_name="runs")
    report = models.CharField(max_length=16, choices=Report.choices)
    certification = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.CharField(max_length=320, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the broker last accepted the run's task (NULL: it never did); the sweep's clock
    # for sending a QUEUED run again.
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    # The run's checks in the pipeline's order, as the pipeline goes: one object each,
    # {"key", "name", "started", "ended", "status", "seconds", "counts"} (see pipelines.Progress).
    checks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "heartbeat_at"], name="run_state_heartbeat"),
            # The newest run of a draft's report: the one whose entries the report shows.
            models.Index(fields=["draft", "report", "-created_at"], name="run_draft_report_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.report} run {self.id} ({self.state})"


class ReportEntry(models.Model):
    """One line of a draft's preview or publishing report, in the order it was written."""

    draft = models.ForeignKey(
        ConnectorStaged, on_delete=models.CASCADE, related_name="report_entries"
    )
    report = models.CharField(max_length=16, choices=Report.choices)
    run_id = models.UUIDField(null=True, blank=True)
    # The short stable name of the check the entry belongs to ("specification", "code", …);
    # blank for the run's own entries (the fetch, an interruption). Not shown by the API.
    check_key = models.CharField(max_length=32, blank=True, default="")
    type = models.CharField(max_length=16, choices=EntryType.choices)
    title = models.CharField(max_length=512)
    # NULL where the API shows null (the real service sends "message": null).
    message = models.TextField(null=True, blank=True)  # noqa: DJ001
    application = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001
    file = models.CharField(max_length=1024, null=True, blank=True)  # noqa: DJ001
    line = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "report entries"
        ordering = ["id"]
        indexes = [models.Index(fields=["draft", "report", "id"], name="entry_draft_report")]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=EntryType.values), name="entry_type_valid")
        ]

    def __str__(self) -> str:
        return f"{self.type}: {self.title}"


class StepLog(models.Model):
    """The output of one step (install, build, test, …) of one application in a run.

    Written by the build and unit-test checks when the step ends: plain text, colour codes
    removed, secrets masked, at most CONNECTORS_BUILD_OUTPUT_BYTES kept (start and end).
    """

    run = models.ForeignKey(PipelineRun, on_delete=models.CASCADE, related_name="step_logs")
    application = models.CharField(max_length=256)
    step = models.CharField(max_length=32)
    command = models.CharField(max_length=1024)
    exit_code = models.IntegerField(null=True, blank=True)  # NULL: stopped, or not a command
    succeeded = models.BooleanField()
    duration = models.FloatField(help_text="Seconds.")
    text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "id"], name="step_log_run")]

    def __str__(self) -> str:
        return f"{self.application}: {self.step}"


class DraftEvent(models.Model):
    """The history of a draft: each update request, state change and decision."""

    class Kind(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"
        STATE = "state"
        DECISION = "decision"

    draft = models.ForeignKey(ConnectorStaged, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.CharField(max_length=320)
    summary = models.CharField(max_length=1024)
    details = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["draft", "id"], name="event_draft")]

    def __str__(self) -> str:
        return self.summary


class AdvisorySeverity(models.TextChoices):
    LOW = "LOW"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class OsvAdvisory(models.Model):
    """A vulnerability advisory (an OSV record) for npm or Maven packages, as last synced."""

    id = models.CharField(primary_key=True, max_length=128)
    aliases = models.JSONField(default=list, blank=True)
    summary = models.TextField()
    severity = models.CharField(max_length=8, choices=AdvisorySeverity.choices)
    # False when the record rates nothing and the severity is the stand-in for "unknown".
    severity_known = models.BooleanField(default=True)
    modified = models.DateTimeField()
    published = models.DateTimeField(null=True, blank=True)
    # The record's "affected" entries for npm and Maven packages, as OSV gives them.
    affected = models.JSONField(default=list)

    class Meta:
        verbose_name = "OSV advisory"
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=AdvisorySeverity.values),
                name="osv_advisory_severity_valid",
            )
        ]

    def __str__(self) -> str:
        return self.id


class OsvAdvisoryPackage(models.Model):
    """Which advisories name a package: a lockfile's packages are looked up in one query."""

    advisory = models.ForeignKey(OsvAdvisory, on_delete=models.CASCADE, related_name="packages")
    ecosystem = models.CharField(max_length=16)  # "npm" or "Maven"
    name = models.CharField(max_length=512)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ecosystem", "name", "advisory"], name="osv_package_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ecosystem}:{self.name} ({self.advisory_id})"


class CertificationComment(models.Model):
    """A message of the thread between a creator and the certifiers on a draft.

    Part of the draft's API resource (``certificationComments``); the certification app
    only adds the review around it. Its table keeps the name it was created with.
    """

    draft = models.ForeignKey(
        ConnectorStaged, on_delete=models.CASCADE, related_name="certification_comments"
    )
    # The API's ``userId``: the commenting project's key, or a dashboard user's name.
    user_id = models.CharField(max_length=320)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    by_certifier = models.BooleanField(default=False)
    comment = models.TextField()
    datetime = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "certification_certificationcomment"
        ordering = ["id"]
        indexes = [models.Index(fields=["draft", "id"], name="comment_draft")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.comment[:40]}"


class AdvisorySync(models.Model):
    """One import of advisory data from one source: when, what changed, how new it is."""

    source = models.TextField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # added, updated, unchanged, withdrawn, removed, ignored, invalid
    counts = models.JSONField(default=dict, blank=True)
    # The newest "modified" among the source's records: how old the data is.
    newest_modified = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["source", "finished_at"], name="advisory_sync_source")]

    def __str__(self) -> str:
        return f"{self.source} at {self.started_at:%Y-%m-%d %H:%M}"
