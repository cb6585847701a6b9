"""Writes other than update actions: creating and deleting drafts, API clients, support's
restart and stop of stuck runs, giving a certification claim back. Changes to a draft are
committed through ``drafts``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from oauth2_provider.models import Application

from . import schemas
from .drafts import Actor, Change, commit, publish_draft_event, record
from .errors import ConcurrentModification, DuplicateField, InvalidOperation
from .models import (
    ApiClient,
    ConnectorStaged,
    DraftEvent,
    PipelineRun,
    Project,
)
from .oauth import forget_recent_tokens
from .pipelines import cancel_run as cancel_pipeline_run
from .pipelines import fail_run
from .selectors import attach_details, draft_lookup, drafts_of, not_found
from .snapshots import read_repository_snapshot
from .state import Previewable, Report, Status, ensure_transition
from .update_actions import new_run
from .values import integration_mask


def create_draft(
    *, project: Project, draft: schemas.ConnectorStagedDraft, actor: Actor
) -> ConnectorStaged:
    """Create a draft from a ConnectorStagedDraft, reading connect.yaml at its tag.

    Raises DuplicateField (key taken), InvalidJsonInput (url/tag), GitRepositoryNotReachable,
    ConnectorSpecificationFileNotFound, ConnectorSpecificationFileNotValid.
    """
    if draft.key is not None and ConnectorStaged.objects.filter(key=draft.key).exists():
        raise DuplicateField(field="key", value=draft.key)
    snapshot = read_repository_snapshot(url=draft.repository.url, tag=draft.repository.tag)
    creator = draft.creator
    # Like the real service (see the seed's create example), a draft without types is "other".
    types = list(dict.fromkeys(draft.integrationTypes or ["other"]))
    row = ConnectorStaged(
        project=project,
        key=draft.key,
        name=draft.name,
        description=draft.description or "",
        integration_types=types,
        integration_mask=integration_mask(types),
        creator_name=creator.name or "",
        creator_title=creator.title or "",
        creator_email=creator.email,
        creator_company=creator.company or "",
        creator_logo_url=creator.logoUrl or "",
        creator_no_of_contributors=creator.noOfContributors,
        creator_support_url=creator.supportUrl or "",
        repository_url=draft.repository.url,
        repository_tag=draft.repository.tag,
        repository_commit=snapshot.commit,
        configurations=snapshot.configurations,
        global_configuration=snapshot.global_configuration,
        api_client=snapshot.api_client,
        supported_regions=list(dict.fromkeys(draft.supportedRegions or [])),
        private_projects=list(dict.fromkeys(draft.privateProjects or [])),
        documentation_url=draft.documentationUrl or "",
        created_by=actor.user,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            record(row, kind=DraftEvent.Kind.CREATED, actor=actor.label, summary="created")
    except IntegrityError as exc:
        if draft.key is not None and ConnectorStaged.objects.filter(key=draft.key).exists():
            raise DuplicateField(field="key", value=draft.key) from exc
        raise
    return attach_details([row])[0]


def delete_draft(
    *,
    projects: Project | QuerySet[Project],
    actor: Actor,
    version: int | None = None,
    id: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """Delete a draft and its production Connector; returns the deleted draft's representation.

    Locks the row; checks ``version`` when given. Raises ResourceNotFound, ConcurrentModification.
    """
    from .representations import draft_representation

    with transaction.atomic():
        draft = (
            drafts_of(projects)
            .select_for_update(of=("self",))
            .filter(draft_lookup(id=id, key=key))
            .first()
        )
        if draft is None:
            raise not_found(id=id, key=key)
        attach_details([draft])
        if version is not None and version != draft.version:
            raise ConcurrentModification(expected=version, current=draft.version)
        representation = draft_representation(draft)
        draft_id = draft.id
        draft.delete()
    transaction.on_commit(lambda: publish_draft_event(draft_id, "deleted"))
    return representation


@dataclass(frozen=True)
class IssuedCredentials:
    api_client: ApiClient
    client_id: str
    client_secret: str  # shown once; only its hash is stored


def create_api_client(
    *, project: Project, scopes: list[str], name: str | None = None
) -> IssuedCredentials:
    """A new OAuth client for ``project``; the secret is returned once and stored hashed."""
    secret = secrets.token_urlsafe(24)
    with transaction.atomic():
        application = Application.objects.create(
            name=name or f"{project.key} API client",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        api_client = ApiClient.objects.create(
            application=application,
            project=project,
            name=application.name,
            scopes=list(dict.fromkeys(scopes)),
        )
    return IssuedCredentials(api_client, application.client_id, secret)


def rotate_api_client_secret(*, api_client: ApiClient) -> str:
    """A new secret for an existing client; tokens already issued stay valid until they expire."""
    secret = secrets.token_urlsafe(24)
    application = api_client.application
    application.client_secret = secret
    application.save(update_fields=["client_secret"])
    return secret


def revoke_api_client(*, api_client: ApiClient) -> None:
    """Refuse the client's credentials from now on and end its tokens."""
    from oauth2_provider.models import AccessToken

    with transaction.atomic():
        api_client.revoked_at = timezone.now()
        api_client.save(update_fields=["revoked_at"])
        AccessToken.objects.filter(application=api_client.application).delete()
    forget_recent_tokens()


def ensure_project(*, key: str, region: str | None = None) -> Project:
    project, created = Project.objects.get_or_create(
        key=key, defaults={"region": region or "europe-west1.gcp", "name": key}
    )
    if not created and region and project.region != region:
        project.region = region
        project.save(update_fields=["region"])
    return project


def rerun_stuck_runs(*, draft_id: Any, actor: Actor) -> list[str]:
    """Support: start the draft's pending preview and/or processing publish again.

    Supersedes the current run (its worker, if alive, stops writing), clears its report,
    bumps the version and enqueues a fresh run after commit. Returns the reports restarted.
    """
    restarted = []
    with transaction.atomic():
        draft = ConnectorStaged.objects.select_for_update(no_key=True).get(id=draft_id)
        change = Change(draft=draft, actor=actor, snapshots={})
        if draft.is_previewable == Previewable.PENDING:
            change.set("preview_run_id", new_run(change, Report.PREVIEW, certification=False).id)
            restarted.append("preview")
        if draft.status == Status.PROCESSING:
            certification = draft.publish_run_id is not None and bool(
                PipelineRun.objects.filter(id=draft.publish_run_id)
                .values_list("certification", flat=True)
                .first()
            )
            run = new_run(change, Report.PUBLISHING, certification=certification)
            change.set("publish_run_id", run.id)
            restarted.append("publishing")
        if not restarted:
            return []
        commit(
            change,
            kind=DraftEvent.Kind.STATE,
            summary=f"{' and '.join(restarted)} run restarted by support",
        )
    return restarted


def fail_stuck_runs(*, draft_id: Any, actor: Actor) -> list[str]:
    """Support: end the draft's pending preview and/or processing publish as failed."""
    draft = ConnectorStaged.objects.get(id=draft_id)
    failed = []
    message = f"The run was stopped by support ({actor.label})."
    for report, run_id in (("preview", draft.preview_run_id), ("publishing", draft.publish_run_id)):
        if run_id is not None and fail_run(str(run_id), message):
            failed.append(report)
    return failed


def release_claim(
    *,
    draft_id: Any,
    actor: Actor,
    summary: str,
    holder: Any = None,
    claimed_before: datetime | None = None,
) -> ConnectorStaged | None:
    """Give a claimed draft back to the certification queue (→ ReadyForCertification).

    The draft keeps its place (``status_changed_at`` is kept). A conditional UPDATE of
    exactly the claim read first (its certifier and time), limited to ``holder``'s claim
    and to a claim taken before ``claimed_before`` when given: 0 rows changed (decided,
    released or claimed anew meanwhile) returns None and writes nothing. Otherwise the
    version goes up and the history records ``summary`` with the released claim.
    """
    ensure_transition(Status.IN_CERTIFICATION, Status.READY_FOR_CERTIFICATION)
    claims = ConnectorStaged.objects.filter(id=draft_id, status=Status.IN_CERTIFICATION)
    if holder is not None:
        claims = claims.filter(claimed_by=holder)
    if claimed_before is not None:
        claims = claims.filter(claimed_at__lt=claimed_before)
    claim = claims.values("claimed_by_id", "claimed_by__username", "claimed_at").first()
    if claim is None:
        return None
    with transaction.atomic():
        released = claims.filter(
            claimed_by_id=claim["claimed_by_id"], claimed_at=claim["claimed_at"]
        ).update(
            status=Status.READY_FOR_CERTIFICATION,
            claimed_by=None,
            claimed_at=None,
            version=F("version") + 1,
            last_modified_at=timezone.now(),
        )
        if not released:
            return None
        draft = ConnectorStaged.objects.get(id=draft_id)
        claimed_at = claim["claimed_at"]
        record(
            draft,
            kind=DraftEvent.Kind.STATE,
            actor=actor.label,
            summary=summary,
            details={
                "claimedBy": claim["claimed_by__username"] or "",
                "claimedAt": claimed_at.isoformat() if claimed_at else None,
            },
        )
    return draft


def cancel_run(
    *, actor: Actor, draft_id: Any = None, run_id: Any = None, report: str | None = None
) -> list[str]:
    """Cancel a queued or running preview or publish: the run ``run_id``, or the draft's
    current run of ``report`` (both reports when None). Returns the reports cancelled.

    Each run ends CANCELLED (``pipelines.cancel_run``: locks the draft, then the run); the
    draft goes back as when a run fails, with a history event naming ``actor`` and an
    entry "Preview cancelled by …"; its worker writes nothing more. Nothing in the Connect
    API cancels a run: the pages and the admin call this. Raises InvalidOperation when there
    is nothing to cancel (the run has ended, or the draft has none).
    """
    if run_id is not None:
        runs = list(PipelineRun.objects.filter(id=run_id).values_list("id", "report"))
    else:
        draft = ConnectorStaged.objects.filter(id=draft_id).first()
        current = (
            [(Report.PREVIEW, draft.preview_run_id), (Report.PUBLISHING, draft.publish_run_id)]
            if draft is not None
            else []
        )
        runs = [(rid, r) for r, rid in current if rid is not None and report in (None, r)]
    cancelled = [r for rid, r in runs if cancel_pipeline_run(rid, actor=actor)]
    if not cancelled:
        what = report if report in Report.values else "run"
        raise InvalidOperation(
            f"There is no {what} to cancel: it has ended or was never requested."
        )
    return cancelled
