"""The evaluation PDF as a report for the ministry: summary page, monthly charts, tables; in English and
Chinese; read back with pypdf through HTTP (the page and the API)."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from analytics.selectors_monthly import unit_monthly_figures
from tests.factories import InstrumentFactory, UnitFactory

from .factories import at, used_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_year(unit, other_unit):
    """2025 at `unit`: A is used 100 h a month from March to May (half for another unit), B in November."""
    a = InstrumentFactory(unit=unit, original_value=Decimal("1000000.00"))
    b = InstrumentFactory(unit=unit, original_value=Decimal("600000.00"))
    for month in (3, 4, 5):
        for day in range(1, 11):
            used_booking(a, start=at(f"2025-{month:02d}-{day:02d} 08:00"), hours=5, requester_unit=other_unit)
            used_booking(a, start=at(f"2025-{month:02d}-{day:02d} 14:00"), hours=5, external=False)
    used_booking(b, start=at("2025-11-03 09:00"), hours=8, requester_unit=UnitFactory())
    return a, b


def squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_pages(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    return [squeeze(page.extract_text()) for page in reader.pages]


def report_pdf(client, unit, language: str = "en") -> bytes:
    response = client.get(
        f"/analytics/units/{unit.pk}/evaluation/", {"year": 2025, "format": "pdf"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_monthly_figures_follow_the_bookings(unit, busy_year):
    figures = unit_monthly_figures(unit_id=unit.pk, year=2025, now=at("2026-01-10 00:00"))

    assert [row["month"] for row in figures] == [f"2025-{month:02d}" for month in range(1, 13)]
    by_month = {row["month"]: row for row in figures}
    assert by_month["2025-03"]["effective_hours"] == 100.0
    assert by_month["2025-03"]["external_hours"] == 50.0
    assert by_month["2025-11"]["external_hours"] == 8.0
    assert by_month["2025-01"]["effective_hours"] == 0.0
    # Income comes from the charges: 10 x 5 h external at 400 and 10 x 5 h internal at 200 in March.
    assert by_month["2025-03"]["external_income"] == Decimal("20000.00")
    assert by_month["2025-03"]["internal_income"] == Decimal("10000.00")
    assert sum(row["effective_hours"] for row in figures) == 308.0


def test_report_has_a_summary_page_charts_and_tables_in_english(client, unit, unit_member, busy_year):
    client.force_login(unit_member)

    pages = pdf_pages(report_pdf(client, unit))

    assert len(pages) >= 4  # summary, charts, indicators, instruments
    summary = pages[0]
    assert squeeze("Summary") in summary
    assert squeeze("Proposed grade") in summary
    # 308 h over two instruments: 154 h each, far below the norm.
    assert squeeze("the national norm of 800 hours is not met") in summary
    assert squeeze("National norm of 800 effective hours a year") in summary
    assert squeeze("Platform median") in summary
    charts = pages[1]
    assert squeeze("Machine hours by month, 2025") in charts
    assert squeeze("Income by month, 2025") in charts
    for month in ("01", "03", "11", "12"):
        assert month in charts  # the category axis
    assert squeeze("Effective hours") in charts  # the legend
    assert squeeze("Indicators") in pages[2]
    assert squeeze("Effective machine hours") in pages[2]


def test_charts_are_vector_drawings(client, unit, unit_member, busy_year):
    client.force_login(unit_member)
    reader = PdfReader(io.BytesIO(report_pdf(client, unit)))

    summary_ops = reader.pages[0].get_contents().get_data()
    chart_ops = reader.pages[1].get_contents().get_data()

    # Bars are filled rectangles: 8 of hours (March to May and November, two series), 7 of income
    # (November has no internal income) and 4 legend swatches; the summary page has none of them.
    bars = chart_ops.count(b" re ")
    assert bars >= 19
    assert bars > 3 * summary_ops.count(b" re ")
    assert b"(Effective hours) Tj" in chart_ops  # the legend, drawn as text


def test_report_in_chinese(client, unit, unit_member, busy_year):
    client.force_login(unit_member)

    pages = pdf_pages(report_pdf(client, unit, "zh-hans"))

    summary = pages[0]
    assert "概览" in summary
    assert "建议等级" in summary
    assert squeeze("未达到全国800小时的标准") in summary
    assert "平台中位数" in summary
    assert "按月机时" in pages[1]
    assert "按月收入" in pages[1]


def test_norm_met_is_said_so(client, unit, unit_member, other_unit):
    a = InstrumentFactory(unit=unit)
    for day in range(1, 29):
        used_booking(a, start=at(f"2025-02-{day:02d} 00:00"), hours=23, requester_unit=other_unit)
        used_booking(a, start=at(f"2025-07-{day:02d} 00:00"), hours=23, requester_unit=other_unit)
    client.force_login(unit_member)

    pages = pdf_pages(report_pdf(client, unit))

    assert squeeze("the national norm of 800 hours is met") in pages[0]


def test_unit_name_with_markup_stays_text_everywhere(api_client, unit, unit_member, busy_year):
    unit.name = unit.name_en = 'R&D <b>Lab</b> <img src="/etc/hostname"/>'
    unit.save()
    api_client.force_authenticate(unit_member)

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/", {"year": 2025, "format": "pdf"})

    assert response.status_code == 200
    assert b"/Subtype /Image" not in response.content
    pages = pdf_pages(response.content)
    assert squeeze(unit.name) in pages[0]  # the title and the summary sentence show it literally
    assert squeeze(unit.name) in pages[1]  # the footer of every page too
