"""Writes of the credit layer. Other apps report facts here (never through credit.models)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from instruments.models import Unit

from .models import CreditEvent, subject_key_for
from .params import default_polarity

_subject_listeners: list = []


def credit_subject_changed_connect(listener) -> None:
    """Register a callable(subject_key) run on commit after a subject's ledger changes (the recompute task)."""
    if listener not in _subject_listeners:
        _subject_listeners.append(listener)


def credit_event_record(
    *,
    subject,
    kind: str,
    source: str,
    occurred_at: datetime | None = None,
    source_ref: str = "",
    polarity: int | None = None,
    weight: Decimal | float | int = 1,
    value: Decimal | float | None = None,
    severity: str = "",
    counterparty=None,
    details: dict | None = None,
    recorded_by=None,
) -> CreditEvent:
    """Append one fact to the ledger. Idempotent per (subject, kind, source_ref) when source_ref is set.

    The subject's score is recomputed after the surrounding transaction commits.
    """
    if occurred_at is None:
        occurred_at = timezone.now()
    if timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be timezone-aware")
    key = subject_key_for(subject)
    if source_ref:
        existing = CreditEvent.objects.filter(subject_key=key, kind=kind, source_ref=source_ref).first()
        if existing is not None:
            return existing
    event = CreditEvent(
        subject_user=None if isinstance(subject, Unit) else subject,
        subject_unit=subject if isinstance(subject, Unit) else None,
        subject_key=key,
        kind=kind,
        polarity=default_polarity(kind) if polarity is None else polarity,
        weight=Decimal(str(weight)),
        value=None if value is None else Decimal(str(value)),
        severity=severity,
        source=source,
        source_ref=source_ref,
        counterparty_key=subject_key_for(counterparty) if counterparty is not None else "",
        details=details or {},
        occurred_at=occurred_at,
        recorded_by=recorded_by,
    )
    event.full_clean(exclude=["subject_key", "reverses"])
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        # A concurrent recorder won the race for the same fact: return its row.
        return CreditEvent.objects.get(subject_key=key, kind=kind, source_ref=source_ref)
    for listener in _subject_listeners:
        transaction.on_commit(lambda listener=listener: listener(key))
    return event


@transaction.atomic
def credit_event_reverse(*, event: CreditEvent, reason: str, recorded_by=None) -> CreditEvent:
    """Cancel an event's effect by appending its mirror image (the ledger itself never changes)."""
    subject = event.subject_unit or event.subject_user
    return credit_event_record(
        subject=subject,
        kind=CreditEvent.Kind.REVERSAL,
        source=CreditEvent.Source.ADMIN,
        source_ref=f"reversal:{event.pk}",
        polarity=-event.polarity,
        weight=event.weight,
        details={"reverses": event.pk, "reversed_kind": event.kind, "reason": reason},
        recorded_by=recorded_by,
    )
