"""Factories for analytics tests: completed bookings with check-in and check-out, created directly.

These tests check figures, not the booking lifecycle, so bookings are written as the lifecycle
would leave them (state completed, checked in and out, actual hours, price).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

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
) -> Booking:
    """A completed booking of `hours`, checked in at start and out at start + hours.

    `external=False` books as the instrument's own unit; otherwise `requester_unit` (may be None).
    """
    if external is False:
        requester_unit = instrument.unit
    end = start + timedelta(hours=hours)
    internal = requester_unit is not None and requester_unit.pk == instrument.unit_id
    rate = instrument.hourly_rate_internal if internal else instrument.hourly_rate_external
    return Booking.objects.create(
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


def review(booking: Booking, stars: int) -> Review:
    return Review.objects.create(booking=booking, author=booking.requester, side=Side.REQUESTER, stars=stars)
