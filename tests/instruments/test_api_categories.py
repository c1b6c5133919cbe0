"""The category tree over the API."""

import pytest
from django.utils import translation

from instruments.models import InstrumentCategory

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


def test_categories_tree_has_two_levels_with_both_names(api_client, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = api_client.get(URL)
    assert response.status_code == 200
    tops = response.data
    assert len(tops) == InstrumentCategory.objects.filter(parent__isnull=True).count()
    analytical = next(top for top in tops if top["code"] == "analytical")
    assert analytical["name_zh"]
    assert analytical["name_en"]
    child_codes = {child["code"] for child in analytical["children"]}
    assert {"electron-optics", "mass-spectrometry"} <= child_codes
    assert all("children" not in child for child in analytical["children"])
    total = sum(1 + len(top["children"]) for top in tops)
    assert total == InstrumentCategory.objects.count()


def test_categories_localized_name_follows_language(api_client):
    with translation.override("zh-hans"):
        zh = api_client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").data
    en = api_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").data
    assert zh[0]["name"] == zh[0]["name_zh"]
    assert en[0]["name"] == en[0]["name_en"]


def test_categories_is_read_only(api_client, platform_admin):
    api_client.force_authenticate(platform_admin)
    before = InstrumentCategory.objects.count()
    assert api_client.post(URL, {"code": "x", "name_en": "x", "name_zh": "x"}, format="json").status_code == 405
    assert InstrumentCategory.objects.count() == before
