"""One error shape for every refusal: {detail, code, field?, errors?}, whoever refuses (a serializer,
DRF's parser, authentication, routing, a service, the database)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from bookings.models import Booking
from instruments.models import Unit
from sharing_platform.api.exceptions import error_codes
from tests.factories import MembershipFactory

ERROR_KEYS = {"detail", "code", "field", "errors"}


def assert_error_shape(body: dict) -> None:
    assert set(body) <= ERROR_KEYS, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["code"] in error_codes(), body["code"]
    for item in body.get("errors", []):
        assert set(item) <= {"message", "field", "code", "row"}, item
        assert item["message"]


@pytest.mark.django_db
def test_error_shape_bad_booking_post_answers_like_bad_unit_patch(api_client, user, unit):
    api_client.force_authenticate(user)
    booking = api_client.post("/api/v1/bookings/", {"start": "not a time"}, format="json")
    assert booking.status_code == 400
    admin = MembershipFactory(unit=unit, role="admin").user
    api_client.force_authenticate(admin)
    unit_patch = api_client.patch(f"/api/v1/units/{unit.pk}/", {"contact_email": "nope"}, format="json")
    assert unit_patch.status_code == 400
    for body in (booking.json(), unit_patch.json()):
        assert_error_shape(body)
        assert set(body) == ERROR_KEYS
        assert body["code"] == "invalid"
        assert body["detail"] == f"{body['field']}: {body['errors'][0]['message']}"
    fields = {item["field"] for item in booking.json()["errors"]}
    assert fields == {"instrument", "start", "end", "purpose"}
    assert {item["code"] for item in booking.json()["errors"]} == {"required", "invalid"}
    assert unit_patch.json()["errors"] == [
        {"message": "Enter a valid email address.", "field": "contact_email", "code": "invalid"}
    ]
    assert not Booking.objects.exists()
    unit.refresh_from_db()
    assert unit.contact_email != "nope"


@pytest.mark.django_db
def test_error_shape_nested_input_names_the_item(api_client, instrument, unit_manager):
    api_client.force_authenticate(unit_manager)
    response = api_client.put(
        f"/api/v1/instruments/{instrument.pk}/opening-hours/",
        {"hours": [{"weekday": 1, "opens": "08:00", "closes": "18:00"}, {"weekday": 9, "opens": "x"}]},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body)
    assert {item["field"] for item in body["errors"]} == {"hours.1.weekday", "hours.1.opens", "hours.1.closes"}
    assert body["field"] == "hours.1.weekday"
    assert not instrument.opening_hours.exists()


@pytest.mark.django_db
def test_error_shape_malformed_json_is_a_parse_error(api_client, user):
    api_client.force_authenticate(user)
    response = api_client.generic("POST", "/api/v1/bookings/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_error_shape_form_body_is_refused_as_unsupported(api_client, user):
    """The API takes JSON; multipart is declared only where a file is uploaded."""
    api_client.force_authenticate(user)
    for content_type, body in [
        ("application/x-www-form-urlencoded", "purpose=x"),
        ("multipart/form-data; boundary=x", "--x--"),
    ]:
        response = api_client.generic("POST", "/api/v1/bookings/", body, content_type=content_type)
        assert response.status_code == 415, content_type
        assert_error_shape(response.json())
        assert response.json()["code"] == "unsupported_media_type"
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_error_shape_drf_refusals_carry_a_code(api_client, user, unit):
    cases = [
        (APIClient().get("/api/v1/bookings/"), 401, "not_authenticated"),
        (APIClient(HTTP_AUTHORIZATION="Token nope").get("/api/v1/auth/me/"), 401, "authentication_failed"),
        (APIClient().get("/api/v1/units/999999/"), 404, "not_found"),
        (APIClient().get("/api/v1/units/?page=99"), 404, "not_found"),
    ]
    api_client.force_authenticate(user)
    cases.append((api_client.post(f"/api/v1/units/{unit.pk}/verify/", {"approved": True}), 403, "permission_denied"))
    cases.append((api_client.delete(f"/api/v1/units/{unit.pk}/"), 405, "method_not_allowed"))
    for response, status, code in cases:
        assert response.status_code == status, response.content
        assert_error_shape(response.json())
        assert response.json()["code"] == code
    assert Unit.objects.get(pk=unit.pk).status == unit.status


@pytest.mark.django_db
def test_error_shape_domain_refusal_keeps_its_own_code(api_client, user):
    response = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert response.json()["code"] == "invalid_credentials"
