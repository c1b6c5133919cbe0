"""The relay, run by Celery beat (schedule created by migration 0002, admins can change it)."""

from __future__ import annotations

import time
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from .services import outbox_relay


def _budget_seconds() -> float:
    """Stop in good time before the soft time limit; the next run goes on where this one stopped."""
    soft = getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", None) or 60
    return max(soft / 2, 5)


@shared_task(acks_late=True)
def relay_outbox() -> dict:
    """Send what is still pending in the outbox (broker outage, a process that died after commit)."""
    return asdict(outbox_relay(deadline=time.monotonic() + _budget_seconds()))
