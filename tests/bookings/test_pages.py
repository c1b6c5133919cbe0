"""Booking pages through the Django test client: my bookings, the form, the week calendar, the desk."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings import services
from bookings.models import Booking
from tests.query_counts import ids_in, queries_of

from .factories import local_slot, policy_set

pytestmark = pytest.mark.django_db


def _form(start, end, **extra):
    return {"start": start.strftime("%Y-%m-%dT%H:%M"), "end": end.strftime("%Y-%m-%dT%H:%M"), "purpose": "EDS", **extra}


def test_pages_my_bookings_lists_only_mine(client, make_booking, researcher, stranger):
    mine = make_booking()
    theirs = make_booking(user=stranger, days=3)
    client.force_login(researcher)
    response = client.get(reverse("bookings:mine"))
    assert response.status_code == 200
    assert reverse("bookings:detail", args=[mine.pk]) in response.text
    assert reverse("bookings:detail", args=[theirs.pk]) not in response.text


def test_pages_anonymous_redirected_to_login(client, instrument):
    for url in (reverse("bookings:mine"), reverse("bookings:provider-queue"), reverse("bookings:create", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_pages_booking_form_creates(client, instrument, researcher):
    client.force_login(researcher)
    url = reverse("bookings:create", args=[instrument.pk])
    assert client.get(url).status_code == 200
    start, end = local_slot()
    response = client.post(url, _form(start, end))
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:detail", args=[booking.pk])
    assert booking.start == start
    assert booking.rate_kind == "external"


def test_pages_booking_form_errors_next_to_fields(client, instrument, researcher):
    policy_set(instrument, project_code_required=True)
    client.force_login(researcher)
    start, _ = local_slot()
    response = client.post(reverse("bookings:create", args=[instrument.pk]), _form(start, start + timedelta(hours=12)))
    assert response.status_code == 400
    text = response.text
    assert "Maximum duration" in text
    assert "requires a project or funding code" in text
    # The project-code error sits right after its input.
    assert text.index('name="project_code"') < text.index("requires a project or funding code")
    assert not Booking.objects.exists()


def test_pages_calendar_week_grid(client, auto_instrument, make_booking):
    booking = make_booking(target=auto_instrument, days=2, hour=10, hours=2)
    url = reverse("bookings:instrument-calendar", args=[auto_instrument.pk])
    response = client.get(url, {"week": booking.start.date().isoformat()})
    assert response.status_code == 200
    assert response.text.count("slot-taken") == 2
    assert "?week=" in response.text
    next_week = (booking.start.date() - timedelta(days=booking.start.weekday()) + timedelta(days=7)).isoformat()
    assert f"?week={next_week}" in response.text
    assert client.get(url, {"week": "garbage"}).status_code == 200
    assert client.get(reverse("bookings:instrument-calendar", args=[999999])).status_code == 404


def test_pages_desk_buttons_only_for_provider(client, make_booking, unit_manager, researcher):
    booking = make_booking()
    approve_url = reverse("bookings:action", args=[booking.pk, "approve"])
    client.force_login(unit_manager)
    response = client.get(reverse("bookings:provider-queue"))
    assert approve_url in response.text
    client.force_login(researcher)
    assert approve_url not in client.get(reverse("bookings:provider-queue")).text
    detail = client.get(reverse("bookings:detail", args=[booking.pk])).text
    assert approve_url not in detail
    assert reverse("bookings:action", args=[booking.pk, "cancel"]) in detail


def test_pages_action_approve_by_provider(client, make_booking, unit_manager):
    booking = make_booking()
    client.force_login(unit_manager)
    response = client.post(reverse("bookings:action", args=[booking.pk, "approve"]), {"next": "desk"})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:provider-queue")
    booking.refresh_from_db()
    assert booking.state == "approved"


def test_pages_action_refused_for_wrong_person(client, make_booking, researcher, stranger):
    booking = make_booking()
    client.force_login(researcher)
    response = client.post(reverse("bookings:action", args=[booking.pk, "approve"]))
    assert response.status_code == 403
    client.force_login(stranger)
    assert client.post(reverse("bookings:action", args=[booking.pk, "approve"])).status_code == 404
    assert client.get(reverse("bookings:action", args=[booking.pk, "approve"])).status_code == 405
    booking.refresh_from_db()
    assert booking.state == "requested"
    assert booking.events.count() == 1


def test_pages_action_refuse_without_reason_shows_error(client, make_booking, unit_manager):
    booking = make_booking()
    client.force_login(unit_manager)
    response = client.post(reverse("bookings:action", args=[booking.pk, "refuse"]), {"reason": ""}, follow=True)
    assert "needs a reason" in response.text
    booking.refresh_from_db()
    assert booking.state == "requested"


def test_pages_detail_history(client, make_booking, unit_manager, researcher):
    booking = make_booking()
    services.booking_refuse(booking_id=booking.pk, actor=unit_manager, reason="Fully booked this month")
    client.force_login(researcher)
    response = client.get(reverse("bookings:detail", args=[booking.pk]))
    assert response.status_code == 200
    assert "Fully booked this month" in response.text
    assert "refused" in response.text


def test_pages_desk_constant_queries(client, make_booking, unit_manager, stranger, django_assert_num_queries):
    """The desk's queries do not grow with its rows (2 days of requests and approved bookings, then 6),
    and the page really lists every one of them: an emptied desk fails here."""

    def grow(days):
        made = []
        for day in days:
            made.append(make_booking(user=stranger, days=day))  # a request waiting for a decision
            approved = make_booking(user=stranger, days=day, hour=14)
            services.booking_approve(booking_id=approved.pk, actor=unit_manager)
            made.append(approved)  # an approved booking still to come
        return made

    def desk():
        response = client.get(reverse("bookings:provider-queue"))
        assert response.status_code == 200
        return response.text

    shown = grow(range(3, 5))
    client.force_login(unit_manager)
    desk()  # the session's first read is not part of the pinned count
    few, body = queries_of(desk)
    assert ids_in(body, [reverse("bookings:detail", args=[b.pk]) for b in shown]) == []
    assert few <= 12
    shown += grow(range(5, 9))
    with django_assert_num_queries(few):
        body = desk()
    assert ids_in(body, [reverse("bookings:detail", args=[b.pk]) for b in shown]) == []
    assert body.count('data-testid="requester-tier"') >= 6  # six requests waiting, each with its tier
