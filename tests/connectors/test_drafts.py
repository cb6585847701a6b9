"""The one commit of a draft change, every status transition and every refusal."""

from __future__ import annotations

from itertools import product

import pytest

from connectors import drafts
from connectors.drafts import Actor, Change, commit, publish_to_production, set_status
from connectors.errors import ConnectError
from connectors.models import DraftEvent
from connectors.parsing import parse_update
from connectors.state import (
    PREVIEW_TRANSITIONS,
    STATUS_TRANSITIONS,
    InvalidTransition,
    Previewable,
    Status,
    ensure_preview_transition,
)
from connectors.update_actions import apply_update_actions
from tests.conftest import move_to


@pytest.mark.parametrize(("old", "new"), list(product(Status.values, repeat=2)))
def test_a_status_moves_through_the_one_commit_exactly_where_the_map_allows(draft, old, new):
    move_to(draft, status=old)
    version = draft.version
    change = Change(draft=draft, actor=Actor(label="someone"))
    if new not in STATUS_TRANSITIONS.get(old, frozenset()):
        with pytest.raises(InvalidTransition):
            set_status(change, new)
        return
    set_status(change, new)
    commit(change, kind=DraftEvent.Kind.STATE, summary=f"{old} to {new}")
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (new, version + 1)
    event = draft.events.get(summary=f"{old} to {new}")
    assert (event.kind, event.actor, event.version) == ("state", "someone", version + 1)


@pytest.mark.parametrize(("old", "new"), list(product(Previewable.values, repeat=2)))
def test_a_preview_state_moves_exactly_where_the_map_allows(old, new):
    if new in PREVIEW_TRANSITIONS.get(old, frozenset()):
        ensure_preview_transition(old, new)
    else:
        with pytest.raises(InvalidTransition):
            ensure_preview_transition(old, new)


def certified_without_changes(draft):
    move_to(draft, status=Status.PUBLISHED, private=False, already_listed=True)
    publish_to_production(draft=draft, certified=True)
    draft.refresh_from_db()


# Each refusal: the state that makes it refuse, the update action it refuses, its error code.
REFUSALS = [
    (
        "refuse_while_publishing",
        {"status": Status.PROCESSING},
        {"action": "setName", "name": "Renamed"},
        "InvalidOperation",
    ),
    (
        "refuse_preview",
        {"is_previewable": Previewable.PENDING},
        {"action": "updatePreviewable"},
        "ConnectorStagedPreviewRequestUnderProcess",
    ),
    (
        "refuse_publish",
        {"status": Status.IN_CERTIFICATION},
        {"action": "publish", "certification": False},
        "ConnectorStagedInCertification",
    ),
    (
        "refuse_certification",
        certified_without_changes,
        {"action": "publish", "certification": True},
        "ConnectorAlreadyCertified",
    ),
    (
        "refuse_private_projects",
        {"private": False},
        {"action": "addPrivateProject", "privateProject": "us-east-2.aws:shop-1"},
        "ConnectorStagedNotPrivate",
    ),
]


def refusal_of(name, draft, action) -> ConnectError | None:
    function = getattr(drafts, name)
    if name == "refuse_while_publishing":
        return function(draft, [action["action"]])
    return function(draft)


@pytest.mark.parametrize(
    ("name", "state", "action", "code"), REFUSALS, ids=[row[0] for row in REFUSALS]
)
def test_each_refusal_is_the_error_the_update_action_raises(draft, name, state, action, code):
    assert refusal_of(name, draft, action) is None  # a fresh draft may do it
    if callable(state):
        state(draft)
    else:
        move_to(draft, **state)
    refusal = refusal_of(name, draft, action)
    assert refusal is not None and refusal.code == code
    body = parse_update({"version": draft.version, "actions": [action]})
    with pytest.raises(ConnectError) as raised:
        apply_update_actions(
            projects=draft.project,
            version=body.version,
            actions=body.actions,
            actor=Actor(label="creator"),
            id=str(draft.id),
        )
    assert (raised.value.code, raised.value.message) == (code, refusal.message)
    draft.refresh_from_db()
    assert not draft.events.filter(kind=DraftEvent.Kind.UPDATED).exists()
