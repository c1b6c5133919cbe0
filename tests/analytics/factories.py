"""Factories for analytics tests: completed bookings with check-in and check-out, created directly.

These tests check figures, not the booking lifecycle, so bookings are written as the lifecycle
would leave them (state completed, checked in and out, actual hours, price) together with the
charge billing writes at check-out (its amount is the price unless `charged` says otherwise; None:
no charge). Income in the figures comes from charges.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.models import Charge
from bookings.models import Booking, Review, Side
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def at(text: str, tz=SHANGHAI) -> datetime:
    """An aware datetime from 'YYYY-MM-DD HH:MM' in the given zone (Shanghai by default)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)


def used_booking(
    instrument,
    *,
    start: datetime,
    hours: float,
    requester_unit=None,
    external: bool | None = None,
    price: Decimal | str | None = None,
    checked: bool = True,
    actual_hours: Decimal | str | None = None,
    requester=None,
    state: str = Booking.State.COMPLETED,
    charged: Decimal | str | bool | None = True,
) -> Booking:
    """A completed booking of `hours`, checked in at start and out at start + hours.

    `external=False` books as the instrument's own unit; otherwise `requester_unit` (may be None).
    """
    if external is False:
        requester_unit = instrument.unit
    end = start + timedelta(hours=hours)
    internal = requester_unit is not None and requester_unit.pk == instrument.unit_id
    rate = instrument.hourly_rate_internal if internal else instrument.hourly_rate_external
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester or UserFactory(),
        requester_unit=requester_unit,
        start=start,
        end=end,
        state=state,
        purpose="analysis",
        rate_kind="internal" if internal else "external",
        hourly_rate=rate,
        price=Decimal(price) if price is not None else (rate * Decimal(str(hours))).quantize(Decimal("0.01")),
        checked_in_at=start if checked else None,
        checked_out_at=end if checked else None,
        actual_hours=Decimal(actual_hours) if actual_hours is not None else Decimal(str(hours)),
    )
    if state == Booking.State.COMPLETED and charged is not None and charged is not False:
        amount = booking.price if charged is True else Decimal(charged)
        if amount:
            charge_of(booking, amount=amount, at=end)
    return booking


def charge_of(booking: Booking, *, amount: Decimal, at: datetime, kind: str = Charge.Kind.USAGE) -> Charge:
    """The charge billing would write for this booking (the provider's amount, at check-out)."""
    return Charge.objects.create(
        kind=kind,
        booking=booking,
        instrument=booking.instrument,
        provider_unit_id=booking.instrument.unit_id,
        payer_unit=booking.requester_unit,
        hours=booking.actual_hours or Decimal(0),
        rate_kind=booking.rate_kind,
        rate=booking.hourly_rate,
        amount=amount,
        incurred_at=at,
    )


def review(booking: Booking, stars: int) -> Review:
    return Review.objects.create(booking=booking, author=booking.requester, side=Side.REQUESTER, stars=stars)
