"""Thin Celery wrappers: take ids, call a service, idempotent (acks_late, see settings' reliability block)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from sharing_platform import outbox

from . import services
from .models import CreditRun
from .recompute import recompute_all, recompute_subject

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_subject_task(subject_key: str) -> int | None:
    """Fast path: recompute one subject right after its ledger changed (queued in the outbox with the change)."""
    snapshot = recompute_subject(subject_key)
    return snapshot.score if snapshot else None


def _budget_seconds() -> float:
    """Stop a full run in good time before the soft limit; the continuation resumes from the cursor."""
    soft = getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", None) or 300
    return max(soft - 10, 5)


@shared_task(bind=True, acks_late=True)
def recompute_all_task(self, run_id: str | None = None) -> str:
    """Nightly: recompute everyone. The task id is the run id, so a redelivered message resumes its run."""
    run_id = run_id or self.request.id
    outcome = recompute_all(run_id=run_id, deadline=time.monotonic() + _budget_seconds())
    if outcome.status == "already_running" and CreditRun.objects.filter(run_id=run_id, status="running").exists():
        # This run was redelivered after its worker died; the dead worker's database session (and with it
        # the advisory lock) may take a moment to go away. Try again shortly instead of dropping the run.
        raise self.retry(countdown=5, max_retries=24)
    if outcome.status == "partial":
        # Time budget spent: hand over to a fresh task (same run, same as_of) before the time limit hits;
        # through the outbox, so a broker hiccup right now does not leave the run half done until tomorrow.
        outbox.enqueue(recompute_all_task, run_id=str(outcome.run_id))
    logger.info("credit full run %s: %s (%s subjects)", outcome.run_id, outcome.status, outcome.subjects)
    return outcome.status


@shared_task(acks_late=True)
def propose_list_entries_task() -> int:
    """Nightly: propose red and black list entries by rule (admins confirm before anything is published)."""
    return len(services.list_entries_propose())


@shared_task(acks_late=True)
def expire_list_entries_task() -> int:
    """Hourly: end the publication of entries past their end date."""
    return services.list_entries_expire()


@shared_task(acks_late=True)
def review_trusted_badges_task() -> dict:
    """Daily: award this quarter's trusted provider badges and revoke the ones whose criteria lapsed."""
    return services.trusted_badges_review()
