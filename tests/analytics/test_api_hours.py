"""Machine hours of one instrument through the API, against hand-computed cases."""

from datetime import time
from decimal import Decimal

import pytest

from bookings.models import Booking, OpeningHours
from instruments.models import Instrument
from tests.factories import InstrumentFactory, UnitFactory

from .factories import UTC, at, used_booking

pytestmark = pytest.mark.django_db


def hours_of(api_client, instrument, **params):
    response = api_client.get(f"/api/v1/analytics/instruments/{instrument.pk}/hours/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_hours_booking_across_midnight_counts_only_the_part_inside_the_day(api_client, instrument, other_unit):
    used_booking(instrument, start=at("2026-02-28 22:00"), hours=4, requester_unit=other_unit)

    march_first = hours_of(api_client, instrument, start="2026-03-01", end="2026-03-01")
    feb_last = hours_of(api_client, instrument, start="2026-02-28", end="2026-02-28")

    assert march_first["effective_hours"] == 2.0
    assert feb_last["effective_hours"] == 2.0
    assert march_first["external_hours"] == 2.0
    # Income is the charge (4 h x 400), counted whole where it was incurred: at check-out, 02:00 on 1 March.
    assert march_first["income"] == "1600.00"
    assert feb_last["income"] == "0.00"


def test_hours_window_with_offset_against_bookings_stored_in_utc(api_client, instrument, other_unit):
    # 23:00-01:00 in Shanghai, written in UTC: 15:00Z-17:00Z on 28 February.
    used_booking(instrument, start=at("2026-02-28 15:00", tz=UTC), hours=2, requester_unit=other_unit)

    local = hours_of(api_client, instrument, start="2026-03-01T00:00+08:00", end="2026-03-02T00:00+08:00")
    as_date = hours_of(api_client, instrument, start="2026-03-01", end="2026-03-01")
    utc_day = hours_of(api_client, instrument, start="2026-03-01T00:00Z", end="2026-03-02T00:00Z")
    plus_sign_unencoded = api_client.get(
        f"/api/v1/analytics/instruments/{instrument.pk}/hours/?start=2026-03-01T00:00+08:00&end=2026-03-02"
    ).json()

    assert local["effective_hours"] == 1.0
    assert as_date["effective_hours"] == 1.0
    assert plus_sign_unencoded["effective_hours"] == 1.0
    assert utc_day["effective_hours"] == 0.0
    assert local["window"]["start"].startswith("2026-03-01T00:00:00+08:00")


def test_hours_internal_external_split_and_rates(api_client, unit, other_unit):
    instrument = InstrumentFactory(unit=unit, original_value=Decimal("100000.00"))
    used_booking(instrument, start=at("2026-03-02 09:00"), hours=3, external=False)  # 3 x 200 = 600
    used_booking(instrument, start=at("2026-03-03 09:00"), hours=2, requester_unit=other_unit)  # 2 x 400 = 800

    figures = hours_of(api_client, instrument, start="2026-03-01", end="2026-03-07")

    assert figures["effective_hours"] == 5.0
    assert figures["internal_hours"] == 3.0
    assert figures["external_hours"] == 2.0
    assert figures["sharing_rate"] == 0.4  # 2 / 5
    assert figures["combined_sharing_rate"] == 1.2  # (3 + 1.5 x 2) / 5
    assert figures["internal_income"] == "600.00"
    assert figures["external_income"] == "800.00"
    assert figures["income_rate"] == 0.018  # (600 + 1.5 x 800) / 100,000
    # 1-7 March 2026: Monday 2 to Friday 6 open 8 h by default.
    assert figures["open_hours"] == 40.0
    assert figures["utilisation"] == 0.125
    assert figures["bookings_counted"] == 2


def test_hours_requester_without_unit_is_external(api_client, instrument):
    used_booking(instrument, start=at("2026-03-02 09:00"), hours=2, requester_unit=None)

    figures = hours_of(api_client, instrument, start="2026-03-02", end="2026-03-02")

    assert figures["external_hours"] == 2.0
    assert figures["internal_hours"] == 0.0


def test_hours_only_completed_bookings_count(api_client, instrument, other_unit):
    states = (Booking.State.APPROVED, Booking.State.NO_SHOW, Booking.State.CANCELLED, Booking.State.IN_USE)
    for hour, state in enumerate(states, start=9):
        used_booking(instrument, start=at(f"2026-03-02 {hour}:00"), hours=1, requester_unit=other_unit, state=state)

    assert hours_of(api_client, instrument, start="2026-03-02", end="2026-03-02")["effective_hours"] == 0.0


def test_hours_use_check_in_to_check_out_and_actual_hours(api_client, instrument, other_unit):
    # Checked in 30 minutes late, out on time: 1.5 h used of a 2 h slot; counted from check-in.
    booking = used_booking(instrument, start=at("2026-03-02 23:00"), hours=2, requester_unit=other_unit)
    booking.checked_in_at = at("2026-03-02 23:30")
    booking.actual_hours = Decimal("1.50")
    booking.save()
    # Completed by the provider without check-in: the given hours spread over the booked slot.
    used_booking(
        instrument, start=at("2026-03-04 10:00"), hours=2, requester_unit=other_unit, checked=False, actual_hours="1"
    )

    third = hours_of(api_client, instrument, start="2026-03-03", end="2026-03-03")
    second = hours_of(api_client, instrument, start="2026-03-02", end="2026-03-02")
    fourth = hours_of(api_client, instrument, start="2026-03-04T10:00+08:00", end="2026-03-04T11:00+08:00")

    assert second["effective_hours"] == 0.5
    assert third["effective_hours"] == 1.0
    assert fourth["effective_hours"] == 0.5


def test_hours_utilisation_uses_the_instruments_opening_hours(api_client, instrument, other_unit):
    # Open Monday and Tuesday 09:00-12:00 only: 6 h in the week of 2 March 2026.
    OpeningHours.objects.create(instrument=instrument, weekday=0, opens=time(9), closes=time(12))
    OpeningHours.objects.create(instrument=instrument, weekday=1, opens=time(9), closes=time(12))
    used_booking(instrument, start=at("2026-03-02 09:00"), hours=3, requester_unit=other_unit)

    figures = hours_of(api_client, instrument, start="2026-03-02", end="2026-03-08")

    assert figures["open_hours"] == 6.0
    assert figures["utilisation"] == 0.5


def test_hours_benchmarks_annualise_the_window(api_client, instrument, other_unit):
    used_booking(instrument, start=at("2025-03-03 09:00"), hours=8, requester_unit=other_unit)

    figures = hours_of(api_client, instrument, start="2025-01-01", end="2025-12-31")

    benchmarks = figures["benchmarks"]
    assert benchmarks["effective_hours_per_year"] == 8.0
    assert benchmarks["norm_hours_per_year"] == 800
    assert benchmarks["national_avg_effective_hours"] == 1599
    assert benchmarks["national_avg_external_hours"] == 273
    assert benchmarks["share_of_norm"] == 0.01
    assert benchmarks["meets_norm"] is False
    # 2025 has 261 working days: 2,088 default open hours.
    assert figures["open_hours"] == 2088.0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "end"),
        ({"start": "2010-01-01", "end": "2026-01-01"}, "start"),
    ],
)
def test_hours_bad_window_is_400(api_client, instrument, params, field):
    response = api_client.get(f"/api/v1/analytics/instruments/{instrument.pk}/hours/", params)

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_hours_of_unlisted_instrument_only_for_its_unit(api_client, unit, unit_member, user, platform_admin):
    retired = InstrumentFactory(unit=unit, status=Instrument.Status.RETIRED)
    pending = InstrumentFactory(unit=UnitFactory(status="pending"))
    url = f"/api/v1/analytics/instruments/{retired.pk}/hours/"

    assert api_client.get(url).status_code == 404
    assert api_client.get(f"/api/v1/analytics/instruments/{pending.pk}/hours/").status_code == 404
    api_client.force_authenticate(user)
    assert api_client.get(url).status_code == 404
    api_client.force_authenticate(unit_member)
    assert api_client.get(url).status_code == 200
    api_client.force_authenticate(platform_admin)
    assert api_client.get(url).status_code == 200
    assert api_client.get("/api/v1/analytics/instruments/999999/hours/").status_code == 404


def test_hours_income_comes_from_charges_not_prices(api_client, unit, other_unit):
    """A booking without a charge brings no income; an adjustment line changes it; a no-show fee counts."""
    from billing.models import Charge

    from .factories import charge_of

    instrument = InstrumentFactory(unit=unit, original_value=Decimal("100000.00"))
    uncharged = used_booking(instrument, start=at("2026-03-02 09:00"), hours=2, requester_unit=other_unit, charged=None)
    charged = used_booking(instrument, start=at("2026-03-03 09:00"), hours=2, requester_unit=other_unit)
    original = Charge.objects.get(booking=charged)
    Charge.objects.create(
        kind="adjustment", booking=charged, instrument=instrument, provider_unit=unit, payer_unit=other_unit,
        rate_kind="external", amount=Decimal("-100.00"), adjusts=original, reason="fault", created_by=charged.requester,
        incurred_at=at("2026-03-04 09:00"),
    )  # fmt: skip
    no_show = used_booking(instrument, start=at("2026-03-05 09:00"), hours=2, requester_unit=other_unit,
                           state=Booking.State.NO_SHOW)  # fmt: skip
    charge_of(no_show, amount=Decimal("150.00"), at=at("2026-03-05 10:00"), kind="no_show")

    figures = hours_of(api_client, instrument, start="2026-03-01", end="2026-03-07")

    assert uncharged.price == Decimal("800.00")
    assert figures["effective_hours"] == 4.0
    assert figures["external_income"] == "850.00"  # 800 - 100 + 150; the uncharged booking brings nothing
