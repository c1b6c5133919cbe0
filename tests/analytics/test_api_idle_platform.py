"""Idle instruments, before-you-buy and the platform dashboard through the API."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import selectors
from bookings.models import Blackout, Booking, OpeningHours
from instruments.models import Instrument, Membership, Region
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory, category_get

from .factories import at, used_booking

pytestmark = pytest.mark.django_db


def open_two_hours_daily(instrument):
    """10:00-12:00 every day: any 7-day window holds exactly 14 open hours."""
    for weekday in range(7):
        OpeningHours.objects.create(instrument=instrument, weekday=weekday, opens=time(10), closes=time(12))


def recent_use(instrument, hours, requester_unit=None):
    start = timezone.now().replace(microsecond=0) - timedelta(days=3)
    return used_booking(instrument, start=start, hours=hours, requester_unit=requester_unit)


def idle_ids(api_client, **params):
    response = api_client.get("/api/v1/analytics/idle/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["instruments"]}


def test_idle_threshold_over_the_period(api_client, platform_admin, unit, other_unit):
    rarely, often, never = (InstrumentFactory(unit=unit) for _ in range(3))
    for instrument in (rarely, often, never):
        open_two_hours_daily(instrument)
    recent_use(rarely, 1, other_unit)  # 1 / 14 = 7%
    recent_use(often, 2, other_unit)  # 2 / 14 = 14%
    api_client.force_authenticate(platform_admin)

    assert idle_ids(api_client, days=7) == {rarely.pk, never.pk}
    assert idle_ids(api_client, days=7, threshold=0.05) == {never.pk}
    assert idle_ids(api_client, days=7, threshold=0.15) == {rarely.pk, often.pk, never.pk}


def test_idle_groups_by_unit_and_category_with_value(api_client, platform_admin, unit, other_unit):
    InstrumentFactory(unit=unit, original_value=Decimal("1000000.00"))
    InstrumentFactory(unit=unit, original_value=Decimal("500000.00"), category=category_get("mass-spectrometry"))
    InstrumentFactory(unit=other_unit, original_value=Decimal("200000.00"))
    InstrumentFactory(unit=other_unit, status=Instrument.Status.RETIRED)
    api_client.force_authenticate(platform_admin)

    body = api_client.get("/api/v1/analytics/idle/").json()

    assert body["threshold"] == 0.1
    assert body["total_value"] == "1700000.00"
    assert [(group["id"], group["instruments"], group["original_value"]) for group in body["by_unit"]] == [
        (unit.pk, 2, "1500000.00"),
        (other_unit.pk, 1, "200000.00"),
    ]
    assert {group["name"] for group in body["by_category"]} == {"Electron optics", "Mass spectrometry"}
    assert [row["original_value"] for row in body["instruments"]] == ["1000000.00", "500000.00", "200000.00"]


def test_idle_blackouts_reduce_open_hours(api_client, platform_admin, unit, other_unit):
    instrument = InstrumentFactory(unit=unit)
    open_two_hours_daily(instrument)
    recent_use(instrument, 1, other_unit)  # 1 of 14 open hours: idle at 10%
    now = timezone.now()
    Blackout.objects.create(instrument=instrument, start=now - timedelta(days=7), end=now - timedelta(days=3, hours=12))
    api_client.force_authenticate(platform_admin)

    row = next(iter(api_client.get("/api/v1/analytics/idle/", {"days": 7, "threshold": 1}).json()["instruments"]))

    assert row["open_hours"] < 14
    assert row["utilisation"] > 1 / 14


def test_idle_scope_of_unit_managers(api_client, unit, other_unit, unit_manager):
    own = InstrumentFactory(unit=unit)
    InstrumentFactory(unit=other_unit)
    api_client.force_authenticate(unit_manager)

    assert idle_ids(api_client) == {own.pk}
    assert api_client.get("/api/v1/analytics/idle/", {"unit": other_unit.pk}).status_code == 403
    assert idle_ids(api_client, unit=unit.pk) == {own.pk}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", {401, 403}),
        ("plain", {403}),
        ("member", {403}),
        ("manager", {200}),
        ("unit_admin", {200}),
        ("platform_admin", {200}),
    ],
)
def test_idle_permission_matrix(api_client, unit, who, expected):
    people = {
        "plain": lambda: UserFactory(),
        "member": lambda: MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user,
        "manager": lambda: MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "unit_admin": lambda: MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "platform_admin": lambda: UserFactory(is_staff=True),
    }
    if who != "anonymous":
        api_client.force_authenticate(people[who]())

    assert api_client.get("/api/v1/analytics/idle/").status_code in expected


@pytest.mark.parametrize(("params", "field"), [({"days": "0"}, "days"), ({"threshold": "2"}, "threshold")])
def test_idle_bad_input_is_400(api_client, platform_admin, params, field):
    api_client.force_authenticate(platform_admin)

    response = api_client.get("/api/v1/analytics/idle/", params)

    assert response.status_code == 400
    assert response.json()["field"] == field


def _populate(count, other_unit):
    made = set()
    for _ in range(count):
        instrument = InstrumentFactory(unit=UnitFactory())
        open_two_hours_daily(instrument)
        recent_use(instrument, 1, other_unit)
        Blackout.objects.create(
            instrument=instrument, start=timezone.now() - timedelta(days=2), end=timezone.now() - timedelta(days=1)
        )
        made.add(instrument.pk)
    return made


def test_idle_query_count_does_not_grow(api_client, platform_admin, other_unit, django_assert_num_queries):
    api_client.force_authenticate(platform_admin)
    made = _populate(2, other_unit)
    with django_assert_num_queries(6) as few:
        response = api_client.get("/api/v1/analytics/idle/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["instruments"]} == made
    made |= _populate(6, other_unit)
    with django_assert_num_queries(len(few.captured_queries)):
        response = api_client.get("/api/v1/analytics/idle/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["instruments"]} == made


# --- Before you buy ---------------------------------------------------------------------------


def test_before_you_buy_region_includes_children_and_q_narrows(api_client, other_unit):
    shanghai = Region.objects.get(code="310000")
    pudong = Region.objects.get(code="310115", parent=shanghai)
    in_city = InstrumentFactory(unit=UnitFactory(region=pudong), model_number="JSM-7800F")
    in_province = InstrumentFactory(unit=UnitFactory())
    InstrumentFactory(unit=UnitFactory(region=Region.objects.get(code="110000")))  # Beijing
    InstrumentFactory(unit=UnitFactory(), category=category_get("mass-spectrometry"))
    InstrumentFactory(unit=UnitFactory(), status=Instrument.Status.RETIRED)
    recent_use(in_province, 30, other_unit)

    body = api_client.get("/api/v1/analytics/before-you-buy/", {"category": "analytical", "region": "310000"}).json()
    narrowed = api_client.get(
        "/api/v1/analytics/before-you-buy/", {"category": "electron-optics", "region": "310000", "q": "JSM"}
    ).json()

    assert body["matches"] == 3
    # Least used first: the busy instrument comes last.
    assert body["results"][0]["id"] == in_city.pk
    assert body["results"][-1]["id"] == in_province.pk
    assert {row["id"] for row in narrowed["results"]} == {in_city.pk}
    used = next(row for row in body["results"] if row["id"] == in_province.pk)
    assert used["effective_hours_90d"] == 30.0
    assert used["utilisation_90d"] > 0


def test_before_you_buy_free_slots_skip_taken_time(api_client, other_unit):
    instrument = InstrumentFactory(unit=UnitFactory())
    tomorrow = timezone.localtime().date() + timedelta(days=1)
    for weekday in range(7):
        OpeningHours.objects.create(instrument=instrument, weekday=weekday, opens=time(9), closes=time(12))
    taken = at(f"{tomorrow:%Y-%m-%d} 09:00")
    used_booking(instrument, start=taken, hours=2, requester_unit=other_unit, state=Booking.State.APPROVED)

    row = api_client.get("/api/v1/analytics/before-you-buy/", {"category": "electron-optics"}).json()["results"][0]

    assert len(row["free_slots"]) == 3
    starts = [slot["start"] for slot in row["free_slots"]]
    assert f"{tomorrow:%Y-%m-%d}T09:00:00+08:00" not in starts
    assert all(slot["start"] < slot["end"] for slot in row["free_slots"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "category"),
        ({"category": "no-such"}, "category"),
        ({"category": "analytical", "region": "999999"}, "region"),
    ],
)
def test_before_you_buy_bad_input_is_400(api_client, params, field):
    response = api_client.get("/api/v1/analytics/before-you-buy/", params)

    assert response.status_code == 400
    assert response.json()["field"] == field


# --- Platform dashboard -----------------------------------------------------------------------


def test_platform_dashboard_splits_hours_at_month_boundaries(unit, other_unit):
    instrument = InstrumentFactory(unit=unit)
    used_booking(instrument, start=at("2026-01-31 23:00"), hours=2, requester_unit=other_unit)
    used_booking(instrument, start=at("2026-02-10 09:00"), hours=3, external=False)

    months = selectors.platform_dashboard(months=3, now=at("2026-03-15 12:00"))["months"]

    assert [row["month"] for row in months] == ["2026-01", "2026-02", "2026-03"]
    assert [row["effective_hours"] for row in months] == [1.0, 4.0, 0.0]


def test_platform_dashboard_growth_and_tiers(api_client, platform_admin):
    UnitFactory(credit_tier="good", credit_score=720)
    UnitFactory(credit_tier="excellent", credit_score=820)
    InstrumentFactory(unit=UnitFactory())
    api_client.force_authenticate(platform_admin)

    body = api_client.get("/api/v1/analytics/platform/", {"months": 6}).json()

    assert len(body["months"]) == 6
    assert body["months"][-1]["units_total"] == 3
    assert body["months"][-1]["instruments_total"] == 1
    tiers = {row["tier"]: row["units"] for row in body["credit_tiers"]}
    assert tiers["good"] == 1
    assert tiers["excellent"] == 1
    assert tiers["unscored"] == 1


@pytest.mark.parametrize(("who", "expected"), [("anonymous", {401, 403}), ("unit_admin", {403}), ("staff", {200})])
def test_platform_dashboard_permissions(api_client, unit_admin, who, expected):
    if who == "unit_admin":
        api_client.force_authenticate(unit_admin)
    elif who == "staff":
        api_client.force_authenticate(UserFactory(is_staff=True))

    assert api_client.get("/api/v1/analytics/platform/").status_code in expected
