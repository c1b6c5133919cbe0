"""Celery tasks of the bookings app: thin, idempotent wrappers around services."""

from celery import shared_task

from .services.attendance import bookings_mark_no_shows
from .services.contests import contestable_facts_record_due


@shared_task(name="bookings.tasks.mark_no_shows", acks_late=True)
def mark_no_shows() -> list[int]:
    """Mark approved bookings nobody checked in to as no-shows (frees the slot, records the fact)."""
    return bookings_mark_no_shows()


@shared_task(name="bookings.tasks.record_uncontested_facts", acks_late=True)
def record_uncontested_facts() -> list[int]:
    """Record in the credit ledger the one-sided facts (no-shows, overruns) whose window to contest has passed."""
    return contestable_facts_record_due()
