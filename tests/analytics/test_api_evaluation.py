"""Unit evaluation: figures for a hand-computed year, exports through HTTP, who may see it."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from instruments.models import Membership
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

from .factories import at, review, used_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(unit, other_unit):
    """2025 at `unit`: A used 4 h externally (two users of two units) and 2 h internally; B never used.

    A was unused in 2024 (idle) and is used in 2025 below 10% of 2,088 open hours, so it is not reused.
    C was idle in 2024 and used 300 h in 2025: reused.
    """
    a = InstrumentFactory(unit=unit, original_value=Decimal("1000000.00"))
    b = InstrumentFactory(unit=unit, original_value=Decimal("500000.00"))
    c = InstrumentFactory(unit=unit, original_value=Decimal("500000.00"))
    third = UnitFactory()
    first = used_booking(a, start=at("2025-06-02 10:00"), hours=3, requester_unit=other_unit)
    used_booking(a, start=at("2025-06-03 10:00"), hours=1, requester_unit=third)
    used_booking(a, start=at("2025-06-04 10:00"), hours=2, external=False)
    # 300 h internal on C, as 30 ten-hour days.
    for day in range(1, 31):
        used_booking(c, start=at(f"2025-09-{day:02d} 08:00"), hours=10, external=False, price="0")
    # A booking at the year boundary: 23:00 on 31 Dec 2024 to 01:00 on 1 Jan 2025, external: 1 h in 2025.
    used_booking(b, start=at("2024-12-31 23:00"), hours=2, requester_unit=other_unit)
    review(first, 4)
    return a, b, c


def evaluation(api_client, unit, **params):
    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/", {"year": 2025, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_evaluation_figures_for_a_year(api_client, unit, unit_member, evaluated):
    api_client.force_authenticate(unit_member)

    report = evaluation(api_client, unit)

    assert report["partial_year"] is False
    assert report["organisation"]["instruments"] == 3
    assert report["organisation"]["original_value"] == "2000000.00"
    operation, sharing = report["operation"], report["sharing"]
    assert operation["effective_hours"] == 307.0  # 4 + 2 on A, 300 on C, 1 on B
    assert sharing["external_hours"] == 5.0  # 3 + 1 on A, 1 on B
    assert sharing["sharing_rate"] == round(5 / 307, 4)
    assert sharing["external_users_served"] == 3
    assert sharing["external_units_served"] == 2
    assert sharing["idle_instruments_reused"] == 1  # C
    assert sharing["average_stars"] == 4.0
    assert sharing["reviews"] == 1
    # Income (charges): A 3x400 + 1x400 external, 2x200 internal; B 2x400 external, charged at check-out on
    # 1 January 2025 (a charge is not split across the year boundary); C free (no charge).
    assert operation["external_income"] == "2400.00"
    assert operation["internal_income"] == "400.00"
    assert operation["income_rate"] == round((400 + 1.5 * 2400) / 2_000_000, 4)
    assert operation["open_hours"] == 3 * 2088.0
    assert operation["instruments_meeting_norm"] == 0
    assert report["organisation"]["idle_instruments"] == 2  # A and B under 10%
    assert operation["avg_effective_hours_per_year"] == round(307 / 3, 2)
    # Grade: 40 x 102.33/800 + 25 x 1.67/273 + 15 x 0.75 + 20 x 0.5 (unscored).
    expected = round(40 * (307 / 3) / 800 + 25 * (5 / 3) / 273 + 11.25 + 10, 1)
    assert report["grade"]["score"] == expected
    assert report["grade"]["grade"] == "poor"
    assert report["platform_median"]["units"] == 1
    assert report["platform_median"]["score"] == expected


def test_evaluation_median_over_units(api_client, unit, unit_member, evaluated):
    # Two more units: one with an unused instrument, one busy at 1,000 h a year.
    InstrumentFactory(unit=UnitFactory())
    busy = InstrumentFactory(unit=UnitFactory())
    for day in range(1, 101):
        month, dom = divmod(day - 1, 28)
        used_booking(busy, start=at(f"2025-{month + 1:02d}-{dom + 1:02d} 06:00"), hours=10, external=False)
    api_client.force_authenticate(unit_member)

    median = evaluation(api_client, unit)["platform_median"]

    assert median["units"] == 3
    assert median["avg_effective_hours_per_year"] == round(307 / 3, 2)


def test_evaluation_min_value_limits_the_scope(api_client, unit, unit_member, evaluated):
    api_client.force_authenticate(unit_member)

    report = evaluation(api_client, unit, min_value="600000")

    assert report["organisation"]["instruments"] == 1
    assert report["operation"]["effective_hours"] == 6.0


def test_evaluation_of_unit_without_instruments_has_no_grade(api_client, unit, unit_member):
    api_client.force_authenticate(unit_member)

    report = evaluation(api_client, unit)

    assert report["grade"] is None
    assert report["instruments"] == []


def test_evaluation_csv_export(api_client, unit, unit_member, evaluated):
    api_client.force_authenticate(unit_member)

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/", {"year": 2025, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Indicator", "Value", "Platform median"]
    by_label = {row[1]: row[2] for row in rows if len(row) == 4}
    assert by_label["Effective machine hours"] == "307.0"
    assert by_label["External service hours"] == "5.0"
    assert by_label["External units served"] == "2"
    instrument_rows = rows[rows.index([]) + 1 :]
    assert instrument_rows[0][0] == "Asset number"
    assert len(instrument_rows) == 1 + 3


def test_evaluation_xlsx_export(api_client, unit, unit_member, evaluated):
    api_client.force_authenticate(unit_member)

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/?year=2025&format=xlsx")

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    indicators_sheet, instruments_sheet = workbook.worksheets
    values = {row[1]: row[2] for row in indicators_sheet.iter_rows(min_row=3, values_only=True)}
    assert values["Effective machine hours"] == 307.0
    assert values["Instruments evaluated"] == 3
    assert instruments_sheet.max_row == 1 + 3


def test_evaluation_pdf_export(api_client, unit, unit_member, evaluated):
    api_client.force_authenticate(unit_member)

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/?year=2025&format=pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 2


def test_evaluation_bad_year_is_400(api_client, unit, unit_member):
    api_client.force_authenticate(unit_member)

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/?year=20x5")

    assert response.status_code == 400
    assert response.json()["field"] == "year"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", {401, 403}),
        ("plain", {403}),
        ("other_manager", {403}),
        ("member", {200}),
        ("manager", {200}),
        ("unit_admin", {200}),
        ("platform_admin", {200}),
    ],
)
@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_evaluation_permission_matrix(api_client, unit, other_unit, who, expected, export_format):
    people = {
        "plain": lambda: UserFactory(),
        "other_manager": lambda: MembershipFactory(unit=other_unit, role=Membership.Role.MANAGER).user,
        "member": lambda: MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user,
        "manager": lambda: MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "unit_admin": lambda: MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "platform_admin": lambda: UserFactory(is_staff=True),
    }
    if who != "anonymous":
        api_client.force_authenticate(people[who]())

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/?year=2025&format={export_format}")

    assert response.status_code in expected


def test_evaluation_unknown_unit_is_404(api_client, platform_admin):
    api_client.force_authenticate(platform_admin)

    assert api_client.get("/api/v1/analytics/units/999999/evaluation/").status_code == 404


@pytest.mark.parametrize("instruments", [2, 12])
def test_evaluation_query_count_does_not_grow_with_the_unit(
    api_client, unit, unit_member, other_unit, django_assert_max_num_queries, instruments
):
    """Issue 14.6: a bounded number of set-based queries, whatever the unit's instruments and bookings (the
    previous year is read only when some instrument is busy enough this year to count as reused)."""
    for index in range(instruments):
        instrument = InstrumentFactory(unit=unit)
        for day in range(1, 1 + index % 4):
            used_booking(instrument, start=at(f"2025-03-{day:02d} 10:00"), hours=2, requester_unit=other_unit)
    api_client.force_authenticate(unit_member)
    evaluation(api_client, unit)  # the platform median is now cached
    with django_assert_max_num_queries(EVALUATION_QUERIES_WITH_CACHED_MEDIAN):
        report = evaluation(api_client, unit)
    assert report["organisation"]["instruments"] == instruments  # the report counts every instrument
    assert report["sharing"]["external_units_served"] == (1 if instruments > 1 else 0)


EVALUATION_QUERIES_WITH_CACHED_MEDIAN = 10  # was 16 before this year and the last were read together


def test_evaluation_reads_the_platform_median_from_the_cache(
    api_client, unit, unit_member, other_unit, evaluated, settings
):
    """The median unit is computed once and kept (ANALYTICS_MEDIAN_CACHE_SECONDS): the other units'
    reports reuse it; with the cache off every report computes it again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api_client.force_authenticate(unit_member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            evaluation(api_client, unit)
        return len(captured.captured_queries)

    first, second = queries(), queries()
    assert second < first
    assert evaluation(api_client, unit)["platform_median"]["units"] == 1
    settings.ANALYTICS_MEDIAN_CACHE_SECONDS = 0
    assert queries() == first
