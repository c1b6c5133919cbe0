"""The credit facts billing reports: a statement paid on time, or paid late (or not at all by its due date).

Recorded through credit's one fact interface (`credit_event_record`), inside the caller's
transaction, once per statement: the source_ref "statement:<id>" makes recording idempotent.
The subject is the paying unit; the counterparty is the provider unit.
"""

from __future__ import annotations

from datetime import datetime

from credit.models import CreditEvent
from credit.selectors import credit_event_for_fact
from credit.services import credit_event_record, credit_event_reverse

Kind = CreditEvent.Kind


def _ref(statement) -> str:
    return f"statement:{statement.pk}"


def _details(statement, **extra) -> dict:
    return {
        "statement": statement.pk,
        "reference": statement.reference,
        "total": str(statement.total),
        "due_date": statement.due_date.isoformat(),
        **extra,
    }


def _record(statement, kind: str, occurred_at: datetime, **extra):
    return credit_event_record(
        subject=statement.payer_unit,
        kind=kind,
        source=CreditEvent.Source.STATEMENT,
        source_ref=_ref(statement),
        occurred_at=occurred_at,
        counterparty=statement.provider_unit,
        details=_details(statement, **extra),
    )


def fact_payment_late(statement, *, occurred_at: datetime):
    """Unpaid past its due date (found by the overdue sweep), or paid in full only after it."""
    return _record(statement, Kind.PAYMENT_LATE, occurred_at)


def fact_payment_on_time(statement, *, occurred_at: datetime, recorded_by=None):
    """Paid in full by the due date. If the provider recorded the payment only after the sweep had
    counted the statement late, the late fact is reversed: the payer kept its commitment."""
    late = credit_event_for_fact(subject=statement.payer_unit, kind=Kind.PAYMENT_LATE, source_ref=_ref(statement))
    if late is not None:
        credit_event_reverse(
            event=late,
            reason=f"statement {statement.reference} was paid on {statement.paid_on.isoformat()}, by its due date",
            recorded_by=recorded_by,
        )
    return _record(statement, Kind.PAYMENT_ON_TIME, occurred_at, paid_on=statement.paid_on.isoformat())


def fact_statement_withdrawn(statement, *, recorded_by=None) -> None:
    """A cancelled statement was never owed: a late-payment fact already recorded for it is reversed."""
    late = credit_event_for_fact(subject=statement.payer_unit, kind=Kind.PAYMENT_LATE, source_ref=_ref(statement))
    if late is not None:
        credit_event_reverse(
            event=late, reason=f"statement {statement.reference} was cancelled", recorded_by=recorded_by
        )
