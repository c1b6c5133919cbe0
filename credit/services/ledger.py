"""The credit ledger: facts appended (never changed), reversals as mirror images, the recompute they queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from instruments.models import Unit
from sharing_platform import outbox

from .. import params
from ..models import CreditEvent, CreditScore, subject_key_for
from ..params import default_polarity
from ..selectors import credit_history_of_user
from .persons import person_fact_follow, person_fact_reversed

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def credit_event_record(
    *,
    subject: User | Unit,
    kind: str,
    source: str,
    occurred_at: datetime | None = None,
    source_ref: str = "",
    polarity: int | None = None,
    weight: Decimal | float | int | None = None,
    value: Decimal | float | None = None,
    severity: str = "",
    counterparty: User | Unit | None = None,
    details: dict | None = None,
    recorded_by: User | None = None,
) -> CreditEvent:
    """Append one fact to the ledger. Idempotent per (subject, kind, source_ref) when source_ref is set.

    The subject's score is recomputed after the surrounding transaction commits. A review received
    without an explicit weight is weighted by the reviewer's own credibility (their latest score).
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
    if weight is None:
        weight = _review_weight(counterparty) if kind == CreditEvent.Kind.REVIEW_RECEIVED else 1
    counterparty_key = subject_key_for(counterparty) if counterparty is not None else ""
    if weight and _counterparty_capped(key, counterparty_key, kind, value, occurred_at):
        weight, details = 0, {**(details or {}), "counterparty_cap": True}
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
        counterparty_key=counterparty_key,
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
    _queue_recompute(key)
    person_fact_follow(event)  # issue 18.2: a negative fact follows the person's other accounts
    return event


def counts_as_positive(kind: str, value: Decimal | float | None) -> bool:
    """Whether a fact of this kind (a review: with these stars) is one COUNTERPARTY_CAP_FACTS counts."""
    if kind not in params.COUNTERPARTY_CAP_KINDS:
        return False
    if kind in params.REVIEW_KINDS:
        return value is not None and value >= params.REVIEW_POSITIVE_STARS
    return True


def _counterparty_capped(key: str, counterparty_key: str, kind: str, value, occurred_at: datetime) -> bool:
    """Issue 18.3: the counterparty already gave this subject COUNTERPARTY_CAP_FACTS positive facts of this kind
    that count (weight not 0) within the window before this one, so this one counts nothing."""
    if not counterparty_key or counterparty_key == key or not counts_as_positive(kind, value):
        return False
    given = CreditEvent.objects.filter(
        subject_key=key,
        counterparty_key=counterparty_key,
        kind=kind,
        occurred_at__gt=occurred_at - timedelta(days=params.COUNTERPARTY_CAP_WINDOW_DAYS),
        occurred_at__lte=occurred_at,
    ).exclude(weight=0)
    if kind in params.REVIEW_KINDS:
        given = given.filter(value__gte=params.REVIEW_POSITIVE_STARS)
    return given[: params.COUNTERPARTY_CAP_FACTS].count() >= params.COUNTERPARTY_CAP_FACTS  # stops at the cap


def _review_weight(reviewer) -> Decimal:
    """A reviewer's credibility: their latest score mapped onto REVIEW_WEIGHT_RANGE (unscored: 1), reduced for a
    person with a thin file (params.REVIEW_WEIGHT_THIN_FILE_FACTOR; a unit's history is not counted)."""
    if reviewer is None:
        return Decimal(1)
    score = (
        CreditScore.objects.filter(subject_key=subject_key_for(reviewer))
        .order_by("-as_of", "-id")
        .values_list("score", flat=True)
        .first()
    )
    thin_file = not isinstance(reviewer, Unit) and not credit_history_of_user(reviewer).sufficient
    return Decimal(str(params.review_weight(score, thin_file=thin_file)))


@transaction.atomic
def credit_event_reverse(*, event: CreditEvent, reason: str, recorded_by: User | None = None) -> CreditEvent:
    """Cancel an event's effect by appending its mirror image (the ledger itself never changes)."""
    subject = event.subject_unit or event.subject_user
    if subject is None:  # cannot happen: credit_event_exactly_one_subject
        raise ValueError("A credit event concerns exactly one subject.")
    reversal = credit_event_record(
        subject=subject,
        kind=CreditEvent.Kind.REVERSAL,
        source=CreditEvent.Source.ADMIN,
        source_ref=f"reversal:{event.pk}",
        polarity=-event.polarity,
        weight=event.weight,
        details={"reverses": event.pk, "reversed_kind": event.kind, "reason": reason},
        recorded_by=recorded_by,
    )
    person_fact_reversed(event=event, reason=reason, recorded_by=recorded_by)
    return reversal


def _queue_recompute(subject_key: str) -> None:
    """Queue the subject's recompute in the outbox, with the change: sent after commit, never for a rollback."""
    from ..tasks import recompute_subject_task  # tasks import these services

    outbox.enqueue(recompute_subject_task, subject_key)
