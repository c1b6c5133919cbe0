"""Pure billing rules: hours to bill, what a booking costs, what is due when. No queries, no writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from billing.error_codes import BillingErrorCode
from sharing_platform.errors import DomainValidationError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")


def money(value) -> Decimal:
    """CNY rounded half-up to the fen (0.005 -> 0.01), as invoices round."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def amount_parse(value, *, field: str = "amount", allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """An amount typed by a person: a number with at most two decimals; refused otherwise, never rounded."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise DomainValidationError(_("Give the amount as a number of yuan, e.g. 1250.50."), field=field) from None
    if not amount.is_finite():
        raise DomainValidationError(_("Give the amount as a number of yuan, e.g. 1250.50."), field=field)
    if amount != amount.quantize(FEN):
        raise DomainValidationError(
            _("Amounts are in yuan and fen: at most two decimals (%(value)s has more).") % {"value": value},
            field=field,
            code=BillingErrorCode.TOO_MANY_DECIMALS,
        )
    if abs(amount) > MAX_AMOUNT:
        raise DomainValidationError(_("That amount is too large."), field=field)
    if amount < 0 and not allow_negative:
        raise DomainValidationError(
            _("The amount cannot be negative."), field=field, code=BillingErrorCode.NEGATIVE_AMOUNT
        )
    if amount == 0 and not allow_zero:
        raise DomainValidationError(_("The amount must not be zero."), field=field, code=BillingErrorCode.ZERO_AMOUNT)
    return amount.quantize(FEN)


def billed_hours(hours: Decimal, unit_minutes: int) -> Decimal:
    """Hours rounded up to a whole number of billing units (0: to the minute, then to 0.01 h)."""
    hours = max(Decimal(hours), Decimal(0))
    if unit_minutes <= 0:
        minutes = (hours * 60).to_integral_value(rounding=ROUND_CEILING)
        return (minutes / Decimal(60)).quantize(FEN, rounding=ROUND_CEILING)
    units = (hours * 60 / Decimal(unit_minutes)).to_integral_value(rounding=ROUND_CEILING)
    return (units * Decimal(unit_minutes) / Decimal(60)).quantize(FEN, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class ChargeQuote:
    """What a booking costs, before it is written as a Charge."""

    hours: Decimal
    rate: Decimal
    surcharge_rate: Decimal
    fee: Decimal
    gross: Decimal
    deposit_applied: Decimal

    @property
    def amount(self) -> Decimal:
        return self.gross - self.deposit_applied


def usage_quote(
    *,
    actual_hours: Decimal | None,
    booked_hours: Decimal,
    bill_booked: bool,
    unit_minutes: int,
    rate: Decimal,
    operator_assisted: bool,
    surcharge_per_hour: Decimal,
) -> ChargeQuote:
    """A completed booking: (billed hours) x (hourly rate + operator surcharge where assisted)."""
    basis = booked_hours if bill_booked or actual_hours is None else actual_hours
    hours = billed_hours(basis, unit_minutes)
    surcharge = surcharge_per_hour if operator_assisted else ZERO
    gross = money(hours * (rate + surcharge))
    return ChargeQuote(hours=hours, rate=rate, surcharge_rate=surcharge, fee=ZERO, gross=gross, deposit_applied=ZERO)


def penalty_quote(
    *,
    rule: str,
    fee: Decimal,
    booked_hours: Decimal,
    unit_minutes: int,
    rate: Decimal,
    forfeited_deposit: Decimal,
) -> ChargeQuote | None:
    """A no-show or late cancellation by the instrument's rule; a forfeited deposit is set against it.

    None when the rule charges nothing. The deposit offsets at most the charge (what is left of it
    stays forfeited, as bookings decided).
    """
    if rule == "fixed_fee":
        hours, used_rate, gross, fee_ = ZERO, ZERO, money(fee), money(fee)
    elif rule == "booked_hours":
        hours = billed_hours(booked_hours, unit_minutes)
        used_rate, fee_ = rate, ZERO
        gross = money(hours * rate)
    else:
        return None
    if gross <= 0:
        return None
    applied = min(money(forfeited_deposit), gross)
    return ChargeQuote(hours=hours, rate=used_rate, surcharge_rate=ZERO, fee=fee_, gross=gross, deposit_applied=applied)


def due_date_for(issued_on: date, due_days: int) -> date:
    return issued_on + timedelta(days=due_days)


def paid_on_time(*, paid_on: date, due_date: date) -> bool:
    """Paid by the end of the due date counts as on time."""
    return paid_on <= due_date


def status_after_payment(*, total: Decimal, paid: Decimal, overdue: bool) -> str:
    if paid >= total:
        return "paid"
    if overdue:
        return "overdue"
    return "partly_paid" if paid > 0 else "issued"
