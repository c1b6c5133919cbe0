"""Incidents: a party reports damage, misuse or fraud; for damage and misuse, the other side confirms it or
contests it (a dispute).

A fraud report is different: no party can confirm it (not the accused, not the provider), so it opens
a dispute at once and only a platform admin's decision (disputes.dispute_decide) upholds it, as the
FRAUD_CONFIRMED fact against the accused side; a dismissed one records nothing against them. The
accused may still answer it (contest) before the decision. One fraud report per booking may be open.

A report against the requester keeps the booking's deposit held until it is settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.permissions import is_platform_admin, is_unit_member
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .. import facts
from ..error_codes import BookingErrorCode
from ..models import Booking, BookingState, Dispute, Incident, IncidentAttachment, Side
from ..permissions import booking_side
from .history import booking_history_note
from .locking import lock_booking, lock_incident, require_state

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DepositState = Booking.DepositState


def deposit_refund_blocked(booking: Booking) -> bool:
    """An open report (damage, misuse or fraud) against the requester keeps the deposit held until it is settled."""
    return booking.incidents.filter(
        reporter_side=Side.PROVIDER, state__in=[Incident.State.REPORTED, Incident.State.CONTESTED]
    ).exists()


def incident_report(
    *,
    booking_id: int,
    reporter: User,
    kind: str,
    severity: str,
    description: str,
    estimated_loss: Decimal | str | int = Decimal("0"),
    files: Sequence = (),
) -> Incident:
    """A party to an in-use or completed booking reports damage, misuse or fraud, with files; a history line
    notes it. A fraud report opens its dispute at once, for a platform admin to decide."""
    if kind not in Incident.Kind.values:
        raise DomainValidationError(_("Kind must be damage, misuse or fraud."), field="kind")
    if severity not in Incident.Severity.values:
        raise DomainValidationError(_("Severity must be minor, general or serious."), field="severity")
    if not (description or "").strip():
        raise DomainValidationError(_("Describe what happened."), field="description")
    try:
        loss = Decimal(str(estimated_loss or "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise DomainValidationError(_("The estimated loss must be an amount in CNY."), field="estimated_loss") from None
    if loss < 0:
        raise DomainValidationError(_("The estimated loss cannot be negative."), field="estimated_loss")
    with transaction.atomic():
        booking = lock_booking(booking_id)
        side = booking_side(reporter, booking)
        if side is None:
            raise DomainPermissionError(_("Only the parties to this booking can report an incident."))
        if kind == Incident.Kind.FRAUD:
            _require_fraud_reporter(reporter, booking, side)
        require_state(booking, [BookingState.IN_USE, BookingState.COMPLETED], _("the subject of an incident report"))
        if kind == Incident.Kind.FRAUD and _open_fraud_report(booking).exists():
            raise _fraud_report_open_error()
        try:
            with transaction.atomic():  # the constraint guards what the check above (under the booking lock) says
                incident = Incident.objects.create(
                    booking=booking,
                    reported_by=reporter,
                    reporter_side=side,
                    kind=kind,
                    severity=severity,
                    estimated_loss=loss,
                    description=description.strip(),
                )
        except IntegrityError:
            raise _fraud_report_open_error() from None
        if kind == Incident.Kind.FRAUD:
            Dispute.objects.create(incident=incident, opened_by=reporter, reason=incident.description)
        IncidentAttachment.objects.bulk_create([IncidentAttachment(incident=incident, file=f) for f in files])
        booking_history_note(
            booking=booking,
            actor=reporter,
            action="incident_reported",
            reason=f"#{incident.pk} {kind} ({severity})",
            at=timezone.now(),
        )
    return incident


def _open_fraud_report(booking: Booking):
    return booking.incidents.filter(
        kind=Incident.Kind.FRAUD, state__in=[Incident.State.REPORTED, Incident.State.CONTESTED]
    )


def _fraud_report_open_error() -> DomainConflictError:
    return DomainConflictError(
        _("A fraud report on this booking is already waiting for an administrator's decision."),
        code=BookingErrorCode.ALREADY_REPORTED,
    )


def _require_fraud_reporter(reporter: User, booking: Booking, side: str) -> None:
    """A fraud report comes from the requester or a member of the provider unit, not from a platform admin
    acting for the provider: administrators decide fraud reports, they do not file them."""
    if side == Side.PROVIDER and not is_unit_member(reporter, booking.instrument.unit):
        raise DomainPermissionError(
            _("Only the parties to this booking can report fraud; a platform administrator decides the reports.")
        )


def _accused_may_answer(actor, incident: Incident) -> bool:
    side = booking_side(actor, incident.booking)
    return side is not None and side != incident.reporter_side


def settle_confirmed(incident: Incident, *, now: datetime, severity: str = "") -> None:
    """A confirmed incident is a fact against the accused (at `severity` when an admin decided another one than
    reported); confirmed damage by the requester forfeits the deposit."""
    facts.fact_incident_confirmed(incident, occurred_at=now, severity=severity or incident.severity)
    booking = incident.booking
    if (
        incident.reporter_side == Side.PROVIDER
        and incident.kind == Incident.Kind.DAMAGE
        and booking.deposit_state == DepositState.HELD
    ):
        booking.deposit_state = DepositState.FORFEITED
        booking.save(update_fields=["deposit_state", "updated_at"])
    elif (
        booking.state == BookingState.COMPLETED
        and booking.deposit_state == DepositState.HELD
        and not deposit_refund_blocked(booking)
    ):
        booking.deposit_state = DepositState.REFUNDED
        booking.save(update_fields=["deposit_state", "updated_at"])


def incident_confirm(*, incident_id: int, actor: User, now: datetime | None = None) -> Incident:
    """The other side (or a platform admin) confirms the report. A fraud report is never confirmed: it is
    decided by a platform admin as a dispute."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = lock_incident(incident_id)
        if incident.kind == Incident.Kind.FRAUD:
            raise DomainPermissionError(
                _("A fraud report cannot be confirmed: only a platform administrator decides it, as a dispute.")
            )
        if not (_accused_may_answer(actor, incident) or is_platform_admin(actor)):
            raise DomainPermissionError(_("Only the other side of the booking can confirm this report."))
        if incident.state != Incident.State.REPORTED:
            raise DomainConflictError(
                _("This incident is %(state)s; it cannot be confirmed.")
                % {"state": incident.get_state_display().lower()},
                code=BookingErrorCode.WRONG_STATE,
            )
        incident.state, incident.responded_by, incident.responded_at = Incident.State.CONFIRMED, actor, now
        incident.save()
        settle_confirmed(incident, now=now)
    return incident


def incident_contest(*, incident_id: int, actor: User, reason: str, now: datetime | None = None) -> Dispute:
    """The other side contests the report: it becomes a dispute for a platform admin. A fraud report has its
    dispute already: contesting it adds the accused side's answer to it."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        incident = lock_incident(incident_id)
        if not _accused_may_answer(actor, incident):
            raise DomainPermissionError(_("Only the other side of the booking can contest this report."))
        if incident.state != Incident.State.REPORTED:
            raise DomainConflictError(
                _("This incident is %(state)s; it cannot be contested.")
                % {"state": incident.get_state_display().lower()},
                code=BookingErrorCode.WRONG_STATE,
            )
        if not reason:
            raise DomainValidationError(_("Say why you contest the report."), field="reason")
        incident.state, incident.responded_by, incident.responded_at = Incident.State.CONTESTED, actor, now
        incident.response = reason
        incident.save()
        if incident.kind == Incident.Kind.FRAUD:
            return Dispute.objects.get(incident=incident)
        dispute = Dispute.objects.create(incident=incident, opened_by=actor, reason=reason)
    return dispute
