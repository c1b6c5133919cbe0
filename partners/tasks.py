"""Thin Celery wrappers for webhooks: take ids, idempotent (a delivered delivery is never sent again)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import webhooks
from .models import WebhookDelivery

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str | None:
    """One attempt; on failure the next attempt is queued with a countdown of 2**attempt seconds,
    up to PARTNERS_WEBHOOK_MAX_ATTEMPTS (then the delivery is marked failed; an admin can replay it)."""
    delivery = webhooks.delivery_attempt(delivery_id)
    if delivery is None:
        return None
    if delivery.status == WebhookDelivery.Status.RETRYING and delivery.next_retry_at is not None:
        countdown = max(0, int((delivery.next_retry_at - timezone.now()).total_seconds()))
        deliver_webhook.apply_async((delivery_id,), countdown=countdown)
    return delivery.status


def enqueue_delivery(delivery_id: int) -> None:
    """From the resume sweep (a worker): queue an attempt again; a broker outage is logged, the next sweep retries."""
    try:
        deliver_webhook.delay(delivery_id)
    except Exception:
        logger.exception("could not queue webhook delivery %s", delivery_id)


@shared_task(acks_late=True)
def check_tier_change(subject_key: str) -> int:
    """Queued (outbox) on credit_score_changed when a subject's tier moved: webhooks. Idempotent per snapshot."""
    from .signals import tier_change_notify

    return tier_change_notify(subject_key)


@shared_task(acks_late=True)
def purge_idempotency_records() -> int:
    """Hourly: forget Idempotency-Keys past their time to live."""
    from .services import idempotency_records_purge

    return idempotency_records_purge()


@shared_task(acks_late=True)
def resume_webhook_deliveries() -> int:
    """Every 5 minutes: queue again deliveries whose queued attempt was lost (broker restart)."""
    from .services import webhook_deliveries_overdue

    overdue = webhook_deliveries_overdue()
    for delivery_id in overdue:
        enqueue_delivery(delivery_id)
    return len(overdue)


@shared_task(acks_late=True)
def announce_expired_list_entries() -> int:
    """Hourly: list_entry.lifted for entries whose publication ran out (credit's bulk expiry sends no signal)."""
    from .signals import expired_list_entries_announce

    return expired_list_entries_announce()
