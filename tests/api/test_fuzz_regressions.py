"""One regression test per mismatch the fuzzer (test_fuzz.py) found between answers and the schema."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from bookings.services import booking_create
from tests.bookings.factories import local_slot


@pytest.fixture(scope="module")
def schema() -> dict:
    out = StringIO()
    call_command("spectacular", "--format", "openapi", stdout=out)
    return yaml.safe_load(out.getvalue())


def _component(schema, name):
    return schema["components"]["schemas"][name]["properties"]


def test_fuzz_regression_booking_moved_to_and_event_actor_may_be_null(schema):
    assert _component(schema, "Booking")["moved_to"]["nullable"] is True
    assert _component(schema, "BookingEvent")["actor"]["nullable"] is True


def test_fuzz_regression_policy_updated_at_may_be_null(schema):
    assert _component(schema, "BookingPolicy")["updated_at"]["nullable"] is True


def test_fuzz_regression_opening_hours_are_hh_mm_not_openapi_time(schema):
    opens = _component(schema, "OpeningHours")["opens"]
    assert "format" not in opens
    assert opens["pattern"]


def test_fuzz_regression_blank_email_and_url_carry_no_format(schema):
    unit = _component(schema, "Unit")
    assert "format" not in unit["website"]
    assert "format" not in unit["contact_email"]


def test_fuzz_regression_integer_path_parameters_are_not_negative(schema):
    parameters = schema["paths"]["/api/v1/bookings/{id}/"]["get"]["parameters"]
    assert [p["schema"].get("minimum") for p in parameters if p["in"] == "path"] == [0]


def test_fuzz_regression_units_list_is_documented_paginated(schema):
    body = schema["paths"]["/api/v1/units/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PaginatedUnitList"}


def test_fuzz_regression_unknown_instrument_in_booking_body_is_documented_404(schema):
    assert "404" in schema["paths"]["/api/v1/bookings/"]["post"]["responses"]


@pytest.mark.django_db
def test_fuzz_regression_reviews_and_incidents_answer_plain_lists(api_client, user, instrument):
    start, end = local_slot(days=3)
    booking = booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    api_client.force_authenticate(user)
    for suffix in ["reviews", "incidents"]:
        response = api_client.get(f"/api/v1/bookings/{booking.pk}/{suffix}/")
        assert response.status_code == 200
        assert response.json() == []


@pytest.mark.django_db
def test_fuzz_regression_partner_user_throttle_key_is_plain_whatever_the_external_id(key_client):
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        response = key_client().post(
            "/api/v1/partner/users/", {"external_id": "stu 1\x05§\U000589fc", "email": ""}, format="json"
        )
    assert response.status_code in {200, 201, 400}


@pytest.mark.django_db
@pytest.mark.parametrize("category", ["k\x002", "\u00b2", "9" * 30])
def test_fuzz_regression_catalogue_odd_category_is_400_not_500(api_client, instrument, category):
    for url in ["/api/v1/instruments/", "/api/v1/analytics/before-you-buy/"]:
        response = api_client.get(url, {"category": category})
        assert response.status_code == 400, (url, response.content)
        assert response.json()["field"] == "category"


@pytest.mark.django_db
@pytest.mark.parametrize("region", ["\u00b2", "9" * 30])
def test_fuzz_regression_catalogue_odd_region_is_400_not_500(api_client, instrument, region):
    response = api_client.get("/api/v1/instruments/", {"region": region})
    assert response.status_code == 400


# --- Issue 12, item 9: answers that disagreed with the schema ---------------------------------------


def test_fuzz_regression_qualification_times_may_be_null(schema):
    qualification = _component(schema, "Qualification")
    assert qualification["last_used_at"]["nullable"] is True
    assert qualification["revoked_at"]["nullable"] is True
    assert qualification["granted_by"]["nullable"] is True


def test_fuzz_regression_undecided_dispute_decision_is_documented_blank(schema):
    decision = _component(schema, "Dispute")["decision"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in decision["oneOf"]
    assert schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_fuzz_regression_instrument_patch_documents_the_detail_it_answers(schema):
    patch = schema["paths"]["/api/v1/instruments/{id}/"]["patch"]
    answer = patch["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/InstrumentDetail"}
    category = _component(schema, "InstrumentDetail")["category"]
    assert {"$ref": "#/components/schemas/CategoryBrief"} in [category, *category.get("allOf", [])]


def test_fuzz_regression_blank_partner_email_is_a_plain_string_with_a_valid_default(schema):
    email = schema["components"]["schemas"]["PartnerUserInputRequest"]["properties"]["email"]
    assert email == {"type": "string", "default": ""}


@pytest.mark.django_db
def test_fuzz_regression_patched_instrument_answers_category_as_an_object(api_client, instrument, unit_manager):
    api_client.force_authenticate(unit_manager)
    response = api_client.patch(f"/api/v1/instruments/{instrument.pk}/", {"name": "New name"}, format="json")
    assert response.status_code == 200
    assert response.json()["category"]["id"] == instrument.category_id
    assert response.json()["name"] == "New name"
