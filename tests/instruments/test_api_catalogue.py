"""The public catalogue over the API: filters, ordering, bad filter values, and a fixed query count."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import resolve

from instruments.filters import SEARCH_FIELDS, InstrumentFilter
from instruments.models import Instrument, Region, Unit
from tests.errors import error_messages
from tests.factories import InstrumentFactory, UnitFactory, category_get, region_get

pytestmark = pytest.mark.django_db

URL = "/api/v1/instruments/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.data["results"]]


@pytest.fixture
def kundulun(db) -> Region:
    """A district of a city of a province: Inner Mongolia > Baotou > Kundulun District."""
    return region_get("150203")


def test_catalogue_lists_only_active_instruments(api_client, unit):
    listed = InstrumentFactory(unit=unit)
    maintenance = InstrumentFactory(unit=unit, status=Instrument.Status.MAINTENANCE)
    InstrumentFactory(unit=unit, status=Instrument.Status.RETIRED)
    InstrumentFactory(unit=UnitFactory(status=Unit.Status.PENDING))
    InstrumentFactory(unit=UnitFactory(status=Unit.Status.SUSPENDED))
    assert sorted(ids(api_client.get(URL))) == sorted([listed.pk, maintenance.pk])


def test_catalogue_row_shape(api_client, instrument):
    row = api_client.get(URL).data["results"][0]
    assert row["unit"]["id"] == instrument.unit_id
    assert set(row["unit"]) == {"id", "name", "status", "region", "credit_score", "credit_tier"}
    assert row["unit"]["region"]["code"] == "310000"
    assert row["category"]["code"] == "electron-optics"
    assert row["hourly_rate_external"] == "400.00"
    assert row["deposit"] == "1000.00"
    assert row["status"] == "available"
    assert row["location"] == instrument.location


def test_catalogue_pagination_has_no_count(api_client, unit):
    InstrumentFactory.create_batch(3, unit=unit)
    first = api_client.get(URL, {"page_size": 2}).data
    assert "count" not in first
    assert first["next"]
    assert first["previous"] is None
    second = api_client.get(first["next"]).data
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert second["previous"]


@pytest.mark.parametrize("term", ["hitachi", "SU80", "显微镜", "microscope", "cryo"])
def test_catalogue_search_matches_text_fields(api_client, unit, term):
    match = InstrumentFactory(unit=unit, description="Cryo stage for biological samples")
    other = InstrumentFactory(
        unit=unit, name="核磁共振波谱仪", name_en="NMR spectrometer", model_number="AVANCE", manufacturer="Bruker"
    )
    found = ids(api_client.get(URL, {"q": term}))
    if term == "cryo":
        assert found == [match.pk]
    else:
        assert match.pk in found
        assert other.pk not in found


def test_catalogue_search_terms_all_must_match(api_client, unit):
    both = InstrumentFactory(unit=unit, manufacturer="JEOL", model_number="JEM-2100F")
    InstrumentFactory(unit=unit, manufacturer="JEOL", model_number="JSM-7800")
    assert ids(api_client.get(URL, {"q": "jeol 2100"})) == [both.pk]


def test_catalogue_category_top_level_includes_children(api_client, unit):
    sem = InstrumentFactory(unit=unit, category=category_get("electron-optics"))
    ms = InstrumentFactory(unit=unit, category=category_get("mass-spectrometry"))
    tensile = InstrumentFactory(unit=unit, category=category_get("mechanical-testing"))
    assert sorted(ids(api_client.get(URL, {"category": "analytical"}))) == sorted([sem.pk, ms.pk])
    assert ids(api_client.get(URL, {"category": "mass-spectrometry"})) == [ms.pk]
    assert ids(api_client.get(URL, {"category": category_get("physical-testing").pk})) == [tensile.pk]


def test_catalogue_region_province_includes_children(api_client, kundulun):
    in_kundulun = InstrumentFactory(unit=UnitFactory(region=kundulun))
    in_province = InstrumentFactory(unit=UnitFactory(region=region_get("150000")))
    in_beijing = InstrumentFactory(unit=UnitFactory(region=region_get("110000")))
    assert sorted(ids(api_client.get(URL, {"region": "150000"}))) == sorted([in_kundulun.pk, in_province.pk])
    assert ids(api_client.get(URL, {"region": "150200"})) == [in_kundulun.pk]
    assert ids(api_client.get(URL, {"region": "150203"})) == [in_kundulun.pk]
    assert ids(api_client.get(URL, {"region": str(region_get("110000").pk)})) == [in_beijing.pk]


def test_catalogue_unit_rate_and_status_filters(api_client, unit, other_unit):
    cheap = InstrumentFactory(unit=unit, hourly_rate_external=Decimal("100"))
    middle = InstrumentFactory(unit=unit, hourly_rate_external=Decimal("300"), status=Instrument.Status.MAINTENANCE)
    dear = InstrumentFactory(unit=other_unit, hourly_rate_external=Decimal("900"))
    assert sorted(ids(api_client.get(URL, {"unit": unit.pk}))) == sorted([cheap.pk, middle.pk])
    assert sorted(ids(api_client.get(URL, {"min_rate": "300"}))) == sorted([middle.pk, dear.pk])
    assert sorted(ids(api_client.get(URL, {"max_rate": "300"}))) == sorted([cheap.pk, middle.pk])
    assert ids(api_client.get(URL, {"min_rate": "150", "max_rate": "500"})) == [middle.pk]
    assert ids(api_client.get(URL, {"status": "maintenance"})) == [middle.pk]


def test_catalogue_ordering(api_client):
    low = InstrumentFactory(
        name="A",
        name_en="A",
        hourly_rate_external=Decimal("10"),
        original_value=Decimal("5"),
        unit=UnitFactory(credit_score=600),
    )
    high = InstrumentFactory(
        name="C",
        name_en="C",
        hourly_rate_external=Decimal("30"),
        original_value=Decimal("1"),
        unit=UnitFactory(credit_score=900),
    )
    unscored = InstrumentFactory(
        name="B",
        name_en="B",
        hourly_rate_external=Decimal("20"),
        original_value=Decimal("9"),
        unit=UnitFactory(credit_score=None),
    )
    assert ids(api_client.get(URL, {"ordering": "name"})) == [low.pk, unscored.pk, high.pk]
    assert ids(api_client.get(URL, {"ordering": "hourly_rate_external"})) == [low.pk, unscored.pk, high.pk]
    assert ids(api_client.get(URL, {"ordering": "-hourly_rate_external"})) == [high.pk, unscored.pk, low.pk]
    assert ids(api_client.get(URL, {"ordering": "original_value"})) == [high.pk, low.pk, unscored.pk]
    assert ids(api_client.get(URL, {"ordering": "-original_value"})) == [unscored.pk, low.pk, high.pk]
    assert ids(api_client.get(URL, {"ordering": "-created_at"})) == [unscored.pk, high.pk, low.pk]
    # Provider credit, best first, unscored providers last either way.
    assert ids(api_client.get(URL, {"ordering": "-unit__credit_score"})) == [high.pk, low.pk, unscored.pk]
    assert ids(api_client.get(URL, {"ordering": "unit__credit_score"})) == [low.pk, high.pk, unscored.pk]


def test_catalogue_orders_by_the_name_in_the_active_language(api_client, django_assert_num_queries):
    """In English "by name" follows the English names (a row without one sorts by its Chinese name);
    in Chinese it follows the Chinese names. Both the default order and ordering=name, both directions."""
    spectrometer = InstrumentFactory(name="质谱仪", name_en="Mass spectrometer")
    microscope = InstrumentFactory(name="原子力显微镜", name_en="Atomic force microscope")
    chinese_only = InstrumentFactory(name="X射线衍射仪", name_en="")
    centrifuge = InstrumentFactory(name="超速离心机", name_en="Ultracentrifuge")
    english = [microscope.pk, spectrometer.pk, centrifuge.pk, chinese_only.pk]  # Atomic, Mass, Ultra, X射线
    # The database's collation orders the Chinese names (code points on SQLite, the locale on PostgreSQL).
    chinese = list(Instrument.objects.order_by("name", "id").values_list("pk", flat=True))
    for language, expected in (("en", english), ("zh-hans", chinese)):
        headers = {"HTTP_ACCEPT_LANGUAGE": language}
        with django_assert_num_queries(1):
            assert ids(api_client.get(URL, **headers)) == expected, language
        assert ids(api_client.get(URL, {"ordering": "name"}, **headers)) == expected, language
        assert ids(api_client.get(URL, {"ordering": "-name"}, **headers)) == expected[::-1], language
    assert english != chinese


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "no-such-category"}, "category"),
        ({"category": "999999"}, "category"),
        ({"region": "999999"}, "region"),
        ({"region": "shanghai"}, "region"),
        ({"unit": "999999"}, "unit"),
        ({"unit": "abc"}, "unit"),
        ({"min_rate": "cheap"}, "min_rate"),
        ({"max_rate": "-1"}, "max_rate"),
        ({"min_rate": "500", "max_rate": "100"}, "max_rate"),
        ({"status": "retired"}, "status"),
        ({"status": "broken"}, "status"),
        ({"ordering": "password"}, "ordering"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_catalogue_bad_filter_is_400_with_message(api_client, instrument, params, field):
    response = api_client.get(URL, params)
    assert response.status_code == 400, response.data
    assert response.data["field"] == field
    assert response.data["code"] == "invalid"
    assert response.data["detail"].startswith(f"{field}: ")
    assert error_messages(response.data, field)


def test_catalogue_unknown_category_message_names_value(api_client):
    response = api_client.get(URL, {"category": "no-such-category"})
    assert "no-such-category" in response.data["detail"]


def test_catalogue_bad_page_is_404_not_500(api_client, instrument):
    assert api_client.get(URL, {"page": "abc"}).status_code == 404
    assert api_client.get(URL, {"page": "99"}).status_code == 404


@pytest.mark.parametrize(("rows", "page_size"), [(5, 5), (60, 5), (5, 50), (60, 50)])
def test_catalogue_query_count_is_fixed(api_client, django_assert_num_queries, rows, page_size):
    units = UnitFactory.create_batch(3)
    made = {InstrumentFactory(unit=units[index % 3]).pk for index in range(rows)}
    with django_assert_num_queries(1):
        response = api_client.get(URL, {"page_size": page_size})
    shown = ids(response)
    assert len(shown) == min(rows, page_size)
    assert set(shown) <= made


@pytest.mark.parametrize("rows", [5, 60])
def test_catalogue_query_count_with_filters_is_fixed(api_client, django_assert_num_queries, rows):
    unit = UnitFactory()
    made = {InstrumentFactory(unit=unit).pk for _ in range(rows)}
    InstrumentFactory()  # another unit's instrument, filtered out
    params = {"category": "analytical", "region": "310000", "unit": unit.pk, "q": "microscope", "page_size": 50}
    # One lookup each for category, region and unit, then the page itself.
    with django_assert_num_queries(4):
        response = api_client.get(URL, {**params, "ordering": "-unit__credit_score"})
    shown = ids(response)
    assert len(shown) == min(rows, 50)
    assert set(shown) <= made


def test_catalogue_detail_route_leaves_import_and_export_alone():
    # The detail route is digits-only, so /instruments/import/ is never read as an instrument id.
    assert resolve("/api/v1/instruments/import/").url_name == "api-instrument-import"
    assert resolve("/api/v1/instruments/export/").url_name == "api-instrument-export"
    assert resolve("/api/v1/instruments/12/").url_name == "api-instrument-detail"
    assert resolve("/api/v1/instruments/12/retire/").url_name == "api-instrument-retire"


@pytest.mark.postgres
def test_catalogue_search_uses_trigram_indexes_on_postgres(unit):
    InstrumentFactory.create_batch(3, unit=unit)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'instruments_instrument'")
        names = {row[0] for row in cursor.fetchall()}
        assert {f"instrument_{column}_trgm" for column in SEARCH_FIELDS} <= names
        # With so few rows the planner prefers a scan; forbid it to see that the indexes serve the filter.
        cursor.execute("SET LOCAL enable_seqscan = off")
    # The search filter on its own (the joins of the full catalogue query let the planner pick other paths; the
    # relevance order's provider-credit tie-break joins the unit, so the order is left out too).
    queryset = InstrumentFilter({"q": "hitachi"}, queryset=Instrument.objects.order_by()).qs.order_by()
    plan = queryset.explain()
    assert "instrument_name_trgm" in plan, plan
    assert "instrument_manufacturer_trgm" in plan


@pytest.mark.postgres
def test_catalogue_search_ranks_closest_names_first_on_postgres(api_client, unit):
    loose = InstrumentFactory(unit=unit, name="Aaa", name_en="Adapter", description="fits a confocal microscope")
    close = InstrumentFactory(unit=unit, name="Zzz", name_en="Confocal microscope")
    assert ids(api_client.get(URL, {"q": "confocal microscope"})) == [close.pk, loose.pk]
    # An explicit ordering wins over relevance.
    assert ids(api_client.get(URL, {"q": "confocal microscope", "ordering": "name"})) == [loose.pk, close.pk]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("language", "index"), [("en", "instrument_name_en_id_idx"), ("zh-hans", "instrument_name_id_idx")]
)
def test_catalogue_name_order_is_served_by_an_index_in_each_language(unit, language, index):
    from django.utils import translation

    from instruments.models import name_order

    InstrumentFactory.create_batch(3, unit=unit)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    with translation.override(language):
        plan = Instrument.objects.order_by(name_order(), "id")[:20].explain()
    assert index in plan


@pytest.mark.postgres
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_catalogue_default_order_walks_providers_by_credit_without_sorting_the_table(unit, language):
    """The default order (provider credit, then name; issue 18.6): PostgreSQL walks the units by the credit index
    and sorts only the instruments of one credit value at a time (an incremental sort), never every instrument."""
    from django.utils import translation

    from instruments.selectors.catalogue import CATALOGUE_COLUMNS, instrument_catalogue_queryset

    InstrumentFactory.create_batch(3, unit=unit)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    with translation.override(language):
        plan = instrument_catalogue_queryset().values(*CATALOGUE_COLUMNS)[:21].explain()
    assert "unit_credit_desc_idx" in plan, plan
    assert "Incremental Sort" in plan, plan
    assert "Presorted Key: instruments_unit.credit_score" in plan, plan
