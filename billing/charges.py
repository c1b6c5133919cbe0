"""Charges: what a booking costs (written by the receivers inside the booking's transaction) and their
corrections as adjustment lines. Re-exported by billing.services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.error_codes import BillingErrorCode
from bookings.models import Booking
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError, DomainValidationError

from . import policy
from .models import Charge, InstrumentBilling
from .permissions import can_bill_for, can_pay_for
from .selectors import instrument_billing_get

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# --- Charges from bookings (called by the receivers, inside the booking's transaction) --------


def charge_for_booking(*, booking: Booking, kind: str, at: datetime) -> Charge | None:
    """Write the booking's charge by its instrument's rules. Idempotent: a booking has one charge of its own.

    Use: billed hours (actual, or booked where the instrument bills booked time, rounded up to the
    billing unit) x (the booking's hourly rate + the operator surcharge where assisted). No-show and
    late cancellation: by the instrument's rule, with a forfeited deposit set against the charge.
    Nothing is written when the booking costs nothing.
    """
    existing = Charge.objects.filter(booking=booking).exclude(kind=Charge.Kind.ADJUSTMENT).first()
    if existing is not None:
        return existing
    rules = instrument_billing_get(booking.instrument)
    forfeited = booking.deposit_amount if booking.deposit_state == Booking.DepositState.FORFEITED else Decimal(0)
    quote: policy.ChargeQuote | None
    if kind == Charge.Kind.USAGE:
        quote = _usage_quote(booking)
        if quote.gross <= 0:
            return None
    else:
        no_show = kind == Charge.Kind.NO_SHOW
        quote = policy.penalty_quote(
            rule=rules.no_show_rule if no_show else rules.late_cancellation_rule,
            fee=rules.no_show_fee if no_show else rules.late_cancellation_fee,
            booked_hours=booking.booked_hours,
            unit_minutes=rules.billing_unit_minutes,
            rate=booking.hourly_rate,
            forfeited_deposit=forfeited,
        )
        if quote is None:
            return None
    charge = Charge(
        kind=kind,
        booking=booking,
        instrument=booking.instrument,
        provider_unit_id=booking.instrument.unit_id,
        payer_unit_id=booking.requester_unit_id,
        project_code=booking.project_code,
        hours=quote.hours,
        rate_kind=booking.rate_kind,
        rate=quote.rate,
        surcharge_rate=quote.surcharge_rate,
        fee=quote.fee,
        deposit_applied=quote.deposit_applied,
        amount=quote.amount,
        incurred_at=at,
    )
    charge.save()
    return charge


def _usage_quote(booking: Booking) -> policy.ChargeQuote:
    rules = instrument_billing_get(booking.instrument)
    return policy.usage_quote(
        actual_hours=booking.actual_hours,
        booked_hours=booking.booked_hours,
        bill_booked=rules.basis == InstrumentBilling.Basis.BOOKED,
        unit_minutes=rules.billing_unit_minutes,
        rate=booking.hourly_rate,
        operator_assisted=booking.operator_assisted,
        surcharge_per_hour=rules.operator_surcharge_per_hour,
    )


def charge_correct_usage(*, booking: Booking, actor: User, at: datetime, reason: str) -> Charge | None:
    """A completed booking's hours were corrected: its use charge follows. An adjustment line (author: who
    corrected, with their reason) for the difference between what the new hours cost and what the charge
    amounts to now; the charge itself when the old hours cost nothing. Nothing when the amount is unchanged
    (the instrument bills booked time, or both round to the same billing unit). Inside the correction's
    transaction."""
    charge = (
        Charge.objects.select_for_update(of=("self",))
        .filter(booking=booking)
        .exclude(kind=Charge.Kind.ADJUSTMENT)
        .first()
    )
    if charge is None:
        return charge_for_booking(booking=booking, kind=Charge.Kind.USAGE, at=at)
    if charge.kind != Charge.Kind.USAGE:
        return None
    difference = _usage_quote(booking).amount - _charge_net(charge)
    if difference == 0:
        return None
    return _adjustment_line(
        charge,
        amount=difference,
        reason=_("Hours used corrected to %(hours)s: %(reason)s") % {"hours": booking.actual_hours, "reason": reason},
        actor=actor,
        at=at,
    )


def _charge_net(charge: Charge) -> Decimal:
    """What a charge amounts to after its adjustment lines."""
    return charge.amount + (charge.adjustments.aggregate(total=Sum("amount"))["total"] or Decimal(0))


def _adjustment_line(charge: Charge, *, amount: Decimal, reason: str, actor: User, at: datetime) -> Charge:
    """An adjustment line of a booking's charge: same booking, parties, project and rate; its own amount and reason."""
    return Charge.objects.create(
        kind=Charge.Kind.ADJUSTMENT,
        booking_id=charge.booking_id,
        instrument_id=charge.instrument_id,
        provider_unit_id=charge.provider_unit_id,
        payer_unit_id=charge.payer_unit_id,
        project_code=charge.project_code,
        rate_kind=charge.rate_kind,
        amount=amount,
        adjusts=charge,
        reason=reason,
        created_by=actor,
        incurred_at=at,
    )


def charge_credit_dismissed_no_show(*, booking: Booking, actor: User, at: datetime) -> Charge | None:
    """A no-show an admin dismissed costs nothing: a negative adjustment line (author: the admin who decided)
    takes off what its charge still amounts to, billed or not, so the paying unit's next statement (or the
    open balance, when it was billed) shows the credit. Nothing when it was never charged (the usual case: a
    no-show is charged only once recorded) or already credited. Idempotent; inside the decision's transaction."""
    charge = Charge.objects.select_for_update(of=("self",)).filter(booking=booking, kind=Charge.Kind.NO_SHOW).first()
    if charge is None:
        return None
    remaining = _charge_net(charge)
    if remaining <= 0:
        return None
    return _adjustment_line(
        charge,
        amount=-remaining,
        reason=_("No-show dismissed on appeal: the no-show charge is credited."),
        actor=actor,
        at=at,
    )


def charge_adjust(
    *, charge_id: int, actor: User, amount: Decimal | str | int, reason: str, now: datetime | None = None
) -> Charge:
    """A correction: a new line (positive or negative) against a charge, with its reason and author."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    value = policy.amount_parse(amount, allow_negative=True)
    if not reason:
        raise DomainValidationError(_("Say why the charge is corrected."), field="reason")
    with transaction.atomic():
        original = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("booking", "instrument")
            .filter(pk=charge_id)
            .first()
        )
        if original is None or not can_bill_for(actor, original.provider_unit_id):
            if original is not None and can_pay_for(actor, original.payer_unit_id):
                raise DomainPermissionError(_("Only the provider unit can correct its charges."))
            raise DomainNotFoundError(_("No such charge."))
        if original.kind == Charge.Kind.ADJUSTMENT:
            raise DomainValidationError(
                _("Correct the original charge, not one of its adjustments."),
                field="charge",
                code=BillingErrorCode.ADJUST_ADJUSTMENT,
            )
        net = _charge_net(original)
        if net + value < 0:
            raise DomainValidationError(
                _("This correction would make the charge negative: at most %(max)s CNY can be taken off.")
                % {"max": net},
                field="amount",
                code=BillingErrorCode.CHARGE_NEGATIVE,
            )
        adjustment = _adjustment_line(original, amount=value, reason=reason, actor=actor, at=now)
    return adjustment
