"""People not yet scored and an instrument's minimum credit score: the pages say what applies to them, and the
API and the booking form apply that same rule (they may request; the provider approves each request by hand,
even on an instrument that otherwise confirms bookings at once)."""

import pytest
from django.urls import reverse

from bookings.models import Booking
from credit.selectors import credit_standing_for_user
from tests.factories import InstrumentFactory

from .factories import local_slot

pytestmark = pytest.mark.django_db

RULE = "People not yet scored may request it; the provider approves each of their requests by hand."


@pytest.fixture
def strict_instrument(unit):
    return InstrumentFactory(unit=unit, requires_approval=False, min_credit_score=600)


def test_pages_state_the_rule_for_people_not_yet_scored(client, strict_instrument, researcher):
    client.force_login(researcher)
    for url in (
        reverse("instrument-detail", args=[strict_instrument.pk]),
        reverse("bookings:create", args=[strict_instrument.pk]),
        reverse("bookings:instrument-calendar", args=[strict_instrument.pk]),
    ):
        text = client.get(url).text
        assert RULE in text, url
    assert "A credit score of at least 600" in client.get(reverse("bookings:create", args=[strict_instrument.pk])).text


def test_api_and_form_apply_the_same_rule(client, api_client, strict_instrument, researcher, unit):
    assert credit_standing_for_user(researcher).score is None
    start, end = local_slot(days=2, hour=10)
    api_client.force_authenticate(researcher)
    body = {"instrument": strict_instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "XRD"}
    response = api_client.post("/api/v1/bookings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "requested"

    client.force_login(researcher)
    start, end = local_slot(days=3, hour=10)
    form = {"start": start.strftime("%Y-%m-%dT%H:%M"), "end": end.strftime("%Y-%m-%dT%H:%M"), "purpose": "XRD"}
    response = client.post(reverse("bookings:create", args=[strict_instrument.pk]), form)
    assert response.status_code == 302
    assert Booking.objects.get(start=start).state == "requested"

    # Without a minimum the same instrument confirms at once, through either door.
    other = InstrumentFactory(unit=unit, requires_approval=False)
    response = api_client.post("/api/v1/bookings/", {**body, "instrument": other.pk}, format="json")
    assert response.json()["state"] == "approved"
