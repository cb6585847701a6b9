"""Celery tasks of notifications: ids in, one call to the outbox or the deliveries."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from connectors.dispatch import FAN_OUT_TASK

from . import deliveries, outbox


@shared_task(name=FAN_OUT_TASK, acks_late=True)
def fan_out(event_id: int) -> bool:
    return outbox.fan_out(event_id)


@shared_task(
    name=outbox.EMAIL_TASK,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    max_retries=5,
)
def send_emails(event_id: int) -> int:
    return outbox.send_emails(event_id)


@shared_task(name=deliveries.DELIVER_TASK, acks_late=True, soft_time_limit=120, time_limit=150)
def deliver(delivery_id: str) -> str | None:
    return deliveries.deliver(delivery_id)


@shared_task(name="notifications.sweep")
def sweep() -> list[int]:
    return [outbox.sweep(), deliveries.resend_lost(), outbox.forget_old_events()]
