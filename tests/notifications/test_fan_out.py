"""A draft event's fan-out, run in place: the emails it sends and the webhook it delivers.

The writers are the real ones (update actions, the pipeline's run end, the certifiers'
decisions); their after-commit work runs at the end of each ``committed`` block, the
fan-out's tasks in place (``eager``), the emails into Django's test outbox and the webhook
to a real HTTP receiver on this machine.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from certification import services as certification
from connectors import pipelines
from connectors.drafts import Actor
from connectors.models import ConnectorStaged, DraftEvent
from connectors.notifications import outbox
from connectors.notifications.models import (
    NotificationPreference,
    OutboundEvent,
    OutboxCursor,
    WebhookDelivery,
)
from connectors.notifications.services import create_endpoint, save_preferences
from connectors.parsing import parse_update
from connectors.state import Status
from connectors.update_actions import apply_update_actions
from tests.certification.conftest import as_certifier, claimed_by, ready
from tests.conftest import make_user, move_to

pytestmark = pytest.mark.usefixtures("eager")


@pytest.fixture
def committed(db, django_capture_on_commit_callbacks):
    """A block whose after-commit work (the fan-out) runs as it ends. (It sets up the
    database first: pytest-django's ``mailoutbox`` is only the real outbox after that.)"""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def teammate(django_user_model, project):
    user = make_user(django_user_model, "teammate")
    project.members.add(user)
    return user


def act(draft: ConnectorStaged, actor: Actor, *actions: dict) -> ConnectorStaged:
    draft.refresh_from_db()
    body = parse_update({"version": draft.version, "actions": list(actions)})
    return apply_update_actions(
        projects=draft.project,
        version=body.version,
        actions=body.actions,
        actor=actor,
        id=str(draft.id),
    )


def comment(draft, actor: Actor, text: str) -> ConnectorStaged:
    return act(draft, actor, {"action": "addCertificationComment", "comment": text})


def creator_actor(user) -> Actor:
    return Actor(label=user.username, user=user)


def recipients(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_a_certifiers_comment_emails_the_projects_members_not_the_certifier(
    committed, mailoutbox, draft, creator, teammate, certifier
):
    claimed_by(draft, certifier)
    with committed():
        comment(draft, as_certifier(certifier), "Please document the\nconfiguration keys.")
    assert recipients(mailoutbox) == ["creator@example.com", "teammate@example.com"]
    message = mailoutbox[0]
    assert message.subject == "New comment: Sample connector"
    assert "certifier commented on Sample connector." in message.body
    assert "Please document the\nconfiguration keys." in message.body
    assert f"http://127.0.0.1:8000/drafts/{draft.id}/" in message.body
    assert "http://127.0.0.1:8000/notifications/" in message.body


def test_a_creators_reply_in_certification_emails_its_certifier_and_the_other_members(
    committed, mailoutbox, settings, draft, creator, teammate, certifier, second_certifier
):
    settings.WORKBENCH_BASE_URL = "https://workbench.example.com"
    claimed_by(draft, certifier)
    with committed():
        comment(draft, creator_actor(creator), "Done: the keys are documented.")
    assert recipients(mailoutbox) == ["certifier@example.com", "teammate@example.com"]
    to_certifier = next(m for m in mailoutbox if m.to == ["certifier@example.com"])
    assert f"https://workbench.example.com/certification/{draft.id}/" in to_certifier.body
    assert "as a certifier" in to_certifier.body


def test_a_reply_while_waiting_in_the_queue_reaches_every_certifier(
    committed, mailoutbox, draft, creator, certifier, second_certifier
):
    ready(draft)
    with committed():
        comment(draft, creator_actor(creator), "Any news?")
    assert recipients(mailoutbox) == ["certifier@example.com", "second-certifier@example.com"]


def test_a_comment_outside_certification_does_not_email_certifiers(
    committed, mailoutbox, draft, creator, teammate, certifier
):
    with committed():
        comment(draft, creator_actor(creator), "Note to the team.")
    assert recipients(mailoutbox) == ["teammate@example.com"]


def test_decisions_email_the_creators_with_the_reason(
    committed, mailoutbox, make_draft, creator, certifier
):
    rejected = claimed_by(make_draft(), certifier)
    with committed():
        certification.reject(
            draft_id=rejected.id,
            version=rejected.version,
            actor=as_certifier(certifier),
            reason="The README does not say which regions are supported.",
        )
    [message] = mailoutbox
    assert message.to == ["creator@example.com"]
    assert message.subject.startswith("Changes requested: ")
    assert "The README does not say which regions are supported." in message.body

    approved = claimed_by(make_draft(), certifier)
    with committed():
        certification.approve(
            draft_id=approved.id, version=approved.version, actor=as_certifier(certifier)
        )
    assert mailoutbox[-1].subject == f"Certification approved: {approved.name}"
    assert "published and certified" in mailoutbox[-1].body


def run_ends(draft, actor: Actor, action: dict, *, succeeded: bool, committed) -> None:
    """Request a run (its task is not sent), then end it as the pipeline does."""
    act(draft, actor, action)
    draft.refresh_from_db()
    run_id = draft.preview_run_id if action["action"] == "updatePreviewable" else None
    run_id = run_id or draft.publish_run_id
    run = pipelines.claim(str(run_id))
    assert run is not None
    with committed():
        assert pipelines.finish(run, succeeded=succeeded)


def test_finished_runs_email_the_creators(committed, mailoutbox, draft, creator, teammate):
    run_ends(
        draft,
        creator_actor(creator),
        {"action": "updatePreviewable"},
        succeeded=False,
        committed=committed,
    )
    assert recipients(mailoutbox) == ["creator@example.com", "teammate@example.com"]
    assert mailoutbox[0].subject == "Preview failed: Sample connector"

    mailoutbox.clear()
    run_ends(
        draft,
        creator_actor(creator),
        {"action": "publish", "certification": False},
        succeeded=True,
        committed=committed,
    )
    assert mailoutbox[0].subject == "Published: Sample connector"


def test_a_submission_emails_the_certifiers_and_the_creators(
    committed, mailoutbox, draft, creator, certifier
):
    run_ends(
        draft,
        Actor(label="acme-shop"),
        {"action": "publish", "certification": True},
        succeeded=True,
        committed=committed,
    )
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects == {
        "certifier@example.com": "New submission for certification: Sample connector",
        "creator@example.com": "Submitted for certification: Sample connector",
    }


def test_preferences_turn_emails_off(
    committed, mailoutbox, make_draft, creator, teammate, certifier
):
    save_preferences(user=teammate, emails=False, runs=True, comments=True, decisions=True)
    save_preferences(user=creator, emails=True, runs=True, comments=False, decisions=True)
    draft = claimed_by(make_draft(), certifier)
    with committed():
        comment(draft, as_certifier(certifier), "A question.")
    assert mailoutbox == []
    # The topics still on are sent.
    with committed():
        certification.approve(
            draft_id=draft.id, version=draft.version + 1, actor=as_certifier(certifier)
        )
    assert recipients(mailoutbox) == ["creator@example.com"]
    assert NotificationPreference.objects.get(user=teammate).wants("decisions") is False


def test_people_without_an_email_address_are_skipped(
    committed, mailoutbox, draft, creator, teammate, certifier
):
    teammate.email = ""
    teammate.save()
    claimed_by(draft, certifier)
    with committed():
        comment(draft, as_certifier(certifier), "A question.")
    assert recipients(mailoutbox) == ["creator@example.com"]


def test_every_event_goes_to_the_projects_enabled_endpoints_signed(
    committed, local_targets, receiver, project, draft, creator, certifier
):
    endpoint = create_endpoint(project=project, url=receiver.url, actor="test")
    create_endpoint(project=project, url=receiver.url + "/off", enabled=False, actor="test")
    receiver.secret = endpoint.secret
    claimed_by(draft, certifier)  # committed in the test's transaction: not sent
    with committed():
        comment(draft, as_certifier(certifier), "Looks good so far.")
    [received] = receiver.received
    assert received.verified, received.headers
    assert received.path == "/hooks"
    assert received.headers["content-type"] == "application/json"
    body = received.json
    assert body["id"] == received.headers["webhook-id"] and body["id"].startswith("evt_")
    assert body["type"] == "connector_staged.comment_added"
    draft.refresh_from_db()
    assert body["data"] == {
        "id": str(draft.id),
        "key": "sample-connector",
        "name": "Sample connector",
        "projectKey": "acme-shop",
        "version": draft.version,
        "status": "InCertification",
        "isPreviewable": "none",
        "summary": "addCertificationComment",
        "actor": "certifier",
        "actions": ["addCertificationComment"],
        "comment": "Looks good so far.",
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [attempt] = delivery.attempt_log.all()
    assert (
        attempt.status_code == 200
        and attempt.duration_ms >= 0
        and '"ok": true' in (attempt.response_excerpt)
    )


def event_types(committed, draft, creator, certifier) -> list[str]:
    """The webhook types of a draft's life: created, edits, runs, certification."""
    with committed():
        act(draft, creator_actor(creator), {"action": "setName", "name": "Renamed"})
    run_ends(
        draft,
        creator_actor(creator),
        {"action": "updatePreviewable"},
        succeeded=True,
        committed=committed,
    )
    run_ends(
        draft,
        creator_actor(creator),
        {"action": "publish", "certification": True},
        succeeded=True,
        committed=committed,
    )
    with committed():
        certification.claim(draft_id=draft.id, actor=as_certifier(certifier))
    with committed():
        certification.release(draft_id=draft.id, actor=as_certifier(certifier))
    draft = claimed_by(draft, certifier)
    with committed():
        certification.reject(
            draft_id=draft.id, version=draft.version, actor=as_certifier(certifier), reason="No."
        )
    return [
        json.loads(body)["type"]
        for body in OutboundEvent.objects.order_by("draft_event_id").values_list("body", flat=True)
    ]


def test_each_transition_has_its_event_type(committed, draft, creator, certifier):
    assert event_types(committed, draft, creator, certifier) == [
        "connector_staged.updated",
        "connector_staged.preview_succeeded",
        "connector_staged.submitted_for_certification",
        "connector_staged.certification_claimed",
        "connector_staged.certification_released",
        "connector_staged.certification_rejected",
    ]
    # The requests whose tasks were not sent (and the claim made outside ``committed``)
    # are there for the sweep.
    unsent = DraftEvent.objects.exclude(
        id__in=OutboundEvent.objects.values_list("draft_event_id", flat=True)
    )
    assert sorted(unsent.values_list("summary", flat=True)) == [
        "claimed for certification",
        "created",
        "publish",
        "updatePreviewable",
    ]


def test_an_event_is_fanned_out_once_and_not_at_all_once_its_draft_is_gone(
    committed, local_targets, receiver, project, draft
):
    create_endpoint(project=project, url=receiver.url, actor="test")
    created = DraftEvent.objects.get(draft=draft)
    with committed():
        assert outbox.fan_out(created.id) is True
        assert outbox.fan_out(created.id) is False
    assert OutboundEvent.objects.count() == 1 and WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1
    assert receiver.received[0].json["type"] == "connector_staged.created"

    move_to(draft, status=Status.DRAFT)
    event_id = DraftEvent.objects.create(draft=draft, kind="updated", actor="x", summary="x").id
    ConnectorStaged.objects.filter(id=draft.id).delete()
    assert outbox.fan_out(event_id) is False


def test_the_sweep_fans_out_what_was_missed_and_moves_its_cursor_past_settled_events(
    committed, local_targets, receiver, project, make_draft
):
    create_endpoint(project=project, url=receiver.url, actor="test")
    old, recent, new = (make_draft() for _ in range(3))  # their sends never happened
    events = {d.key: DraftEvent.objects.get(draft=d) for d in (old, recent, new)}
    now = timezone.now()
    DraftEvent.objects.filter(id=events[old.key].id).update(created_at=now - timedelta(hours=1))
    DraftEvent.objects.filter(id=events[recent.key].id).update(
        created_at=now - timedelta(seconds=30)
    )
    OutboxCursor.objects.update_or_create(id=1, defaults={"last_event_id": 0})

    with committed():
        assert outbox.sweep(now=now) == 2, "the new one is left to its own send for now"
    assert sorted(r.json["data"]["key"] for r in receiver.received) == [old.key, recent.key]
    assert OutboxCursor.objects.get().last_event_id == events[old.key].id

    with committed():
        assert outbox.sweep(now=now + timedelta(minutes=30)) == 1
        assert outbox.sweep(now=now + timedelta(minutes=30)) == 0
    assert len(receiver.received) == 3
    assert OutboxCursor.objects.get().last_event_id == events[new.key].id


def test_events_older_than_the_log_days_are_forgotten_with_their_deliveries(
    committed, settings, local_targets, receiver, project, draft
):
    settings.WEBHOOKS_LOG_DAYS = 7
    create_endpoint(project=project, url=receiver.url, actor="test")
    with committed():
        outbox.fan_out(DraftEvent.objects.get(draft=draft).id)
    assert outbox.forget_old_events() == 0
    OutboundEvent.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert outbox.forget_old_events() == 3  # the event, its delivery and its attempt
    assert not WebhookDelivery.objects.exists()
