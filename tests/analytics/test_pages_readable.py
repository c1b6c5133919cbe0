"""Analytics pages read well: charts have a value axis and text drawn at a readable size, the idle list is paged,
money and figures carry thousands separators, and the evaluation opens on the current year with no placeholder
that looks like a filter value."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


def test_platform_charts_have_a_value_axis_and_readable_text(client, platform_admin):
    client.force_login(platform_admin)
    content = client.get(reverse("analytics:platform")).content.decode()
    charts = re.findall(r'<svg class="analytics-chart" viewBox="0 0 (\d+) \d+"[^>]*font-size="(\d+)"', content)
    assert len(charts) >= 4
    for width, font_size in charts:
        # Drawn at most 32rem (512 px) wide, at least about 240 px in the grid: 11 units stay 8-18 px.
        assert int(width) <= 360
        assert int(font_size) >= 11
    assert content.count('class="axis-value"') == len(charts)


def test_idle_list_is_paged(client, unit, unit_manager):
    for _ in range(53):
        InstrumentFactory(unit=unit)
    client.force_login(unit_manager)
    url = reverse("analytics:idle")
    first = client.get(url, {"days": 90}).content.decode()
    assert 'id="idle-count">53<' in first
    body = first[first.index('id="idle-table"') :]
    assert body.count("<tr><td><a") == 50
    assert "days=90&amp;page=2" in first
    second = client.get(url, {"days": 90, "page": 2}).content.decode()
    body = second[second.index('id="idle-table"') :]
    assert body.count("<tr><td><a") == 3


def test_money_and_figures_have_thousands_separators(client, unit, unit_member):
    instrument = InstrumentFactory(unit=unit, original_value=Decimal("2275500.00"), deposit=Decimal("12000"))
    page = client.get(reverse("instrument-detail", args=[instrument.pk])).content.decode()
    assert "¥2,275,500.00" in page
    assert "¥12,000.00" in page
    client.force_login(unit_member)
    evaluation = client.get(reverse("analytics:unit-evaluation", args=[unit.pk])).content.decode()
    assert "2,275,500.00" in evaluation
    assert "2275500" not in evaluation


def test_evaluation_defaults_to_the_current_year_without_a_fake_value(client, unit, unit_member):
    client.force_login(unit_member)
    content = client.get(reverse("analytics:unit-evaluation", args=[unit.pk])).content.decode()
    year = timezone.localtime().year
    assert f'<option value="{year}" selected>' in content
    assert 'placeholder="500000"' not in content
    assert "Empty: every instrument." in content
