"""Platform statistics over the API: figures, grouping by top-level category and province, fixed queries."""

from decimal import Decimal

import pytest

from instruments.models import Instrument, Unit
from tests.factories import InstrumentFactory, UnitFactory, category_get, region_get

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"


def test_stats_empty_platform(api_client):
    data = api_client.get(URL).data
    assert data["verified_units"] == 0
    assert data["active_instruments"] == 0
    assert data["total_original_value"] == "0.00"
    assert data["by_category"] == []
    assert data["by_region"] == []


def test_stats_figures_group_children_under_their_parents(api_client):
    shanghai = region_get("310000")
    pudong = region_get("310115")
    assert pudong.parent == shanghai
    shanghai_unit = UnitFactory(region=pudong)
    beijing_unit = UnitFactory(region=region_get("110000"))
    UnitFactory(status=Unit.Status.PENDING)
    InstrumentFactory(unit=shanghai_unit, category=category_get("electron-optics"), original_value=Decimal("100.50"))
    InstrumentFactory(unit=shanghai_unit, category=category_get("mass-spectrometry"), original_value=Decimal("200"))
    InstrumentFactory(unit=beijing_unit, category=category_get("mechanical-testing"), original_value=Decimal("50"))
    InstrumentFactory(
        unit=beijing_unit, status=Instrument.Status.RETIRED, original_value=Decimal("999999")
    )  # not counted
    InstrumentFactory(unit=UnitFactory(status=Unit.Status.SUSPENDED), original_value=Decimal("777"))  # not counted

    data = api_client.get(URL).data
    assert data["verified_units"] == 2  # pending and suspended units are not counted
    assert data["active_instruments"] == 3
    assert data["total_original_value"] == "350.50"
    by_category = {row["code"]: row for row in data["by_category"]}
    assert set(by_category) == {"analytical", "physical-testing"}
    assert by_category["analytical"]["instruments"] == 2
    assert by_category["analytical"]["original_value"] == "300.50"
    assert by_category["physical-testing"]["instruments"] == 1
    by_region = {row["code"]: row for row in data["by_region"]}
    assert by_region["310000"]["instruments"] == 2
    assert by_region["310000"]["original_value"] == "300.50"
    assert by_region["110000"]["instruments"] == 1
    assert by_region["110000"]["units"] == 1


@pytest.mark.parametrize("rows", [3, 40])
def test_stats_query_count_is_fixed(api_client, django_assert_num_queries, rows):
    units = [UnitFactory(region=region_get(code)) for code in ("310000", "110000", "440000")]
    categories = [category_get(code) for code in ("electron-optics", "mechanical-testing", "x-ray")]
    for index in range(rows):
        InstrumentFactory(unit=units[index % 3], category=categories[index % 3])
    with django_assert_num_queries(6):
        response = api_client.get(URL)
    assert response.status_code == 200
    assert response.data["active_instruments"] == rows


def test_stats_is_read_only(api_client, platform_admin):
    api_client.force_authenticate(platform_admin)
    assert api_client.post(URL, {}, format="json").status_code == 405
