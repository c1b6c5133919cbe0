"""Every paginated list answers a page it cannot serve with the project's JSON 404, never a 500.

A page number whose offset does not fit the database's 64-bit integers used to reach SQL and fail
there ("bigint out of range" on PostgreSQL, an OverflowError on SQLite). The page-number lists are
found in the OpenAPI schema (an operation with a ``page`` query parameter), so a new list is covered
without editing this file; the cursor lists ignore ``page`` and refuse a forged cursor cleanly.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from partners.models import Partner, Scope, WebhookEndpoint
from partners.services import partner_key_issue
from tests.factories import AdminUserFactory, InstrumentFactory, UnitFactory

HUGE = "561399989803013439488"  # the page of the report: (page - 1) * size overflows a bigint
BAD_PAGES = [HUGE, str(2**63), str(2**63 // 20), "-1", "0", "abc", "1.5", "", "9" * 5000]
# Known at the time of writing; the schema must list at least these (else discovery is broken).
KNOWN_PAGE_NUMBER_LISTS = {
    "/api/v1/units/",
    "/api/v1/instruments/",
    "/api/v1/disputes/",
    "/api/v1/credit/entries/",
    "/api/v1/credit/appeals/",
    "/api/v1/credit/repairs/",
}


def _schema_lists(parameter: str) -> set[str]:
    schema = SchemaGenerator().get_schema(public=True)
    return {
        path
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "get"
        and any(p["in"] == "query" and p["name"] == parameter for p in operation.get("parameters", []))
    }


def _assert_json_not_found(response, url: str) -> None:
    assert response.status_code == 404, (url, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), url
    assert response.json()["detail"], url


@pytest.fixture
def admin_api(db):
    UnitFactory()
    InstrumentFactory()
    client = APIClient()
    client.force_authenticate(AdminUserFactory())
    return client


def test_pagination_page_number_lists_found_in_schema():
    assert _schema_lists("page") >= KNOWN_PAGE_NUMBER_LISTS


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(_schema_lists("page")))
def test_pagination_bad_page_numbers_answer_json_404(admin_api, path):
    first = admin_api.get(path, {"page": "1"})
    assert first.status_code == 200, (path, first.content[:300])  # the list itself works for this user
    for page in BAD_PAGES:
        url = f"{path}?{urlencode({'page': page})}"
        _assert_json_not_found(admin_api.get(url), url)


@pytest.mark.django_db
def test_pagination_huge_page_of_the_report_is_404_anonymously(api_client):
    for path in ("/api/v1/units/", "/api/v1/instruments/"):
        _assert_json_not_found(api_client.get(f"{path}?page={HUGE}"), path)
        _assert_json_not_found(api_client.get(f"{path}?page={HUGE}&page_size=100"), path)


@pytest.mark.django_db
def test_pagination_last_representable_page_is_an_empty_404_not_an_error(admin_api):
    """The largest page whose offset still fits is asked of the database, which finds nothing there."""
    page_size = 20
    largest = (2**63 - 1 - (page_size + 1)) // page_size + 1
    _assert_json_not_found(admin_api.get(f"/api/v1/units/?page={largest}&page_size={page_size}"), "units")
    _assert_json_not_found(admin_api.get(f"/api/v1/units/?page={largest + 1}&page_size={page_size}"), "units")


def _cursor(**fields: str) -> str:
    return base64.b64encode(urlencode(fields).encode()).decode()


@pytest.mark.django_db
def test_pagination_cursor_lists_ignore_page_and_refuse_forged_cursors(admin_api):
    admin = AdminUserFactory()
    partner = Partner.objects.create(name="University Portal")
    _key, raw = partner_key_issue(partner=partner, name="test key", scopes=list(Scope.values), expires_at=None)
    endpoint = WebhookEndpoint.objects.create(partner=partner, url="https://example.org/hook", secret="s" * 40)
    partner_api = APIClient()
    partner_api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    unit = UnitFactory()
    lists = {  # the schema's path, the path with real ids, who may read it
        "/api/v1/bookings/": ("/api/v1/bookings/", admin_api),
        "/api/v1/credit/lists/black/": ("/api/v1/credit/lists/black/", admin_api),
        "/api/v1/credit/lists/red/": ("/api/v1/credit/lists/red/", admin_api),
        "/api/v1/credit/users/{id}/events/": (f"/api/v1/credit/users/{admin.pk}/events/", admin_api),
        "/api/v1/credit/units/{id}/events/": (f"/api/v1/credit/units/{unit.pk}/events/", admin_api),
        "/api/v1/partner/bookings/": ("/api/v1/partner/bookings/", partner_api),
        "/api/v1/webhooks/{id}/deliveries/": (f"/api/v1/webhooks/{endpoint.pk}/deliveries/", partner_api),
        "/api/v1/charges/": ("/api/v1/charges/", admin_api),
        "/api/v1/statements/": ("/api/v1/statements/", admin_api),
        "/api/v1/partner/charges/": ("/api/v1/partner/charges/", partner_api),
        "/api/v1/partner/statements/": ("/api/v1/partner/statements/", partner_api),
    }
    assert set(lists) == _schema_lists("cursor")
    paths = dict(lists.values())
    for path, client in paths.items():
        for page in BAD_PAGES:  # not a parameter of these lists: ignored
            assert client.get(path, {"page": page}).status_code == 200, (path, page)
        for cursor in ("garbage", _cursor(o=HUGE), _cursor(o="-5"), _cursor(o="1", r="1", p="x" * 40)):
            response = client.get(path, {"cursor": cursor})
            assert response.status_code in {200, 400, 404}, (path, cursor, response.status_code)
            assert response["Content-Type"].startswith("application/json"), (path, cursor)
        _assert_json_not_found(client.get(path, {"cursor": "garbage"}), path)
