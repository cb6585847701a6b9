"""The update actions: one handler each, one registry, one apply function.

``apply_update_actions`` is the only code that changes a draft on a caller's request.
The REST API, the pages, the admin and the commands all call it, so the version
check, the lock while publishing and every value rule exist once. The handlers change a
``drafts.Change``; ``drafts.commit`` saves it, and the refusals come from ``drafts``.
The certification app registers its own handler with ``handles``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel

from . import schemas
from .drafts import (
    Actor,
    Change,
    commit,
    production_connector,
    refuse_certification,
    refuse_preview,
    refuse_private_projects,
    refuse_publish,
    refuse_while_publishing,
    set_status,
)
from .errors import (
    ConcurrentModification,
    ConnectError,
    InvalidOperation,
)
from .models import (
    ConnectorStaged,
    DraftEvent,
    PipelineRun,
    Project,
)
from .pipelines import planned_checks
from .selectors import draft_lookup, drafts_of, not_found
from .snapshots import RepositorySnapshot, check_repository_values, read_repository_snapshot
from .state import Previewable, Report, Status, ensure_preview_transition
from .values import integration_mask

Handler = Callable[[Change, Any], None]
HANDLERS: dict[str, Handler] = {}


def handles(action: str) -> Callable[[Handler], Handler]:
    """Register the handler of one action (the certification app registers its own)."""

    def register(handler: Handler) -> Handler:
        HANDLERS[action] = handler
        return handler

    return register


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


# Actions that copy one parameter to one field: (field, parameter). An optional text
# left out is stored empty, as the API shows it.
COPIED = {
    "setName": ("name", "name"),
    "setDescription": ("description", "description"),
    "setDocumentationUrl": ("documentation_url", "documentationUrl"),
    "setCreatorName": ("creator_name", "creatorName"),
    "setCreatorTitle": ("creator_title", "creatorTitle"),
    "setCreatorEmail": ("creator_email", "creatorEmail"),
    "setCreatorCompany": ("creator_company", "creatorCompany"),
    "setCreatorNoOfContributors": ("creator_no_of_contributors", "creatorNoOfContributors"),
    "setCreatorSupportUrl": ("creator_support_url", "creatorSupportUrl"),
    "setCreatorLogo": ("creator_logo_url", "logoUrl"),
}
TEXT_FIELDS = frozenset(f for f, _ in COPIED.values()) - {
    "creator_email",
    "creator_no_of_contributors",
}


def _copier(field_name: str, parameter: str) -> Handler:
    def copy(change: Change, action: Any) -> None:
        value = getattr(action, parameter)
        change.set(field_name, (value or "") if field_name in TEXT_FIELDS else value)

    return copy


for _action, (_field, _parameter) in COPIED.items():
    handles(_action)(_copier(_field, _parameter))


@handles("setRepository")
def set_repository(change: Change, action: schemas.SetRepository) -> None:
    draft = change.draft
    url = action.url or draft.repository_url
    snapshot = change.snapshots[(url, action.tag)]
    moved = (url, action.tag, snapshot.commit) != (
        draft.repository_url,
        draft.repository_tag,
        draft.repository_commit,
    )
    change.set("repository_url", url)
    change.set("repository_tag", action.tag)
    change.set("repository_commit", snapshot.commit)
    change.set("configurations", snapshot.configurations)
    change.set("global_configuration", snapshot.global_configuration)
    change.set("api_client", snapshot.api_client)
    if moved and draft.is_previewable != Previewable.NONE:
        # A preview is for one tag: the new tag has none yet.
        ensure_preview_transition(draft.is_previewable, Previewable.NONE)
        if draft.preview_run_id is not None:
            PipelineRun.objects.filter(id=draft.preview_run_id).exclude(
                state__in=PipelineRun.FINAL_STATES
            ).update(state=PipelineRun.State.SUPERSEDED, finished_at=timezone.now())
        change.set("is_previewable", Previewable.NONE)
        change.set("preview_run_id", None)


@handles("setSupportedRegions")
def set_supported_regions(change: Change, action: schemas.SetSupportedRegions) -> None:
    change.set("supported_regions", _unique(action.regions))


@handles("setIntegrationTypes")
def set_integration_types(change: Change, action: schemas.SetIntegrationTypes) -> None:
    types = _unique(action.integrationTypes)
    change.set("integration_types", types)
    change.set("integration_mask", integration_mask(types))


def _refuse(refusal: ConnectError | None) -> None:
    if refusal is not None:
        raise refusal


@handles("addPrivateProject")
def add_private_project(change: Change, action: schemas.AddPrivateProject) -> None:
    _refuse(refuse_private_projects(change.draft))
    change.set("private_projects", _unique([*change.draft.private_projects, action.privateProject]))


@handles("removePrivateProject")
def remove_private_project(change: Change, action: schemas.RemovePrivateProject) -> None:
    _refuse(refuse_private_projects(change.draft))
    remaining = [p for p in change.draft.private_projects if p != action.privateProject]
    change.set("private_projects", remaining)


@handles("updatePreviewable")
def update_previewable(change: Change, action: schemas.UpdatePreviewable) -> None:
    draft = change.draft
    _refuse(refuse_preview(draft))
    ensure_preview_transition(draft.is_previewable, Previewable.PENDING)
    run = new_run(change, Report.PREVIEW, certification=False)
    change.set("is_previewable", Previewable.PENDING)
    change.set("preview_run_id", run.id)


@handles("publish")
def publish(change: Change, action: schemas.Publish) -> None:
    draft = change.draft
    if draft.status == Status.PROCESSING:  # set by an earlier publish of this same update
        raise InvalidOperation("An update may publish only once: it already has a publish action.")
    _refuse(refuse_certification(draft) if action.certification else refuse_publish(draft))
    run = new_run(change, Report.PUBLISHING, certification=action.certification)
    set_status(change, Status.PROCESSING)
    change.set("publish_run_id", run.id)


@handles("unlist")
def unlist(change: Change, action: schemas.Unlist) -> None:
    change.set("already_listed", False)

    def hide(draft: ConnectorStaged) -> None:
        connector = production_connector(draft)
        if connector is not None and connector.listed:
            connector.listed = False
            connector.save(update_fields=["listed", "last_modified_at"])

    change.followups.append(hide)


def new_run(change: Change, report: str, *, certification: bool) -> PipelineRun:
    """A fresh run, QUEUED with the checks it will run; its task is sent after commit.

    The report's entries stay until the run writes its first one (``pipelines.write_entries``
    removes them then); the API shows only the newest run's entries meanwhile.
    """
    draft = change.draft
    current = draft.preview_run_id if report == Report.PREVIEW else draft.publish_run_id
    if current is not None:
        PipelineRun.objects.filter(id=current).exclude(state__in=PipelineRun.FINAL_STATES).update(
            state=PipelineRun.State.SUPERSEDED, finished_at=timezone.now()
        )
    run = PipelineRun.objects.create(
        draft=draft,
        report=report,
        certification=certification,
        requested_by=change.actor.label,
        checks=planned_checks(),
    )
    change.after_commit.append(lambda: enqueue_run(run))
    return run


def enqueue_run(run: PipelineRun) -> None:
    from . import tasks

    task = tasks.run_preview if run.report == Report.PREVIEW else tasks.run_publish
    task.delay(str(run.draft_id), str(run.id))


def fold_repository_actions(actions: Sequence[BaseModel]) -> list[BaseModel]:
    """The actions to apply, with every setRepository folded into the last one.

    Only the final repository and tag count, so only they are read (one git round trip
    per request, however many setRepository actions it holds). A later action without
    ``url`` keeps the url an earlier one set.
    """
    positions = [i for i, a in enumerate(actions) if isinstance(a, schemas.SetRepository)]
    if len(positions) < 2:
        return list(actions)
    url: str | None = None
    for position in positions:
        url = actions[position].url or url  # type: ignore[attr-defined]
    last = actions[positions[-1]]
    folded = last.model_copy(update={"url": url})
    earlier = set(positions[:-1])
    return [
        folded if i == positions[-1] else action
        for i, action in enumerate(actions)
        if i not in earlier
    ]


def snapshots_for(
    actions: Sequence[BaseModel], current_url: str
) -> dict[tuple[str, str], RepositorySnapshot]:
    """Read connect.yaml for the (folded) setRepository, before any lock is taken (it is slow).

    Raises what read_repository_snapshot raises.
    """
    snapshots: dict[tuple[str, str], RepositorySnapshot] = {}
    for action in actions:
        if isinstance(action, schemas.SetRepository):
            url = action.url or current_url
            if (url, action.tag) not in snapshots:
                snapshots[(url, action.tag)] = read_repository_snapshot(url=url, tag=action.tag)
    return snapshots


def apply_update_actions(
    *,
    projects: Project | Any,
    version: int,
    actions: Sequence[BaseModel],
    actor: Actor,
    id: str | None = None,
    key: str | None = None,
) -> ConnectorStaged:
    """Apply one update request to a draft, all actions or none.

    Locks the draft row (``SELECT … FOR UPDATE``) for the request, compares the version,
    bumps it once. Enqueues the preview/publish pipeline after commit when asked.
    Raises ResourceNotFound, ConcurrentModification, InvalidOperation, the action errors
    and the repository errors of setRepository.
    """
    lookup = draft_lookup(id=id, key=key)
    current = drafts_of(projects).filter(lookup).values_list("repository_url", flat=True).first()
    if current is None:
        raise not_found(id=id, key=key)
    url = current
    for action in actions:
        if isinstance(action, schemas.SetRepository):
            # The pattern checks (cheap) apply to every one, though only the last is read.
            url = action.url or url
            check_repository_values(url=url, tag=action.tag)
    requested = actions
    actions = fold_repository_actions(actions)
    snapshots = snapshots_for(actions, current)

    with transaction.atomic():
        draft = (
            drafts_of(projects).select_for_update(no_key=True, of=("self",)).filter(lookup).first()
        )
        if draft is None:
            raise not_found(id=id, key=key)
        if draft.version != version:
            raise ConcurrentModification(expected=version, current=draft.version)
        names = [action.action for action in requested]  # type: ignore[attr-defined]
        _refuse(refuse_while_publishing(draft, names))
        if (
            any(isinstance(a, schemas.SetRepository) and a.url is None for a in actions)
            and draft.repository_url != current
        ):
            # The url changed between reading connect.yaml and taking the lock.
            raise ConcurrentModification(expected=version, current=draft.version + 1)

        change = Change(draft=draft, actor=actor, snapshots=snapshots)
        for action in actions:
            HANDLERS[action.action](change, action)  # type: ignore[attr-defined]

        commit(
            change,
            kind=DraftEvent.Kind.UPDATED,
            summary=", ".join(names),
            details={"actions": [a.model_dump(mode="json") for a in requested]},
        )
    return draft
