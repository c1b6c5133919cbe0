"""Thin Celery wrappers: take ids, call a service, idempotent (acks_late, see settings' reliability block)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import services
from .models import CreditRun
from .recompute import recompute_all_plan, recompute_batch, recompute_subject
from .services.list_ends import list_entries_ended_robots_notify

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_subject_task(subject_key: str) -> int | None:
    """Fast path: recompute one subject right after its ledger changed (queued in the outbox with the change)."""
    snapshot = recompute_subject(subject_key)
    return snapshot.score if snapshot else None


@shared_task(bind=True, acks_late=True)
def recompute_all_task(self, run_id: str | None = None) -> str:
    """Nightly: recompute everyone, in batches that any number of workers take in parallel.

    The task id is the run id: a redelivered message resumes its run (only the batches not done yet
    are queued again; a batch queued twice is done once). Batches go out through the outbox, with
    the run's plan, so a broker hiccup cannot leave a run planned but never started.
    """
    run_id = run_id or self.request.id
    outcome = recompute_all_plan(run_id=run_id, queue=True)
    if outcome.status == "already_running" and CreditRun.objects.filter(run_id=run_id, status="running").exists():
        # This run was redelivered after its worker died; the dead worker's database session (and with it
        # the advisory lock) may take a moment to go away. Try again shortly instead of dropping the run.
        raise self.retry(countdown=5, max_retries=24)
    logger.info("credit full run %s: %s (%s batches queued)", outcome.run_id, outcome.status, outcome.batches)
    return outcome.status


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_batch_task(batch_id: int) -> str:
    """One batch of a parallel full run (idempotent: a batch already done, or being done, is skipped)."""
    return recompute_batch(batch_id)


@shared_task(acks_late=True)
def propose_list_entries_task() -> int:
    """Nightly: propose red and black list entries by rule (admins confirm before anything is published)."""
    return len(services.list_entries_propose())


@shared_task(acks_late=True)
def expire_list_entries_task() -> int:
    """Hourly: end the publication of entries past their end date, then tell the group robots told of their
    publication (and of any other end in the last 30 days a receiver could not tell)."""
    expired = services.list_entries_expire()
    list_entries_ended_robots_notify(since=timezone.now() - timedelta(days=30))
    return expired


@shared_task(acks_late=True)
def review_trusted_badges_task() -> dict:
    """Daily: award this quarter's trusted provider badges and revoke the ones whose criteria lapsed."""
    return services.trusted_badges_review()
