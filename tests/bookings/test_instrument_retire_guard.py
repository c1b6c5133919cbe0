"""Retiring an instrument is refused while people hold or await a slot on it (instruments asks bookings
through the instrument_retiring signal, so the lower layer never imports the upper one)."""

from django.utils import timezone

from bookings import services
from bookings.models import Booking
from instruments.models import Instrument


def retire(api_client, user, instrument):
    api_client.force_authenticate(user)
    return api_client.post(f"/api/v1/instruments/{instrument.pk}/retire/")


def test_retire_refused_while_a_booking_is_pending_and_nothing_changes(
    api_client, instrument, unit_manager, make_booking
):
    booking = make_booking()
    assert booking.state == Booking.State.REQUESTED
    response = retire(api_client, unit_manager, instrument)
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "retire_blocked"
    assert f"#{booking.pk}" in body["detail"]
    instrument.refresh_from_db()
    assert instrument.status == Instrument.Status.AVAILABLE
    assert instrument.retired_at is None


def test_retire_allowed_once_the_booking_is_answered(api_client, instrument, unit_manager, make_booking):
    booking = make_booking()
    services.booking_refuse(booking_id=booking.pk, actor=unit_manager, reason="The instrument is being decommissioned.")
    response = retire(api_client, unit_manager, instrument)
    assert response.status_code == 200, response.json()
    instrument.refresh_from_db()
    assert instrument.status == Instrument.Status.RETIRED


def test_retire_ignores_bookings_that_are_over(api_client, instrument, unit_manager, make_booking):
    booking = make_booking()
    # A past booking that was never answered does not strand anyone.
    past_start = timezone.now() - timezone.timedelta(days=3)
    Booking.objects.filter(pk=booking.pk).update(start=past_start, end=past_start + timezone.timedelta(hours=2))
    assert retire(api_client, unit_manager, instrument).status_code == 200


def test_retire_page_shows_why_it_was_refused(client, instrument, unit_manager, make_booking):
    booking = make_booking()
    client.force_login(unit_manager)
    response = client.post(f"/instruments/{instrument.pk}/retire/", follow=True)
    assert f"#{booking.pk}" in response.content.decode()
    instrument.refresh_from_db()
    assert instrument.status == Instrument.Status.AVAILABLE
