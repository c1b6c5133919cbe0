"""The unit evaluation's hand-written SQL (analytics/selectors/unit_usage.py, issue 14.6) gives the figures of
the ORM forms it replaces, on PostgreSQL and SQLite: hours per instrument in two windows (split at the windows'
edges, measured spans and booked slots, recorded and unrecorded hours, internal and external, bookings of other
units' instruments and bookings not completed left out), the people, units and reviews served, and the income
charged; and opening hours laid out once per process are the same intervals."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db.models import Avg, Count, Q

from analytics.selectors.unit_usage import unit_income, unit_served, unit_usage_windows
from analytics.selectors.usage import (
    DEFAULT_WEEK,
    bookings_of,
    completed_in_window,
    open_intervals_of_window,
    usage_by_instrument_windows,
)
from analytics.windows import Window
from bookings.availability import merge, open_intervals
from bookings.models import Booking, Review, Side
from instruments.models import Instrument
from tests.factories import InstrumentFactory, UnitFactory, UserFactory

from .factories import at, used_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(unit, other_unit):
    first = InstrumentFactory(unit=unit)
    second = InstrumentFactory(unit=unit)
    idle = InstrumentFactory(unit=unit)
    foreign = InstrumentFactory(unit=other_unit)
    third_unit = UnitFactory()
    regular = UserFactory()
    # Across the new year (split between the windows), inside each year, external and internal.
    used_booking(first, start=at("2025-12-31 22:00"), hours=4, requester_unit=third_unit, requester=regular)
    used_booking(first, start=at("2026-03-02 09:00"), hours=3, external=False)
    kept = used_booking(first, start=at("2026-05-04 10:00"), hours=2, requester_unit=other_unit, requester=regular)
    Review.objects.create(booking=kept, author=kept.requester, side=Side.REQUESTER, stars=4)
    Review.objects.create(booking=kept, author=kept.requester, side=Side.PROVIDER, stars=1)
    # Booked slot only (no check-in), with recorded hours shorter than the slot; no requester unit.
    slot = used_booking(second, start=at("2026-06-01 08:00"), hours=6, checked=False, actual_hours="2.5")
    Review.objects.create(booking=slot, author=slot.requester, side=Side.REQUESTER, stars=5)
    # Recorded hours missing: the span's length counts.
    unrecorded = used_booking(second, start=at("2025-07-01 08:00"), hours=3, requester_unit=third_unit)
    Booking.objects.filter(pk=unrecorded.pk).update(actual_hours=None)
    # Checked out before checked in (a bad record): the booked slot counts.
    odd = used_booking(second, start=at("2026-02-02 09:00"), hours=2, external=False)
    Booking.objects.filter(pk=odd.pk).update(checked_out_at=odd.start - timedelta(minutes=5))
    # Not counted: not completed, another unit's instrument, outside both windows.
    used_booking(first, start=at("2026-04-01 09:00"), hours=5, state=Booking.State.CANCELLED)
    used_booking(foreign, start=at("2026-04-01 09:00"), hours=5, requester_unit=unit)
    used_booking(first, start=at("2023-04-01 09:00"), hours=5, requester_unit=other_unit)
    return [first.pk, second.pk, idle.pk]


WINDOWS = [
    Window(at("2026-01-01 00:00"), at("2026-08-15 12:30")),
    Window(at("2025-01-01 00:00"), at("2026-01-01 00:00")),
]


def test_hours_per_instrument_match_the_orm_in_both_windows(unit, history):
    own = Instrument.objects.filter(unit=unit)
    orm = usage_by_instrument_windows(WINDOWS, own, history, Q(requester_unit_id=unit.pk))
    sql = unit_usage_windows(WINDOWS, history, unit.pk)
    assert [sorted(found) for found in sql] == [sorted(found) for found in orm]
    assert sorted(sql[0]) == history[:2]  # the idle one has no row
    assert sorted(sql[1]) == history[:2]
    for window_sql, window_orm in zip(sql, orm, strict=True):
        for pk, usage in window_orm.items():
            assert window_sql[pk].bookings == usage.bookings
            assert window_sql[pk].effective_hours == pytest.approx(usage.effective_hours)
            assert window_sql[pk].internal_hours == pytest.approx(usage.internal_hours)
    # The booking across the new year: 2 of its 4 hours in each year.
    assert sql[0][history[0]].effective_hours == pytest.approx(2 + 3 + 2)
    assert sql[0][history[0]].internal_hours == pytest.approx(3)
    assert sql[1][history[1]].effective_hours == pytest.approx(3)  # unrecorded: the span's length


def test_people_and_reviews_served_match_the_orm(unit, history):
    own = Instrument.objects.filter(unit=unit)
    internal = Q(requester_unit_id=unit.pk)
    requester_review = Q(reviews__side=Side.REQUESTER)
    for window in WINDOWS:
        orm = completed_in_window(window, bookings_of(own, history)).aggregate(
            users=Count("requester_id", distinct=True, filter=~internal),
            units=Count("requester_unit_id", distinct=True, filter=~internal),
            average_stars=Avg("reviews__stars", filter=requester_review),
            reviews=Count("reviews__id", filter=requester_review),
        )
        sql = unit_served(window, history, unit.pk)
        assert (sql["users"], sql["units"], sql["reviews"]) == (orm["users"], orm["units"], orm["reviews"])
        expected = orm["average_stars"]
        assert (None if sql["average_stars"] is None else float(sql["average_stars"])) == (
            None if expected is None else pytest.approx(float(expected))
        )
    this_year = unit_served(WINDOWS[0], history, unit.pk)
    assert this_year["reviews"] == 2
    assert float(this_year["average_stars"]) == pytest.approx(4.5)


def test_no_instruments_no_query(unit, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unit_usage_windows(WINDOWS, [], unit.pk) == [{}, {}]
        assert unit_served(WINDOWS[0], [], unit.pk)["users"] == 0


def test_decimal_hours_are_summed_as_numbers(unit, history):
    found = unit_usage_windows(WINDOWS, history, unit.pk)[0][history[1]]
    assert isinstance(found.effective_hours, float)
    assert Decimal(str(found.effective_hours)).quantize(Decimal("0.1")) == Decimal("4.5")  # 2.5 + 2 (odd record)


def test_income_per_instrument_matches_billing(unit, other_unit, history):
    from billing.models import Charge
    from billing.selectors import income_by_instrument

    booking = Booking.objects.filter(instrument_id=history[0], requester_unit=other_unit).first()
    usage = Charge.objects.get(booking=booking, kind=Charge.Kind.USAGE)
    Charge.objects.create(
        kind=Charge.Kind.ADJUSTMENT,
        booking=booking,
        instrument=usage.instrument,
        provider_unit_id=usage.provider_unit_id,
        payer_unit=usage.payer_unit,
        amount=Decimal("-12.35"),
        adjusts=usage,
        reason="hours corrected",
        created_by=UserFactory(),
        incurred_at=at("2026-05-20 10:00"),
    )
    Charge.objects.filter(pk=usage.pk).update(deposit_applied=Decimal("30.10"))
    own = Instrument.objects.filter(unit=unit)
    for window in WINDOWS:
        expected = income_by_instrument(start=window.start, end=window.end, instruments=own)
        found = unit_income(window.start, window.end, history)
        assert found == expected
        assert all(isinstance(money, Decimal) for row in found.values() for money in row.values())
    this_year = unit_income(WINDOWS[0].start, WINDOWS[0].end, history)[history[0]]
    assert this_year["internal"] > 0
    assert this_year["external"] > 0


@pytest.mark.parametrize(
    "pattern",
    [DEFAULT_WEEK, ((5, time(0), time(23, 59)), (6, time(8), time(12)), (6, time(13), time(20)))],
)
def test_open_intervals_laid_out_once_are_the_same_intervals(pattern):
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    windows = [
        *WINDOWS,
        Window(at("2026-01-01 00:00"), at("2026-01-01 00:00") + timedelta(hours=5)),  # ends before any midnight
        Window(at("2026-03-07 10:30"), at("2026-03-09 00:00")),  # ends at midnight
        Window(at("2026-03-07 10:30"), at("2026-03-08 09:45")),  # ends in a Sunday opening
    ]
    for window in windows:
        expected = open_intervals(pattern, window.start, window.end, tz)
        for _ in range(2):  # laid out, then from the process's memory
            found = open_intervals_of_window(pattern, window, tz)
            assert merge(found) == merge(expected)
            assert sum((end - start).total_seconds() for start, end in found) == sum(
                (end - start).total_seconds() for start, end in expected
            )
