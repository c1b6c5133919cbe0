"""Every fact bookings report to the credit ledger, one function per fact.

Called by the services inside their transaction, so a fact is recorded exactly when the change
that caused it commits. Each fact names its subject (the requester, or the provider unit), its
counterparty and a source_ref ("booking:<id>", "incident:<id>", "review:<id>", "dispute:<id>"),
which makes recording idempotent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from credit.models import CreditEvent
from credit.params import default_polarity
from credit.services import credit_event_record
from instruments.models import Membership

Kind = CreditEvent.Kind
Source = CreditEvent.Source


def _booking_ref(booking) -> str:
    return f"booking:{booking.pk}"


def is_internal(booking) -> bool:
    """A booking inside one unit: booked for the instrument's own unit, or by one of its members (whichever
    unit they book for: a member of two units cannot launder a booking through the other one)."""
    unit_id = booking.instrument.unit_id
    if booking.requester_unit_id == unit_id:
        return True
    return Membership.objects.filter(user_id=booking.requester_id, unit_id=unit_id).exists()


def _no_self_dealing(booking, kind: str, details: dict) -> tuple[int | None, dict]:
    """Issue 18.3, no self-dealing: a unit booking its own instrument for its members, five stars both ways,
    must not raise anyone's score. The positive facts of an internal booking are recorded (the booking's
    history stays readable) with weight 0 and `internal: true`: they count nothing. Negative facts (no-show,
    late cancellation, damage...) keep their weight: nobody can hide a fault inside their own unit."""
    if default_polarity(kind) <= 0 or not is_internal(booking):
        return None, details
    return 0, {**details, "internal": True}


def _requester_fact(booking, kind: str, occurred_at: datetime, **details):
    weight, details = _no_self_dealing(booking, kind, details)
    return credit_event_record(
        subject=booking.requester,
        kind=kind,
        source=Source.BOOKING,
        source_ref=_booking_ref(booking),
        occurred_at=occurred_at,
        weight=weight,
        counterparty=booking.instrument.unit,
        details={"booking": booking.pk, "instrument": booking.instrument_id, **details},
    )


def _provider_fact(booking, kind: str, occurred_at: datetime, **details):
    weight, details = _no_self_dealing(booking, kind, details)
    return credit_event_record(
        subject=booking.instrument.unit,
        kind=kind,
        source=Source.BOOKING,
        source_ref=_booking_ref(booking),
        occurred_at=occurred_at,
        weight=weight,
        counterparty=booking.requester,
        details={"booking": booking.pk, "instrument": booking.instrument_id, **details},
    )


# --- Facts about the requester ----------------------------------------------------------------


def fact_no_show(booking, *, occurred_at: datetime, automatic: bool):
    return _requester_fact(booking, Kind.NO_SHOW, occurred_at, automatic=automatic)


def fact_late_cancellation(booking, *, occurred_at: datetime):
    return _requester_fact(booking, Kind.LATE_CANCELLATION, occurred_at, start=booking.start.isoformat())


def fact_check_in(booking, *, occurred_at: datetime, punctual: bool):
    kind = Kind.PUNCTUAL_CHECK_IN if punctual else Kind.LATE_CHECK_IN
    minutes_late = max(0, int((occurred_at - booking.start).total_seconds() // 60))
    return _requester_fact(booking, kind, occurred_at, minutes_late=minutes_late)


def fact_booking_fulfilled(booking, *, occurred_at: datetime):
    return _requester_fact(booking, Kind.BOOKING_FULFILLED, occurred_at)


def fact_usage_overrun(booking, *, occurred_at: datetime, booked_hours: Decimal, actual_hours: Decimal):
    return _requester_fact(
        booking, Kind.USAGE_OVERRUN, occurred_at, booked_hours=str(booked_hours), actual_hours=str(actual_hours)
    )


# --- Facts about the provider unit ------------------------------------------------------------


def fact_request_answered(booking, *, occurred_at: datetime, on_time: bool, approved: bool):
    """A timely answer counts for the provider (APPROVED_ON_TIME); a late one against it."""
    kind = Kind.APPROVED_ON_TIME if on_time else Kind.RESPONSE_LATE
    hours = round((occurred_at - booking.created_at).total_seconds() / 3600, 2)
    return _provider_fact(booking, kind, occurred_at, approved=approved, response_hours=hours)


def fact_refusal(booking, *, occurred_at: datetime, justification: str):
    """A refusal the platform's rules justify (`justification`, e.g. the requester's black-list history)
    counts for the provider (REFUSAL_JUSTIFIED); any other refusal counts against its acceptance rate."""
    kind = Kind.REFUSAL_JUSTIFIED if justification else Kind.REFUSAL_UNJUSTIFIED
    extra = {"justification": justification} if justification else {}
    return _provider_fact(booking, kind, occurred_at, reason=booking.refusal_reason, **extra)


def fact_provider_cancellation(booking, *, occurred_at: datetime, reason: str):
    return _provider_fact(booking, Kind.PROVIDER_CANCELLATION, occurred_at, reason=reason)


def fact_service_delivered(booking, *, occurred_at: datetime):
    return _provider_fact(booking, Kind.SERVICE_DELIVERED, occurred_at, actual_hours=str(booking.actual_hours))


# --- Incidents, reviews, disputes -------------------------------------------------------------


def fact_incident_confirmed(incident, *, occurred_at: datetime, severity: str = ""):
    """Confirmed damage or misuse, or fraud upheld by a platform admin, against whichever side it was reported
    about, with its severity (`severity`: the one an admin upheld it at, when not the reported one). Fraud is
    FRAUD_CONFIRMED for either side (the requester, or the provider unit)."""
    booking = incident.booking
    details = {
        "booking": booking.pk,
        "incident": incident.pk,
        "estimated_loss": str(incident.estimated_loss),
        "incident_kind": incident.kind,
    }
    severity = severity or incident.severity
    if severity != incident.severity:
        details["reported_severity"] = incident.severity
    if incident.reporter_side == "provider":
        subject, counterparty = booking.requester, booking.instrument.unit
        kind = Kind.DAMAGE_CONFIRMED if incident.kind == "damage" else Kind.MISUSE_CONFIRMED
    else:
        subject, counterparty = booking.instrument.unit, booking.requester
        kind = Kind.INSTRUMENT_FAULT if incident.kind == "damage" else Kind.BREACH_CONFIRMED
    if incident.kind == "fraud":
        kind = Kind.FRAUD_CONFIRMED
    return credit_event_record(
        subject=subject,
        kind=kind,
        source=Source.INCIDENT,
        source_ref=f"incident:{incident.pk}",
        occurred_at=occurred_at,
        severity=severity,
        counterparty=counterparty,
        details=details,
    )


def fact_review(review, *, subject, author_subject, occurred_at: datetime):
    """The reviewed party receives the stars (value); the author is credited for reviewing."""
    ref = f"review:{review.pk}"
    details = {"booking": review.booking_id, "stars": review.stars, "tags": review.tags}
    # A review between a unit and its own member (an internal booking) weighs nothing, whatever its stars
    # (issue 18.3): None lets the ledger weigh it by the reviewer's credibility.
    weight = None
    if is_internal(review.booking):
        weight, details = 0, {**details, "internal": True}
    received = credit_event_record(
        subject=subject,
        kind=Kind.REVIEW_RECEIVED,
        source=Source.REVIEW,
        source_ref=ref,
        occurred_at=occurred_at,
        value=review.stars,
        weight=weight,
        counterparty=author_subject,
        details=details,
    )
    credit_event_record(
        subject=author_subject,
        kind=Kind.REVIEW_GIVEN,
        source=Source.REVIEW,
        source_ref=ref,
        occurred_at=occurred_at,
        weight=weight,
        counterparty=subject,
        details=details,
    )
    return received


def fact_dispute_decided(dispute, *, winner, loser, occurred_at: datetime):
    """DISPUTE_WON for the winner, DISPUTE_LOST for the loser; a side that is None (the system asserted the
    contested fact) gets nothing."""
    ref = f"dispute:{dispute.pk}"
    details = {"decision": dispute.decision}
    if dispute.incident_id is not None:
        details["incident"] = dispute.incident_id
    else:
        details["fact"] = dispute.fact_id
    if winner is not None:
        credit_event_record(
            subject=winner,
            kind=Kind.DISPUTE_WON,
            source=Source.DISPUTE,
            source_ref=ref,
            occurred_at=occurred_at,
            counterparty=loser,
            details=details,
        )
    if loser is not None:
        credit_event_record(
            subject=loser,
            kind=Kind.DISPUTE_LOST,
            source=Source.DISPUTE,
            source_ref=ref,
            occurred_at=occurred_at,
            counterparty=winner,
            details=details,
        )
