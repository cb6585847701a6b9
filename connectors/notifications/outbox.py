"""The fan-out of a draft event: its webhook deliveries and its emails, once.

``fan_out`` runs in a worker (task ``notifications.fan_out``, sent after the event's write
commits). Its mark is the ``OutboundEvent`` row: inserting it is the claim, so an event
sent twice, or found by the sweep while its own task runs, is fanned out once. In the
same transaction it creates one delivery per enabled endpoint of the draft's project;
after commit it sends their tasks and the event's email task.

``sweep`` (Celery beat) finds the events that were never fanned out (their task never
reached the broker) from a cursor over the history, so it reads only new events.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mailers
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.dispatch import send_task_on_commit
from connectors.models import DraftEvent

from . import deliveries
from .catalog import describe, new_event_id, webhook_body
from .emails import message, notes_for, wanted
from .models import OutboundEvent, OutboxCursor, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

EMAIL_TASK = "notifications.send_emails"

# An event this recent is left to its own task; the sweep takes it after.
GRACE = timedelta(seconds=10)
# The cursor passes events this old: any transaction that wrote one is long over.
SETTLED = timedelta(minutes=10)
BATCH = 500


def _event(event_id: int) -> DraftEvent | None:
    return (
        DraftEvent.objects.select_related("draft__project", "draft__claimed_by")
        .filter(id=event_id)
        .first()
    )


def fan_out(event_id: int) -> bool:
    """Fan the event out; False when it is gone (its draft was deleted) or already done.

    Writes the mark and the deliveries in one transaction; enqueues the deliveries and
    the emails after it commits.
    """
    event = _event(event_id)
    if event is None:
        return False
    draft = event.draft
    described = describe(event)
    with transaction.atomic():
        outbound_id = new_event_id()
        try:
            with transaction.atomic():
                outbound = OutboundEvent.objects.create(
                    draft_event_id=event.id,
                    event_id=outbound_id,
                    project_id=draft.project_id,
                    draft_id=draft.id,
                    type=described.type,
                    body=webhook_body(
                        event_id=outbound_id, event=event, draft=draft, described=described
                    ),
                )
        except IntegrityError:
            return False  # fanned out already
        endpoints = WebhookEndpoint.objects.filter(project_id=draft.project_id, enabled=True)
        created = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event=outbound, next_attempt_at=timezone.now())
            for endpoint in endpoints
        )
        deliveries.queue([str(delivery.id) for delivery in created])
        if wanted(notes_for(event, described, draft)):
            send_task_on_commit(EMAIL_TASK, event.id)
    return True


def send_emails(event_id: int) -> int:
    """Send the event's emails (to the people it concerns who want them); how many.

    Raises what the mail backend raises (SMTP down): the task tries again.
    """
    event = _event(event_id)
    if event is None:
        return 0
    described = describe(event)
    notes = wanted(notes_for(event, described, event.draft))
    messages = [message(n, event=event, described=described, draft=event.draft) for n in notes]
    if not messages:
        return 0
    with mailers.default as connection:
        return connection.send_messages(messages) or 0


def forget_old_events(*, now: datetime | None = None) -> int:
    """Delete the events (and their deliveries and attempts) older than WEBHOOKS_LOG_DAYS,
    a batch at a time; how many. The cursor is long past them."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    old = OutboundEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)
    deleted, _ = OutboundEvent.objects.filter(pk__in=list(old[:BATCH])).delete()
    return deleted


def sweep(*, now: datetime | None = None) -> int:
    """Fan out the events after the cursor that were not, then move the cursor past the
    settled ones. Returns how many it fanned out."""
    now = now or timezone.now()
    cursor, _ = OutboxCursor.objects.get_or_create(id=1)
    start = cursor.last_event_id
    rows = list(
        DraftEvent.objects.filter(id__gt=start)
        .order_by("id")
        .values_list("id", "created_at")[:BATCH]
    )
    done = set(
        OutboundEvent.objects.filter(draft_event_id__in=[row[0] for row in rows]).values_list(
            "draft_event_id", flat=True
        )
    )
    fanned = 0
    for event_id, created_at in rows:
        if event_id in done or created_at > now - GRACE:
            continue
        try:
            fanned += fan_out(event_id)
        except Exception:
            logger.exception("Draft event %s could not be fanned out", event_id)
            continue
        done.add(event_id)
    last = start
    for event_id, created_at in rows:
        if created_at > now - SETTLED:
            break
        if event_id not in done:
            logger.error("Draft event %s was never fanned out; the sweep passes it", event_id)
        last = event_id
    if last != start:
        OutboxCursor.objects.filter(id=1, last_event_id=start).update(last_event_id=last)
    if fanned:
        logger.info("The sweep fanned out %s draft event(s) that had not been", fanned)
    return fanned
