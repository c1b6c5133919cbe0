"""GET /api/v1/instruments/{id}/availability/: free and taken slots, honouring status, hours, blackouts."""

from datetime import time, timedelta
from urllib.parse import urlencode

import pytest

from bookings.models import Blackout, OpeningHours
from instruments.models import Instrument

from .factories import local_slot

pytestmark = pytest.mark.django_db


def _url(instrument, start, end):
    return f"/api/v1/instruments/{instrument.pk}/availability/?" + urlencode(
        {"start": start.isoformat(), "end": end.isoformat()}
    )


def test_availability_free_taken_closed_blackout(api_client, auto_instrument, make_booking):
    day_start, _ = local_slot(days=2, hour=0, hours=1)
    for weekday in range(7):
        OpeningHours.objects.create(instrument=auto_instrument, weekday=weekday, opens=time(8), closes=time(18))
    make_booking(target=auto_instrument, hour=10, hours=2)
    Blackout.objects.create(
        instrument=auto_instrument, start=day_start + timedelta(hours=15), end=day_start + timedelta(hours=16)
    )
    response = api_client.get(_url(auto_instrument, day_start, day_start + timedelta(days=1)))
    assert response.status_code == 200, response.json()
    states = [(slot["start"][11:16], slot["end"][11:16], slot["state"]) for slot in response.json()["slots"]]
    assert states == [
        ("00:00", "08:00", "closed"),
        ("08:00", "10:00", "free"),
        ("10:00", "12:00", "taken"),
        ("12:00", "15:00", "free"),
        ("15:00", "16:00", "blackout"),
        ("16:00", "18:00", "free"),
        ("18:00", "00:00", "closed"),
    ]


def test_availability_requested_bookings_do_not_block(api_client, instrument, make_booking):
    make_booking()
    start, end = local_slot(days=2, hour=9, hours=4)
    assert [s["state"] for s in api_client.get(_url(instrument, start, end)).json()["slots"]] == ["free"]


def test_availability_instrument_in_maintenance(api_client, instrument):
    Instrument.objects.filter(pk=instrument.pk).update(status=Instrument.Status.MAINTENANCE)
    start, end = local_slot()
    body = api_client.get(_url(instrument, start, end)).json()
    assert body["slots"] == [{"start": start.isoformat(), "end": end.isoformat(), "state": "unavailable"}]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?start=2026-05-01T10:00:00%2B08:00",
        "?start=nonsense&end=2026-05-01T10:00:00%2B08:00",
        "?start=2026-05-01T10:00:00&end=2026-05-01T12:00:00",
        "?start=2026-05-01T12:00:00%2B08:00&end=2026-05-01T10:00:00%2B08:00",
        "?start=2026-05-01T10:00:00%2B08:00&end=2026-09-01T10:00:00%2B08:00",
    ],
)
def test_availability_bad_params_400(api_client, instrument, query):
    response = api_client.get(f"/api/v1/instruments/{instrument.pk}/availability/{query}")
    assert response.status_code == 400


def test_availability_unencoded_plus_offset_accepted(api_client, instrument):
    query = "start=2030-05-01T10:00:00+08:00&end=2030-05-01T12:00:00+08:00"
    url = f"/api/v1/instruments/{instrument.pk}/availability/?{query}"
    assert api_client.get(url).status_code == 200


def test_availability_unknown_instrument_404(api_client):
    start, _end = local_slot()
    response = api_client.get(f"/api/v1/instruments/999999/availability/?start={start:%Y-%m-%dT%H:%M%z}")
    assert response.status_code == 404


def test_availability_constant_queries(api_client, auto_instrument, make_booking, django_assert_num_queries):
    start, end = local_slot(days=2, hour=0, hours=24)
    make_booking(target=auto_instrument, hour=8)
    with django_assert_num_queries(4):
        response = api_client.get(_url(auto_instrument, start, end))
    assert response.status_code == 200
    assert [s["state"] for s in response.json()["slots"]] == ["free", "taken", "free"]  # the 8:00 booking
    make_booking(target=auto_instrument, hour=14)
    with django_assert_num_queries(4):
        response = api_client.get(_url(auto_instrument, start, end))
    assert response.status_code == 200
    assert [s["state"] for s in response.json()["slots"]] == ["free", "taken", "free", "taken", "free"]
