"""Webhook deliveries: one attempt at a time, with exponential backoff, each attempt logged.

A delivery is claimed with a conditional UPDATE (``pending`` and due → ``sending``): a
task sent twice, or a sweep's resend racing the original, attempts once. A 2xx answer
delivers it; any other answer, a timeout or a connection error schedules the next attempt
WEBHOOKS_RETRY_BASE_SECONDS × 2^(n-1) later, until WEBHOOKS_MAX_ATTEMPTS; a refused target
(or a disabled endpoint) fails it at once. A redelivery queues it again with the same
``webhook-id`` and body, a fresh timestamp and signature.

The next attempt's task is sent with a countdown after commit; a task the broker lost
(or a worker killed mid-attempt) is found by ``resend_lost`` from the periodic sweep.
"""

from __future__ import annotations

import http.client
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.dispatch import send_task, send_task_on_commit

from .models import WebhookAttempt, WebhookDelivery
from .webhooks import TargetRefused, post, signed_headers

logger = logging.getLogger(__name__)

DELIVER_TASK = "notifications.deliver"
State = WebhookDelivery.State

# A task may start a moment before its countdown ends (clocks of two machines).
EARLY = timedelta(seconds=2)
# A due delivery whose task has not run this long after it was due is sent again.
LATE = timedelta(seconds=60)
BATCH = 500


def queue(delivery_ids: list[str]) -> None:
    """Send the deliveries' tasks once the current transaction commits."""
    for delivery_id in delivery_ids:
        send_task_on_commit(DELIVER_TASK, delivery_id)


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones."""
    return float(settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"No answer within {settings.WEBHOOKS_TIMEOUT_SECONDS} s."
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:1024]


def deliver(delivery_id: str) -> str | None:
    """Make one attempt of a due pending delivery; its new state, or None if not claimed."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        id=delivery_id, state=State.PENDING, next_attempt_at__lte=now + EARLY
    ).update(state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None  # delivered, failed, not due yet, or another worker has it
    delivery = (
        WebhookDelivery.objects.select_related("endpoint", "event").filter(id=delivery_id).first()
    )
    if delivery is None:
        return None  # its endpoint was deleted meanwhile
    endpoint, event = delivery.endpoint, delivery.event
    started = timezone.now()
    clock = time.monotonic()
    status: int | None = None
    excerpt = error = ""
    final = False
    if not endpoint.enabled:
        error, final = "The endpoint is disabled.", True
    else:
        headers = signed_headers(
            secret=endpoint.secret, event_id=event.event_id, timestamp=started, body=event.body
        )
        try:
            answer = post(
                endpoint.url,
                body=event.body.encode(),
                headers=headers,
                timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
            )
            status, excerpt = answer.status, answer.excerpt
        except TargetRefused as refused:
            error, final = str(refused), True
        except (OSError, http.client.HTTPException) as failure:
            error = _describe(failure)
    duration_ms = round((time.monotonic() - clock) * 1000)
    return _settle(
        delivery,
        started=started,
        status=status,
        error=error,
        excerpt=excerpt,
        duration_ms=duration_ms,
        final=final,
    )


def _settle(
    delivery: WebhookDelivery,
    *,
    started: datetime,
    status: int | None,
    error: str,
    excerpt: str,
    duration_ms: int,
    final: bool,
) -> str:
    """Log the attempt and move the delivery on: delivered, failed or due again later."""
    delay: float | None = None
    changes: dict[str, object] = {"next_attempt_at": None}
    if status is not None and 200 <= status < 300:
        changes.update(state=State.DELIVERED, delivered_at=timezone.now())
    elif final or delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        changes.update(state=State.FAILED)
    else:
        delay = backoff(delivery.attempts)
        changes.update(
            state=State.PENDING, next_attempt_at=timezone.now() + timedelta(seconds=delay)
        )
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_log.count() + 1,
            started_at=started,
            duration_ms=duration_ms,
            status_code=status,
            error=error[:1024],
            response_excerpt=excerpt,
        )
        WebhookDelivery.objects.filter(id=delivery.id, state=State.SENDING).update(
            last_status_code=status, last_error=error[:1024], claimed_at=None, **changes
        )
        if delay is not None:
            send_task_on_commit(DELIVER_TASK, str(delivery.id), countdown=delay)
    logger.info(
        "Webhook %s to %s: attempt %s, %s in %s ms",
        delivery.event.event_id,
        delivery.endpoint.url,
        delivery.attempts,
        status if status is not None else error,
        duration_ms,
    )
    return str(changes["state"])


def resend_lost(*, now: datetime | None = None) -> int:
    """The sweep's part: deliveries whose task was lost are sent again.

    A ``sending`` delivery whose worker died (no outcome long after the timeout) is due
    again; a ``pending`` one still waiting LATE after it was due is sent again (the claim
    keeps a duplicate from attempting twice). Returns how many were sent.
    """
    now = now or timezone.now()
    stuck_since = now - timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS) - LATE
    WebhookDelivery.objects.filter(state=State.SENDING, claimed_at__lt=stuck_since).update(
        state=State.PENDING, next_attempt_at=now, claimed_at=None
    )
    lost = WebhookDelivery.objects.filter(
        state=State.PENDING, next_attempt_at__lte=now - LATE
    ).values_list("id", flat=True)[:BATCH]
    return sum(send_task(DELIVER_TASK, str(delivery_id)) for delivery_id in lost)
