"""Refusals judged fairly (issue 18 item 5), through the real services and the HTTP API.

A refusal counts as justified by the requester's record as it was when the request was made (a black-list
history, a confirmed damage or misuse in the two years before, any severity, any provider), a black entry
in force now, or a maintenance period declared as a blackout over the booking that holds for every booking
in it. A status toggled around the refusal (maintenance, a raised minimum) justifies nothing.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.translation import override

from bookings import services
from bookings.models import Blackout, Booking, BookingState
from credit.models import CreditEvent
from instruments.models import Instrument
from instruments.services.instruments import instrument_update
from tests.bookings.factories import local_slot
from tests.credit.factories import record
from tests.factories import InstrumentFactory, MembershipFactory
from tests.unchanged import nothing_changed

URL = "/api/v1/bookings/"
K = CreditEvent.Kind

pytestmark = pytest.mark.django_db


def _refusal_facts(booking) -> list[tuple[str, str | None]]:
    rows = CreditEvent.objects.filter(
        subject_key=f"unit:{booking.instrument.unit_id}",
        source_ref=f"booking:{booking.pk}",
        kind__in=[K.REFUSAL_JUSTIFIED, K.REFUSAL_UNJUSTIFIED],
    )
    return [(row.kind, row.details.get("justification")) for row in rows]


def _refuse(api_client, manager, booking, reason="Not this time"):
    api_client.force_authenticate(manager)
    response = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": reason}, format="json")
    assert response.status_code == 200, response.json()
    return response


def _outlook(api_client, manager, booking):
    api_client.force_authenticate(manager)
    response = api_client.get(f"{URL}{booking.pk}/refuse/")
    assert response.status_code == 200, response.json()
    assert response.json()["refusable"] is True
    return response.json()


def _blackout_over(api_client, manager, booking, *, hours_before=1, hours_after=1):
    api_client.force_authenticate(manager)
    body = {
        "start": (booking.start - timedelta(hours=hours_before)).isoformat(),
        "end": (booking.end + timedelta(hours=hours_after)).isoformat(),
        "reason": "Detector replacement",
    }
    response = api_client.post(f"/api/v1/instruments/{booking.instrument_id}/blackouts/", body, format="json")
    assert response.status_code == 201, response.json()
    return Blackout.objects.get(pk=response.json()["id"])


def _confirmed_damage_elsewhere(user, *, kind="damage", severity="general"):
    """A real confirmed incident against `user` at another provider: booked, used, reported, confirmed."""
    provider = MembershipFactory(role="manager")
    instrument = InstrumentFactory(unit=provider.unit)
    start, end = local_slot(days=5)  # a fixed daytime hour: now + 5 days crosses midnight late in the evening
    booking = services.booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    services.booking_approve(booking_id=booking.pk, actor=provider.user)
    services.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
    incident = services.incident_report(
        booking_id=booking.pk, reporter=provider.user, kind=kind, severity=severity, description="Stage bent"
    )
    return services.incident_confirm(incident_id=incident.pk, actor=user)


# --- The attacks of the table ---------------------------------------------------------


def test_refusal_after_toggling_maintenance_counts_against_the_provider(
    api_client, make_booking, unit_manager, instrument
):
    """Attack: maintenance on, refuse, maintenance off. The old rule read the status at the refusal and
    recorded a justified refusal; the status at the request (available) justifies nothing."""
    booking = make_booking()
    instrument_update(actor=unit_manager, instrument=instrument, status=Instrument.Status.MAINTENANCE)
    assert _outlook(api_client, unit_manager, booking)["justified"] is False
    _refuse(api_client, unit_manager, booking, reason="Instrument under maintenance")
    instrument_update(actor=unit_manager, instrument=instrument, status=Instrument.Status.AVAILABLE)
    assert _refusal_facts(booking) == [(K.REFUSAL_UNJUSTIFIED, None)]
    assert CreditEvent.objects.get(kind=K.REFUSAL_UNJUSTIFIED, source_ref=f"booking:{booking.pk}").polarity == -1


def test_refusal_of_user_with_confirmed_general_damage_elsewhere_is_justified(
    api_client, make_booking, researcher, unit_manager
):
    """Attack (against the provider): the old rule called this refusal unjustified."""
    _confirmed_damage_elsewhere(researcher, severity="general")
    booking = make_booking()
    outlook = _outlook(api_client, unit_manager, booking)
    assert outlook["justified"] is True
    assert outlook["justification"] == "confirmed_damage_or_misuse"
    _refuse(api_client, unit_manager, booking, reason="Damaged an instrument elsewhere")
    assert _refusal_facts(booking) == [(K.REFUSAL_JUSTIFIED, "confirmed_damage_or_misuse")]


def test_refusal_of_user_with_confirmed_minor_misuse_elsewhere_is_justified(
    api_client, make_booking, researcher, unit_manager
):
    _confirmed_damage_elsewhere(researcher, kind="misuse", severity="minor")
    booking = make_booking()
    _refuse(api_client, unit_manager, booking)
    assert _refusal_facts(booking) == [(K.REFUSAL_JUSTIFIED, "confirmed_damage_or_misuse")]


def test_confirmed_damage_older_than_two_years_does_not_justify(api_client, make_booking, researcher, unit_manager):
    record(researcher, K.DAMAGE_CONFIRMED, days_ago=2 * 365 + 10, source_ref="incident:old")
    booking = make_booking()
    _refuse(api_client, unit_manager, booking)
    assert _refusal_facts(booking) == [(K.REFUSAL_UNJUSTIFIED, None)]


def test_damage_confirmed_after_the_request_does_not_justify(api_client, make_booking, researcher, unit_manager):
    """The requester's record as it was when the request was made."""
    booking = make_booking()
    _confirmed_damage_elsewhere(researcher)
    _refuse(api_client, unit_manager, booking)
    assert _refusal_facts(booking) == [(K.REFUSAL_UNJUSTIFIED, None)]


# --- A declared maintenance period -------------------------------------------------------------


def test_refusal_inside_a_declared_blackout_is_justified(api_client, make_booking, unit_manager):
    booking = make_booking()
    _blackout_over(api_client, unit_manager, booking)
    outlook = _outlook(api_client, unit_manager, booking)
    assert outlook["justified"] is True
    assert outlook["justification"] == "declared_blackout"
    _refuse(api_client, unit_manager, booking, reason="Detector replacement")
    assert _refusal_facts(booking) == [(K.REFUSAL_JUSTIFIED, "declared_blackout")]


def test_blackout_that_lets_an_approved_booking_through_justifies_nothing(
    api_client, make_booking, unit_manager, researcher
):
    """Maintenance for one requester only is no maintenance period: it must hold for every booking in it."""
    kept = make_booking(user=MembershipFactory().user, hour=9, hours=1)
    services.booking_approve(booking_id=kept.pk, actor=unit_manager)
    booking = make_booking(hour=11, hours=2)
    _blackout_over(api_client, unit_manager, booking, hours_before=3)
    outlook = _outlook(api_client, unit_manager, booking)
    assert outlook["justified"] is False
    assert "approved booking" in outlook["explanation"]
    _refuse(api_client, unit_manager, booking)
    assert _refusal_facts(booking) == [(K.REFUSAL_UNJUSTIFIED, None)]


def test_approving_a_booking_inside_a_blackout_is_refused(api_client, make_booking, unit_manager):
    """The declared period applies to every booking in it: no approval inside it, and nothing changes."""
    booking = make_booking()
    _blackout_over(api_client, unit_manager, booking)
    api_client.force_authenticate(unit_manager)
    with nothing_changed():
        response = api_client.post(f"{URL}{booking.pk}/approve/")
    assert response.status_code == 409, response.json()
    assert "blackout" in response.json()["detail"]


def test_blackout_that_justified_a_refusal_cannot_be_removed(api_client, make_booking, unit_manager):
    """The blackout version of the toggle: declare, refuse, remove. The removal is refused."""
    booking = make_booking()
    blackout = _blackout_over(api_client, unit_manager, booking)
    _refuse(api_client, unit_manager, booking)
    api_client.force_authenticate(unit_manager)
    with nothing_changed():
        response = api_client.delete(f"/api/v1/instruments/{booking.instrument_id}/blackouts/{blackout.pk}/")
    assert response.status_code == 409, response.json()
    assert Blackout.objects.filter(pk=blackout.pk).exists()


def test_blackout_without_refusals_can_still_be_removed(api_client, make_booking, unit_manager):
    booking = make_booking()
    blackout = _blackout_over(api_client, unit_manager, booking)
    api_client.force_authenticate(unit_manager)
    response = api_client.delete(f"/api/v1/instruments/{booking.instrument_id}/blackouts/{blackout.pk}/")
    assert response.status_code == 204
    assert not Blackout.objects.filter(pk=blackout.pk).exists()


# --- Bad input ---------------------------------------------------------------------------------


def test_refusing_a_booking_that_is_not_pending_changes_nothing(api_client, make_booking, unit_manager):
    booking = make_booking()
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    api_client.force_authenticate(unit_manager)
    with nothing_changed():
        response = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": "Changed my mind"}, format="json")
        outlook = api_client.get(f"{URL}{booking.pk}/refuse/")
    assert response.status_code == 409, response.json()
    assert outlook.status_code == 200
    assert outlook.json()["refusable"] is False
    assert Booking.objects.get(pk=booking.pk).state == BookingState.APPROVED


def test_refusing_by_someone_who_does_not_manage_the_unit_changes_nothing(
    api_client, make_booking, researcher, other_unit_manager
):
    booking = make_booking()
    for actor in (researcher, other_unit_manager):
        api_client.force_authenticate(actor)
        with nothing_changed():
            response = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": "No"}, format="json")
            outlook = api_client.get(f"{URL}{booking.pk}/refuse/")
        assert response.status_code in (403, 404), response.json()
        assert outlook.status_code in (403, 404)
    assert Booking.objects.get(pk=booking.pk).state == BookingState.REQUESTED


# --- The provider is told before refusing ------------------------------------------------------


def test_detail_page_tells_the_provider_whether_the_refusal_counts_as_justified(
    client, make_booking, researcher, unit_manager
):
    booking = make_booking()
    client.force_login(unit_manager)
    page = client.get(reverse("bookings:detail", args=[booking.pk])).content.decode()
    assert 'data-testid="refusal-outlook"' in page
    assert "count against your unit" in page
    _confirmed_damage_elsewhere(researcher)
    justified = make_booking(days=3)
    with override("zh-hans"):
        page = client.get(reverse("bookings:detail", args=[justified.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "视为正当" in page.content.decode()


def test_requester_does_not_see_the_refusal_outlook(client, make_booking, researcher):
    booking = make_booking()
    client.force_login(researcher)
    page = client.get(reverse("bookings:detail", args=[booking.pk])).content.decode()
    assert 'data-testid="refusal-outlook"' not in page
