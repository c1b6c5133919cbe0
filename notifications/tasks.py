"""Thin Celery wrappers for robot messages: take ids, idempotent (a sent message is never sent again)."""

from __future__ import annotations

import math

from celery import shared_task
from django.utils import timezone

from . import services
from .models import RobotMessage


@shared_task(name="notifications.tasks.deliver_robot_message", acks_late=True)
def deliver_robot_message(message_id: int) -> str | None:
    """One attempt; on a transient failure the next one is queued after an exponential backoff
    (NOTIFICATIONS_ROBOT_RETRY_SECONDS x 2^(attempt-1)), up to NOTIFICATIONS_ROBOT_MAX_ATTEMPTS."""
    message = services.robot_message_attempt(message_id)
    if message is None:
        return None
    # Eagerly (the embedded default, no broker) a retry would run at once in the caller's thread: leave it
    # to the resume sweep instead.
    if (
        message.status == RobotMessage.Status.RETRYING
        and message.next_retry_at is not None  # always set with RETRYING
        and not deliver_robot_message.app.conf.task_always_eager
    ):
        countdown = max(0, math.ceil((message.next_retry_at - timezone.now()).total_seconds()))
        deliver_robot_message.apply_async((message_id,), countdown=countdown)
    return message.status


@shared_task(name="notifications.tasks.resume_robot_messages", acks_late=True)
def resume_robot_messages() -> int:
    """Every few minutes (beat): queue again the messages whose queued attempt was lost."""
    overdue = services.robot_messages_overdue()
    services.robot_messages_queue(overdue)
    return len(overdue)
