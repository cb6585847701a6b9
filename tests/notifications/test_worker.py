"""Webhooks through a real Celery worker on Redis: fan-out, signed delivery, retries, the sweep.

The writes go through the API (committed: the tests use the real database transactions),
their fan-out tasks through the test broker to a worker process of the test's own queue,
and the deliveries to a real HTTP receiver thread of this process that checks signatures.
"""

from __future__ import annotations

import pytest

from connectors.notifications.models import OutboundEvent, WebhookDelivery
from tests.conftest import draft_body
from tests.connectors.pipelines.conftest import wait_for
from tests.connectors.pipelines.live_stack import WebServer, free_port, stack_environment

pytestmark = pytest.mark.worker

HOOKS = "/connectors/webhooks"


def register(api, receiver) -> dict:
    response = api.post(HOOKS, {"url": receiver.url, "description": "test receiver"})
    assert response.status_code == 201, response.content
    created = response.json()
    receiver.secret = created["secret"]
    return created


def deliveries(api, endpoint: dict) -> list[dict]:
    response = api.get(f"{HOOKS}/{endpoint['id']}/deliveries")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def settled(api, endpoint: dict, count: int) -> list[dict]:
    """The endpoint's deliveries once ``count`` of them are delivered or failed."""

    def check():
        found = deliveries(api, endpoint)
        done = [d for d in found if d["state"] in ("delivered", "failed")]
        return found if len(done) >= count else None

    return wait_for(check, timeout=60)


def test_a_worker_fans_out_each_event_and_delivers_it_signed(
    worker_factory, api, create_draft, local_targets, receiver
):
    worker_factory(WEBHOOKS_ALLOW_PRIVATE_TARGETS="true")
    endpoint = register(api, receiver)
    draft = create_draft()
    renamed = api.post(
        f"/connectors/drafts/{draft['id']}",
        {"version": 1, "actions": [{"action": "setName", "name": "Renamed"}]},
    )
    assert renamed.status_code == 201

    received = receiver.wait_for(2)
    assert all(r.verified for r in received), [r.headers for r in received]
    bodies = sorted((r.json for r in received), key=lambda body: body["data"]["version"])
    assert [b["type"] for b in bodies] == [
        "connector_staged.created",
        "connector_staged.updated",
    ]
    assert [b["data"]["version"] for b in bodies] == [1, 2]
    assert bodies[1]["data"]["name"] == "Renamed"
    assert {r.headers["webhook-id"] for r in received} == {b["id"] for b in bodies}

    log = settled(api, endpoint, 2)
    assert [d["state"] for d in log] == ["delivered", "delivered"]
    for delivery in log:
        [attempt] = delivery["attemptLog"]
        assert attempt["statusCode"] == 200 and attempt["durationMs"] >= 0
    assert {d["eventId"] for d in log} == {b["id"] for b in bodies}


def test_a_failing_receiver_is_tried_again_with_backoff_then_redelivered(
    worker_factory, api, create_draft, local_targets, receiver
):
    receiver.statuses = [500]
    worker_factory(
        WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
        WEBHOOKS_MAX_ATTEMPTS="3",
        WEBHOOKS_RETRY_BASE_SECONDS="1",
    )
    endpoint = register(api, receiver)
    create_draft()

    [delivery] = settled(api, endpoint, 1)
    assert (delivery["state"], delivery["attempts"], delivery["lastStatusCode"]) == (
        "failed",
        3,
        500,
    )
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 500, 500]
    assert len(receiver.received) == 3
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery["eventId"]}
    starts = [int(r.headers["webhook-timestamp"]) for r in receiver.received]
    assert starts[2] - starts[0] >= 2, "1 s, then 2 s between the attempts"

    receiver.statuses = [200]
    response = api.post(f"{HOOKS}/{endpoint['id']}/deliveries/{delivery['id']}/redeliver", {})
    assert response.status_code == 202, response.content
    assert response.json()["state"] in ("pending", "sending", "delivered")
    again = receiver.wait_for(4)[3]
    assert again.verified and again.headers["webhook-id"] == delivery["eventId"]
    assert again.body == receiver.received[0].body, "the same event, byte for byte"
    redelivered = wait_for(
        lambda: WebhookDelivery.objects.filter(id=delivery["id"], state="delivered").first()
    )
    assert redelivered.attempt_log.count() == 4


def test_a_private_target_is_refused_again_at_delivery(
    worker_factory, api, create_draft, local_targets, receiver
):
    worker_factory()  # this worker does not allow private targets
    endpoint = register(api, receiver)
    create_draft()
    [delivery] = settled(api, endpoint, 1)
    assert delivery["state"] == "failed" and delivery["attempts"] == 1
    [attempt] = delivery["attemptLog"]
    assert "127.0.0.1, a loopback address" in attempt["error"] and "statusCode" not in attempt
    assert receiver.received == []


def test_an_event_written_while_the_broker_is_down_is_fanned_out_by_the_sweep(
    worker_factory, api, manager_credentials, good_repo, local_targets, receiver, tmp_path
):
    """The web server's broker is a closed port: the write answers, the sweep sends later."""
    endpoint = register(api, receiver)
    from config.celery import app

    env = stack_environment(
        tmp_path,
        None,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
        CELERY_QUEUE=app.conf.task_default_queue,
    )
    web = WebServer(env, tmp_path).start()
    try:
        status, body = web.request(
            "POST",
            "/connectors/drafts",
            body=draft_body(good_repo.url, key="written-in-an-outage"),
            headers={"Authorization": f"Bearer {api.token}"},
        )
        assert status == 201, body
        # The send fails in the web process's sender thread, after the answer.
        wait_for(lambda: "Task notifications.fan_out was not sent" in web.output(), 60)
    finally:
        web.stop()
    assert not OutboundEvent.objects.exists()

    worker_factory(
        beat=True, WEBHOOKS_ALLOW_PRIVATE_TARGETS="true", NOTIFICATIONS_SWEEP_INTERVAL_SECONDS="2"
    )
    [received] = receiver.wait_for(1, timeout=90)
    assert received.verified
    assert received.json["type"] == "connector_staged.created"
    assert received.json["data"]["key"] == "written-in-an-outage"
    assert [d["state"] for d in settled(api, endpoint, 1)] == ["delivered"]
