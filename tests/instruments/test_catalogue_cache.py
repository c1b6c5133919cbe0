"""The shared cache of catalogue pages (issue 14.1), through HTTP with the cache on (the tests' settings):
a repeated page reads nothing from the database, and no page shows an instrument after it is retired,
after its unit is suspended, or with its old name or its provider's old credit score."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from instruments.models import Membership, Unit
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/instruments/"


def api_ids(params=None) -> list[int]:
    response = APIClient().get(API, params or {})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def page(params=None) -> str:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("catalogue"), params or {})
    assert response.status_code == 200
    return response.content.decode()


def queries_of(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


@pytest.fixture
def listed():
    unit = UnitFactory(credit_score=640, credit_tier="fair")
    manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    kept = InstrumentFactory(unit=unit, name_en="Kept spectrometer")
    retiring = InstrumentFactory(unit=unit, name_en="Retiring centrifuge")
    other = InstrumentFactory(unit=UnitFactory(), name_en="Other unit's microscope")
    return {"unit": unit, "manager": manager, "kept": kept, "retiring": retiring, "other": other}


def test_a_repeated_page_is_served_from_the_cache(listed):
    assert queries_of(api_ids) == 1
    assert queries_of(api_ids) == 0
    assert queries_of(page) >= 1
    assert queries_of(page) == 0  # anonymous: nothing but the cache
    filtered = {"q": "centrifuge", "region": listed["unit"].region.code}
    assert queries_of(lambda: api_ids(filtered)) >= 1
    assert api_ids(filtered) == [listed["retiring"].pk]
    assert queries_of(lambda: api_ids(filtered)) == 0


def test_a_retired_instrument_leaves_every_cached_page_at_once(listed):
    retiring = listed["retiring"]
    filtered = {"unit": listed["unit"].pk}
    for _ in range(2):  # the second read of each comes from the cache
        assert retiring.pk in api_ids()
        assert retiring.pk in api_ids(filtered)
        assert "Retiring centrifuge" in page()
        assert "Retiring centrifuge" in page(filtered)
    manager_api = APIClient()
    manager_api.force_authenticate(listed["manager"])
    response = manager_api.post(f"{API}{retiring.pk}/retire/")
    assert response.status_code == 200, response.content

    assert retiring.pk not in api_ids()
    assert retiring.pk not in api_ids(filtered)
    assert "Retiring centrifuge" not in page()
    assert "Retiring centrifuge" not in page(filtered)
    assert "Kept spectrometer" in page(filtered)


def test_a_suspended_units_instruments_leave_every_cached_page_at_once(listed):
    unit = listed["unit"]
    for _ in range(2):
        assert {listed["kept"].pk, listed["retiring"].pk} <= set(api_ids())
        assert "Kept spectrometer" in page()
    admin_api = APIClient()
    admin_api.force_authenticate(AdminUserFactory())
    response = admin_api.post(f"/api/v1/units/{unit.pk}/suspend/", {"reason": "Audit"}, format="json")
    assert response.status_code == 200, response.content
    assert Unit.objects.get(pk=unit.pk).status == Unit.Status.SUSPENDED

    assert api_ids() == [listed["other"].pk]
    assert api_ids({"unit": unit.pk}) == []
    html = page()
    assert "Kept spectrometer" not in html
    assert "Retiring centrifuge" not in html
    assert "Other unit&#x27;s microscope" in html or "Other unit's microscope" in html


def test_an_edited_instrument_and_a_new_credit_score_show_at_once(listed):
    kept = listed["kept"]
    for _ in range(2):
        assert "Kept spectrometer" in page()
        assert "credit 640" in page()
        assert {
            row["unit"]["credit_score"] for row in APIClient().get(API, {"unit": listed["unit"].pk}).json()["results"]
        } == {640}
    manager_api = APIClient()
    manager_api.force_authenticate(listed["manager"])
    response = manager_api.patch(f"{API}{kept.pk}/", {"name_en": "Renamed spectrometer"}, format="json")
    assert response.status_code == 200, response.content
    html = page()
    assert "Renamed spectrometer" in html
    assert "Kept spectrometer" not in html

    # The credit layer writes the unit's score with bulk_update (no post_save): it forgets the pages itself.
    from credit.recompute import recompute_subject

    recompute_subject(f"unit:{listed['unit'].pk}")
    score = Unit.objects.get(pk=listed["unit"].pk).credit_score
    assert score not in (None, 640)
    assert f"credit {score}" in page()
    rows = APIClient().get(API, {"unit": listed["unit"].pk}).json()["results"]
    assert {row["unit"]["credit_score"] for row in rows} == {score}


def test_caching_can_be_turned_off(settings, listed):
    settings.CATALOGUE_CACHE_SECONDS = 0
    assert queries_of(api_ids) == 1
    assert queries_of(api_ids) == 1


def cache_reads_of(read) -> int:
    """Round trips to the cache: get_many calls, and get calls outside them (the tests' memory cache answers
    get_many by one get per key)."""
    from unittest import mock

    from django.core.cache import cache

    with (
        mock.patch.object(cache, "get", wraps=cache.get) as get,
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
    ):
        read()
    keys_in_get_many = sum(len(call.args[0]) for call in get_many.call_args_list)
    return get_many.call_count + get.call_count - keys_in_get_many


def test_a_repeated_html_page_costs_one_cache_round_trip(listed):
    filtered = {"q": "spectrometer", "unit": listed["unit"].pk}
    page(filtered)
    assert cache_reads_of(lambda: page(filtered)) == 1
    assert queries_of(lambda: page(filtered)) == 0


def test_a_retired_instrument_leaves_the_cached_html_of_every_visitor_and_language(listed):
    retiring = listed["retiring"]
    manager = Client(HTTP_ACCEPT_LANGUAGE="en")
    manager.force_login(listed["manager"])
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")

    link = f'href="{reverse("instrument-detail", args=[retiring.pk])}"'

    def shown() -> list[bool]:
        return [
            link in html
            for html in (
                page(),
                page({"unit": listed["unit"].pk, "ordering": "name"}),
                manager.get(reverse("catalogue")).content.decode(),
                chinese.get(reverse("catalogue")).content.decode(),
            )
        ]

    assert shown() == shown() == [True] * 4  # the second round from the cache
    manager_api = APIClient()
    manager_api.force_authenticate(listed["manager"])
    assert manager_api.post(f"{API}{retiring.pk}/retire/").status_code == 200
    assert shown() == [False] * 4


def test_a_value_holding_an_ampersand_is_not_taken_for_two_filters(listed):
    region = listed["unit"].region.code
    # The same characters once as one search text and once as two filters: two different pages.
    assert api_ids({"q": f"centrifuge&region={region}"}) == []
    assert api_ids({"q": "centrifuge", "region": region}) == [listed["retiring"].pk]
    assert "Retiring centrifuge" not in page({"q": f"centrifuge&region={region}"})
    assert "Retiring centrifuge" in page({"q": "centrifuge", "region": region})


# --- The API's rendered answer (issue 14.1, fourth pass) --------------------------------------------------------


def test_a_repeated_api_answer_costs_no_sql_and_one_cache_round_trip(listed):
    filtered = {"q": "spectrometer", "unit": listed["unit"].pk, "page_size": 1}
    first = APIClient().get(API, filtered)
    with CaptureQueriesContext(connection) as captured:
        rounds = cache_reads_of(lambda: APIClient().get(API, filtered))
    assert len(captured.captured_queries) == 0
    assert rounds == 1
    again = APIClient().get(API, filtered)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    for header in ("Allow", "Vary", "Content-Language"):
        assert again[header] == first[header]
    assert again.json()["results"][0]["id"] == listed["kept"].pk


def test_the_api_answer_of_one_host_or_scheme_is_not_served_to_another(listed):
    def next_link(**extra) -> str:
        response = APIClient().get(API, {"page_size": 1}, **extra)
        assert response.status_code == 200, response.content
        return response.json()["next"]

    for _ in range(2):  # the second round from the cache
        assert next_link(HTTP_HOST="localhost").startswith("http://localhost/")
        assert next_link(HTTP_HOST="127.0.0.1").startswith("http://127.0.0.1/")
        assert next_link(HTTP_HOST="localhost", secure=True).startswith("https://localhost/")


def test_the_order_of_parameters_does_not_leak_between_api_answers(listed):
    unit = listed["unit"].pk
    ordered = APIClient().get(f"{API}?unit={unit}&ordering=name&page_size=1").json()
    swapped = APIClient().get(f"{API}?page_size=1&ordering=name&unit={unit}").json()
    assert swapped == ordered  # the links are written with their parameters sorted
    # A filter reads the last of its values: the same values in another order are another answer.
    assert api_ids({"q": ["spectrometer", "centrifuge"]}) == [listed["retiring"].pk]
    assert api_ids({"q": ["centrifuge", "spectrometer"]}) == [listed["kept"].pk]
    assert api_ids({"q": ["spectrometer", "centrifuge"]}) == [listed["retiring"].pk]


def test_a_retired_instrument_leaves_the_cached_api_answer_of_every_order_and_host(listed):
    retiring = listed["retiring"]
    unit = listed["unit"].pk
    urls = [f"{API}?unit={unit}&ordering=name", f"{API}?ordering=name&unit={unit}", API]

    def shown() -> list[bool]:
        return [
            retiring.pk in [row["id"] for row in APIClient().get(url, HTTP_HOST=host).json()["results"]]
            for url in urls
            for host in ("localhost", "testserver")
        ]

    assert shown() == shown() == [True] * 6
    manager_api = APIClient()
    manager_api.force_authenticate(listed["manager"])
    assert manager_api.post(f"{API}{retiring.pk}/retire/").status_code == 200
    assert shown() == [False] * 6


def test_a_signed_in_manager_still_reaches_their_unlisted_instrument(listed):
    retiring = listed["retiring"]
    manager_api = APIClient()
    manager_api.force_authenticate(listed["manager"])
    assert manager_api.post(f"{API}{retiring.pk}/retire/").status_code == 200
    anonymous = APIClient().get(API).json()
    # The list is the catalogue for every caller (the same cached answer); the manager's own retired
    # instrument is reached through its detail, which is never cached.
    assert manager_api.get(API).json() == anonymous
    for _ in range(2):
        detail = manager_api.get(f"{API}{retiring.pk}/")
        assert detail.status_code == 200, detail.content
        assert detail.json()["status"] == "retired"
    assert APIClient().get(f"{API}{retiring.pk}/").status_code == 404


def test_the_browsable_api_is_not_served_from_the_json_cache(listed):
    APIClient().get(API)
    html = APIClient().get(API, HTTP_ACCEPT="text/html")
    assert html.status_code == 200
    assert html["Content-Type"].startswith("text/html")
    assert APIClient().get(API)["Content-Type"] == "application/json"
