"""Analytics pages through the Django test client: figures shown, charts inline, exports, who may see them."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import InstrumentFactory, UserFactory

from .factories import at, used_booking

pytestmark = pytest.mark.django_db


def test_page_instrument_hours_shows_figures_and_chart(client, instrument, other_unit):
    used_booking(instrument, start=at("2026-02-28 22:00"), hours=4, requester_unit=other_unit)

    response = client.get(
        reverse("analytics:instrument-hours", args=[instrument.pk]), {"start": "2026-03-01", "end": "2026-03-01"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="effective-hours">2<' in content
    assert 'id="hours-chart"' in content
    assert "<svg" in content


def test_page_instrument_hours_bad_window_shows_error(client, instrument):
    response = client.get(reverse("analytics:instrument-hours", args=[instrument.pk]), {"start": "soon"})

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_page_idle_for_manager_and_refused_for_plain_user(client, unit, unit_manager, user):
    InstrumentFactory(unit=unit)
    url = reverse("analytics:idle")

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(user)
    assert client.get(url).status_code == 403
    client.force_login(unit_manager)
    response = client.get(url)
    assert response.status_code == 200
    assert 'id="idle-count">1<' in response.content.decode()


def test_page_unit_evaluation_and_exports(client, unit, unit_member, instrument, other_unit):
    used_booking(instrument, start=at("2025-05-05 09:00"), hours=5, requester_unit=other_unit)
    client.force_login(unit_member)
    url = reverse("analytics:unit-evaluation", args=[unit.pk])

    page = client.get(url, {"year": 2025})
    csv_file = client.get(url, {"year": 2025, "format": "csv"})
    xlsx_file = client.get(url, {"year": 2025, "format": "xlsx"})
    pdf_file = client.get(url, {"year": 2025, "format": "pdf"})

    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="grade"' in content
    assert 'id="comparison-chart"' in content
    assert "format=pdf" in content
    rows = {row[1]: row[2] for row in csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))) if len(row) == 4}
    assert rows["External service hours"] == "5.0"
    sheet = load_workbook(io.BytesIO(xlsx_file.content)).worksheets[0]
    assert sheet["A1"].value.startswith("Open sharing evaluation 2025")
    assert pdf_file.content.startswith(b"%PDF")


def test_page_unit_evaluation_refused_for_outsiders(client, unit, other_unit_manager):
    client.force_login(other_unit_manager)

    response = client.get(reverse("analytics:unit-evaluation", args=[unit.pk]), {"format": "pdf"})

    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")


def test_page_before_you_buy_is_public(client, instrument):
    empty = client.get(reverse("analytics:before-you-buy"))
    found = client.get(reverse("analytics:before-you-buy"), {"category": "analytical", "region": "310000"})
    bad = client.get(reverse("analytics:before-you-buy"), {"category": "nothing-like-it"})

    assert empty.status_code == 200
    assert found.status_code == 200
    assert 'id="matches">1<' in found.content.decode()
    assert instrument.display_name in found.content.decode()
    assert bad.status_code == 400


def test_page_platform_for_admins_only(client, unit_admin, platform_admin):
    url = reverse("analytics:platform")
    client.force_login(unit_admin)
    assert client.get(url).status_code == 403
    client.force_login(platform_admin)

    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<svg") >= 4
    assert 'id="tiers"' in content


def test_page_platform_anonymous_goes_to_login(client):
    response = client.get(reverse("analytics:platform"))

    assert response.status_code == 302


def test_pages_plain_user_cannot_see_other_units(client, unit):
    client.force_login(UserFactory())

    assert client.get(reverse("analytics:unit-evaluation", args=[unit.pk])).status_code == 403
