"""The national division list (GB/T 2260) and `GET /api/v1/regions/`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from instruments.models import Region
from instruments.region_data import national_divisions, regions_load

pytestmark = pytest.mark.django_db

URL = "/api/v1/regions/"
BAOTOU_COUNTIES = {
    "150202": ("东河区", "Donghe District"),
    "150203": ("昆都仑区", "Kundulun District"),
    "150204": ("青山区", "Qingshan District"),
    "150205": ("石拐区", "Shiguai District"),
    "150206": ("白云鄂博矿区", "Bayan Obo Mining District"),
    "150207": ("九原区", "Jiuyuan District"),
    "150221": ("土默特右旗", "Tumed Right Banner"),
    "150222": ("固阳县", "Guyang County"),
    "150223": ("达尔罕茂明安联合旗", "Darhan Muminggan United Banner"),
}


def test_regions_migration_loads_the_national_list_with_parent_links():
    assert Region.objects.filter(level=1).count() == 34
    assert Region.objects.filter(level=2).count() == 333
    assert Region.objects.filter(level=3).count() == 2845
    baotou = Region.objects.get(code="150200")
    assert (baotou.name_zh, baotou.name_en, baotou.parent.code) == ("包头市", "Baotou", "150000")
    children = {region.code: (region.name_zh, region.name_en) for region in baotou.children.all()}
    assert children == BAOTOU_COUNTIES
    # Every non-provincial division has a parent one level up (or a province, for county-level divisions
    # under a province or a municipality directly: Xiantao, Beijing's districts).
    assert not Region.objects.filter(level__gt=1, parent__isnull=True).exists()
    assert not Region.objects.filter(level=2).exclude(parent__level=1).exists()
    assert Region.objects.get(code="429004").parent.code == "420000"
    assert Region.objects.get(code="110101").parent.code == "110000"
    assert not Region.objects.filter(name_en="").exists()


def test_regions_load_is_idempotent_and_repairs_renamed_rows(django_assert_max_num_queries):
    Region.objects.filter(code="150203").update(name_en="Kundulun", level=1)
    with django_assert_max_num_queries(12):
        created = regions_load(Region)
    assert created == 0
    kundulun = Region.objects.get(code="150203")
    assert (kundulun.name_en, kundulun.level, kundulun.parent.code) == ("Kundulun District", 3, "150200")
    assert Region.objects.count() == len(national_divisions())


def test_regions_list_is_paged_and_public(api_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = api_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["page_size"] == 20
    assert len(body["results"]) == 20
    assert body["next"].endswith("?page=2")
    first = body["results"][0]
    assert set(first) == {"id", "code", "name", "name_zh", "name_en", "full_name", "level", "parent"}
    assert (first["code"], first["level"], first["parent"]) == ("110000", 1, None)  # provinces first


@pytest.mark.parametrize("page_size", [5, 100])
def test_regions_list_query_count_does_not_grow_with_the_page(api_client, django_assert_num_queries, page_size):
    with django_assert_num_queries(1):
        response = api_client.get(URL, {"q": "15", "page_size": page_size})
    assert len(response.json()["results"]) == page_size
    with django_assert_num_queries(2):  # the parent is resolved once, to refuse an unknown one
        response = api_client.get(URL, {"parent": "150000", "page_size": page_size})
    assert len(response.json()["results"]) == min(page_size, 12)


def test_regions_search_by_code_prefix(api_client):
    results = api_client.get(URL, {"q": "1502"}).json()["results"]
    assert [row["code"] for row in results] == ["150200", *sorted(BAOTOU_COUNTIES)]


@pytest.mark.parametrize(("query", "code"), [("包头", "150200"), ("baotou", "150200"), ("昆都仑", "150203")])
def test_regions_search_by_name_in_either_language(api_client, query, code):
    results = api_client.get(URL, {"q": query}).json()["results"]
    assert [row["code"] for row in results] == [code]


def test_regions_search_finds_every_division_of_a_name(api_client):
    results = api_client.get(URL, {"q": "Qingshan District", "page_size": 100}).json()["results"]
    assert "150204" in {row["code"] for row in results}
    assert len(results) >= 2  # several cities have a Qingshan District: full_name tells them apart
    assert len({row["full_name"] for row in results}) == len(results)


def test_regions_children_of_a_parent_by_code_or_id(api_client):
    by_code = api_client.get(URL, {"parent": "150200"}).json()["results"]
    assert [row["code"] for row in by_code] == sorted(BAOTOU_COUNTIES)
    assert {row["parent"] for row in by_code} == {"150200"}
    baotou = Region.objects.get(code="150200")
    by_id = api_client.get(URL, {"parent": str(baotou.pk)}).json()["results"]
    assert by_id == by_code


def test_regions_level_filter(api_client):
    results = api_client.get(URL, {"level": 2, "q": "15", "page_size": 100}).json()["results"]
    assert len(results) == 12
    assert {row["level"] for row in results} == {2}


def test_regions_names_follow_the_language(api_client):
    en = api_client.get(URL, {"q": "150223"}, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    zh = api_client.get(URL, {"q": "150223"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    assert en["full_name"] == "Inner Mongolia · Baotou · Darhan Muminggan United Banner"
    assert zh["full_name"] == "内蒙古自治区 · 包头市 · 达尔罕茂明安联合旗"
    assert (en["name"], zh["name"]) == ("Darhan Muminggan United Banner", "达尔罕茂明安联合旗")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"parent": "999999"}, "parent"),
        ({"parent": "abc"}, "parent"),
        ({"level": "7"}, "level"),
        ({"q": "x" * 65}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_regions_bad_filters_are_400_with_the_field(api_client, params, field):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_regions_detail_by_code(api_client):
    response = api_client.get(f"{URL}150206/")
    assert response.status_code == 200
    assert response.json()["name_en"] == "Bayan Obo Mining District"
    missing = api_client.get(f"{URL}150299/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_regions_are_documented_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/regions/"]["get"]
    assert {"q", "parent", "level", "page", "page_size"} <= {parameter["name"] for parameter in operation["parameters"]}
    assert "/api/v1/regions/{code}/" in schema["paths"]


def test_regions_reload_after_a_flush_is_fast():
    """tests/conftest.py reloads the list after every transactional test; keep that cheap."""
    Region.objects.filter(units__isnull=True).filter(level=3).delete()
    with CaptureQueriesContext(connection) as queries:
        created = regions_load(Region)
    assert created == 2845
    # Batched inserts, not a query per row (SQLite caps a statement's parameters, so it needs more batches).
    assert len(queries) <= 30
