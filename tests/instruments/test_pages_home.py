"""The home page: search box and platform figures."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import InstrumentFactory, UnitFactory, category_get, region_get

pytestmark = pytest.mark.django_db


def test_home_empty_platform_says_so():
    response = Client().get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="q"' in body
    assert reverse("catalogue") in body
    assert "No instruments are listed yet" in body


def test_home_shows_figures_with_bars():
    unit = UnitFactory(region=region_get("440000"))
    InstrumentFactory(unit=unit, category=category_get("electron-optics"), original_value=Decimal("1000000"))
    InstrumentFactory(unit=unit, category=category_get("mechanical-testing"), original_value=Decimal("500000"))
    response = Client().get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    stats = response.context["stats"]
    assert stats.verified_units == 1
    assert stats.active_instruments == 2
    assert stats.total_original_value == Decimal("1500000.00")
    assert "1,500,000" in body
    assert 'class="bar"' in body
    assert "?category=analytical" in body
    assert "?region=440000" in body
    assert "Guangdong" in body


@pytest.mark.parametrize("rows", [2, 30])
def test_home_query_count_is_fixed(django_assert_num_queries, rows):
    unit = UnitFactory()
    for _ in range(rows):
        InstrumentFactory(unit=unit)
    with django_assert_num_queries(6):
        response = Client().get(reverse("home"))
    assert response.status_code == 200
    assert response.context["stats"].active_instruments == rows  # the figures count every instrument
    assert "No instruments are listed yet" not in response.content.decode()
