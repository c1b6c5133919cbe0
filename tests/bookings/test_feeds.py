"""Calendar feeds: tokens, privacy of each feed, and the iCalendar itself, read back with a real parser."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings.feeds import instrument_feed_token, staff_feed_token, user_feed_token
from bookings.models import Booking, BookingState
from instruments.models import Membership, Unit
from tests.factories import TEST_PASSWORD, InstrumentFactory, MembershipFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def booking_make(*, instrument, requester, start, hours=2, state=BookingState.APPROVED, **fields) -> Booking:
    """A booking row as the lifecycle would leave it; feeds only read rows."""
    defaults = {
        "purpose": "SEM imaging of catalyst particles",
        "rate_kind": Booking.RateKind.EXTERNAL,
        "hourly_rate": Decimal("400.00"),
        "price": Decimal("400.00") * hours,
    }
    if state == BookingState.REFUSED:
        defaults["refusal_reason"] = "Instrument under calibration"
    return Booking.objects.create(
        instrument=instrument,
        requester=requester,
        start=start,
        end=start + timedelta(hours=hours),
        state=state,
        **(defaults | fields),
    )


def tomorrow_at(hour: int) -> datetime:
    """A Shanghai wall-clock time tomorrow, aware."""
    day = timezone.localdate() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def feed_events(response) -> list:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar.get("PRODID")
    return list(calendar.walk("VEVENT"))


def by_uid(events) -> dict:
    return {str(event["UID"]): event for event in events}


@pytest.mark.django_db
def test_feed_refresh_hints_are_icalendar_durations(client, user):
    response = client.get(reverse("bookings:feed-user", args=[user_feed_token(user)]))
    assert response.status_code == 200
    lines = response.content.decode().split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines  # not "1:00:00", which no client reads as a duration


# --- user feed --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_feed_lists_own_bookings_with_correct_instants(client, instrument, user):
    start = tomorrow_at(9)  # 09:00 in Shanghai is 01:00 UTC
    mine = booking_make(instrument=instrument, requester=user, start=start)
    requested = booking_make(
        instrument=instrument, requester=user, start=start + timedelta(days=1), state=BookingState.REQUESTED
    )
    cancelled = booking_make(
        instrument=instrument, requester=user, start=start + timedelta(days=2), state=BookingState.CANCELLED
    )
    refused = booking_make(
        instrument=instrument, requester=user, start=start + timedelta(days=3), state=BookingState.REFUSED
    )
    someone_else = booking_make(instrument=instrument, requester=UserFactory(), start=start + timedelta(hours=3))

    response = client.get(reverse("bookings:feed-user", args=[user_feed_token(user)]))

    events = by_uid(feed_events(response))
    assert set(events) == {
        f"booking-{booking.pk}@instrument-sharing.local" for booking in (mine, requested, cancelled, refused)
    }
    assert f"booking-{someone_else.pk}@instrument-sharing.local" not in events
    event = events[f"booking-{mine.pk}@instrument-sharing.local"]
    dtstart, dtend = event.decoded("DTSTART"), event.decoded("DTEND")
    assert dtstart.utcoffset() is not None
    assert dtstart == start
    assert dtstart.astimezone(UTC).hour == 1
    assert dtend - dtstart == timedelta(hours=2)
    assert event.decoded("DTSTAMP").utcoffset() is not None
    assert str(event["STATUS"]) == "CONFIRMED"
    assert instrument.display_name in str(event["SUMMARY"])
    assert "Building 5, Room 101" in str(event["LOCATION"])
    assert "SEM imaging" in str(event["DESCRIPTION"])
    assert str(events[f"booking-{requested.pk}@instrument-sharing.local"]["STATUS"]) == "TENTATIVE"
    assert str(events[f"booking-{cancelled.pk}@instrument-sharing.local"]["STATUS"]) == "CANCELLED"
    refused_event = events[f"booking-{refused.pk}@instrument-sharing.local"]
    assert str(refused_event["STATUS"]) == "CANCELLED"
    assert "Instrument under calibration" in str(refused_event["DESCRIPTION"])


@pytest.mark.django_db
def test_user_feed_uid_is_stable_across_fetches_and_changes(client, instrument, user):
    booking = booking_make(instrument=instrument, requester=user, start=tomorrow_at(14), state=BookingState.REQUESTED)
    url = reverse("bookings:feed-user", args=[user_feed_token(user)])
    first = by_uid(feed_events(client.get(url)))
    Booking.objects.filter(pk=booking.pk).update(state=BookingState.APPROVED)
    second = by_uid(feed_events(client.get(url)))
    assert set(first) == set(second) == {f"booking-{booking.pk}@instrument-sharing.local"}
    assert str(next(iter(second.values()))["STATUS"]) == "CONFIRMED"


@pytest.mark.django_db
def test_user_feed_crosses_midnight_in_shanghai(client, instrument, user):
    # 23:00-01:00 in Shanghai (+08:00) is 15:00-17:00 UTC: the local end falls on the next day.
    start = tomorrow_at(23)
    booking_make(instrument=instrument, requester=user, start=start, hours=2)
    (event,) = feed_events(client.get(reverse("bookings:feed-user", args=[user_feed_token(user)])))
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(hours=2)
    assert event.decoded("DTEND").astimezone(SHANGHAI).hour == 1
    assert event.decoded("DTSTART").astimezone(UTC).hour == 15


@pytest.mark.django_db
def test_user_feed_leaves_out_bookings_outside_the_window(client, instrument, user):
    booking_make(instrument=instrument, requester=user, start=timezone.now() - timedelta(days=200))
    booking_make(instrument=instrument, requester=user, start=timezone.now() + timedelta(days=600))
    assert feed_events(client.get(reverse("bookings:feed-user", args=[user_feed_token(user)]))) == []


@pytest.mark.django_db
def test_user_feed_query_count_does_not_grow(client, django_assert_num_queries, user):
    instrument = InstrumentFactory()
    url = reverse("bookings:feed-user", args=[user_feed_token(user)])
    booking_make(instrument=instrument, requester=user, start=tomorrow_at(8))
    with django_assert_num_queries(2):  # the user, the bookings with instrument and unit
        feed_events(client.get(url))
    for day in range(1, 6):
        booking_make(instrument=InstrumentFactory(), requester=user, start=tomorrow_at(8) + timedelta(days=day))
    with django_assert_num_queries(2):
        assert len(feed_events(client.get(url))) == 6


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "nonsense", "eyJ1IjoxfQ:1abc:def"])
def test_user_feed_bad_token_is_404(client, user, token):
    url = reverse("bookings:feed-user", args=["x"]).replace("/x.ics", f"/{token}.ics")
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_user_feed_token_of_another_kind_is_404(client, instrument, user):
    # An instrument token does not open a user feed, even with a matching id.
    assert client.get(reverse("bookings:feed-user", args=[instrument_feed_token(instrument)])).status_code == 404


@pytest.mark.django_db
def test_user_feed_revoked_by_password_change(client, instrument, user):
    booking_make(instrument=instrument, requester=user, start=tomorrow_at(10))
    url = reverse("bookings:feed-user", args=[user_feed_token(user)])
    assert client.get(url).status_code == 200
    user.set_password("a-brand-new-password-2026")
    user.save()
    assert client.get(url).status_code == 404
    assert client.get(reverse("bookings:feed-user", args=[user_feed_token(user)])).status_code == 200


@pytest.mark.django_db
def test_user_feed_of_deactivated_user_is_404(client, user):
    url = reverse("bookings:feed-user", args=[user_feed_token(user)])
    user.is_active = False
    user.save()
    assert client.get(url).status_code == 404


# --- public instrument feed -------------------------------------------------------------------


@pytest.mark.django_db
def test_instrument_feed_shows_booked_slots_without_personal_data(client, instrument):
    requester = UserFactory(first_name="Mei", last_name="Zhang")
    start = tomorrow_at(9)
    approved = booking_make(instrument=instrument, requester=requester, start=start)
    in_use = booking_make(
        instrument=instrument, requester=requester, start=start + timedelta(hours=3), state=BookingState.IN_USE
    )
    booking_make(
        instrument=instrument, requester=requester, start=start + timedelta(hours=6), state=BookingState.REQUESTED
    )
    booking_make(
        instrument=instrument, requester=requester, start=start + timedelta(days=1), state=BookingState.CANCELLED
    )
    booking_make(instrument=InstrumentFactory(), requester=requester, start=start)

    response = client.get(reverse("bookings:feed-instrument", args=[instrument_feed_token(instrument)]))

    events = by_uid(feed_events(response))
    assert set(events) == {
        f"booking-{approved.pk}-slot@instrument-sharing.local",
        f"booking-{in_use.pk}-slot@instrument-sharing.local",
    }
    for event in events.values():
        assert str(event["SUMMARY"]) == "Booked"
        assert str(event["STATUS"]) == "CONFIRMED"
        assert "DESCRIPTION" not in event
    body = response.content.decode()
    for private in ("Mei", "Zhang", requester.username, requester.email, "SEM imaging"):
        assert private not in body
    assert events[f"booking-{approved.pk}-slot@instrument-sharing.local"].decoded("DTSTART") == start


@pytest.mark.django_db
def test_instrument_feed_ends_released_slot_early(client, instrument, user):
    start = timezone.now() - timedelta(hours=1)
    booking_make(
        instrument=instrument,
        requester=user,
        start=start,
        hours=4,
        state=BookingState.COMPLETED,
        released_at=start + timedelta(hours=1),
    )
    (event,) = feed_events(client.get(reverse("bookings:feed-instrument", args=[instrument_feed_token(instrument)])))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)


@pytest.mark.django_db
def test_instrument_feed_tampered_or_unknown_is_404(client, instrument):
    token = instrument_feed_token(instrument)
    assert client.get(reverse("bookings:feed-instrument", args=[token[:-2] + "xx"])).status_code == 404
    # A valid signature for an instrument that does not exist.
    ghost = type("Ghost", (), {"pk": 10**9})()
    assert client.get(reverse("bookings:feed-instrument", args=[instrument_feed_token(ghost)])).status_code == 404


# --- staff instrument feed --------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_feed_shows_requesters_to_a_current_manager(client, instrument, unit_manager):
    requester = UserFactory(first_name="Mei", last_name="Zhang")
    booking = booking_make(
        instrument=instrument,
        requester=requester,
        start=tomorrow_at(9),
        state=BookingState.REQUESTED,
        project_code="NSFC-1234",
    )
    url = reverse("bookings:feed-staff", args=[staff_feed_token(unit_manager, instrument)])
    (event,) = feed_events(client.get(url))
    assert str(event["UID"]) == f"booking-{booking.pk}-staff@instrument-sharing.local"
    assert "Mei Zhang" in str(event["SUMMARY"])
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "NSFC-1234" in str(event["DESCRIPTION"])


@pytest.mark.django_db
def test_staff_feed_revoked_when_manager_leaves_the_unit(client, instrument, unit_manager):
    url = reverse("bookings:feed-staff", args=[staff_feed_token(unit_manager, instrument)])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=unit_manager).update(role=Membership.Role.MEMBER)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_staff_feed_for_someone_who_never_managed_is_404(client, instrument, other_unit_manager, unit_member):
    for outsider in (other_unit_manager, unit_member):
        url = reverse("bookings:feed-staff", args=[staff_feed_token(outsider, instrument)])
        assert client.get(url).status_code == 404


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feeds_page_anonymous_is_sent_to_login(client):
    response = client.get(reverse("bookings:feeds"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_feeds_page_plain_user_sees_only_own_feed(client, user, instrument):
    client.login(username=user.username, password=TEST_PASSWORD)
    response = client.get(reverse("bookings:feeds"))
    assert response.status_code == 200
    body = response.content.decode()
    feed_url = reverse("bookings:feed-user", args=[user_feed_token(user)])
    assert f"http://testserver{feed_url}" in body
    assert f"webcal://testserver{feed_url}" in body
    assert "/bookings/feeds/instrument/" not in body
    assert "/bookings/feeds/staff/" not in body
    # The URL on the page really serves the feed.
    assert client.get(feed_url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Membership.Role.MANAGER, Membership.Role.ADMIN])
def test_feeds_page_manager_sees_instrument_feeds(client, unit, instrument, role):
    manager = MembershipFactory(unit=unit, role=role).user
    other_instrument = InstrumentFactory()
    client.login(username=manager.username, password=TEST_PASSWORD)
    body = client.get(reverse("bookings:feeds")).content.decode()
    assert reverse("bookings:feed-instrument", args=[instrument_feed_token(instrument)]) in body
    assert reverse("bookings:feed-staff", args=[staff_feed_token(manager, instrument)]) in body
    assert reverse("bookings:feed-instrument", args=[instrument_feed_token(other_instrument)]) not in body
    assert instrument.display_name in body


@pytest.mark.django_db
def test_feeds_page_manager_of_an_unverified_unit_sees_no_instrument_feeds(client, unit, instrument, unit_manager):
    unit.status = Unit.Status.PENDING
    unit.save()
    client.login(username=unit_manager.username, password=TEST_PASSWORD)
    body = client.get(reverse("bookings:feeds")).content.decode()
    assert "/bookings/feeds/instrument/" not in body


@pytest.mark.django_db
def test_feeds_page_member_sees_no_instrument_feeds(client, unit_member, instrument):
    client.login(username=unit_member.username, password=TEST_PASSWORD)
    body = client.get(reverse("bookings:feeds")).content.decode()
    assert "/bookings/feeds/instrument/" not in body


@pytest.mark.django_db
def test_feeds_page_query_count_does_not_grow(client, unit, unit_manager, django_assert_num_queries):
    InstrumentFactory(unit=unit)
    client.login(username=unit_manager.username, password=TEST_PASSWORD)
    client.get(reverse("bookings:feeds"))
    with django_assert_num_queries(3) as first:  # session, user, instruments with their units
        response = client.get(reverse("bookings:feeds"))
    assert response.status_code == 200
    assert response.content.decode().count("webcal://testserver/bookings/feeds/staff/") == 1
    InstrumentFactory.create_batch(4, unit=unit)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("bookings:feeds"))
    assert response.status_code == 200
    assert response.content.decode().count("webcal://testserver/bookings/feeds/staff/") == 5


@pytest.mark.django_db
def test_feed_tokens_are_stable_and_distinct(user, instrument, unit_manager):
    assert user_feed_token(user) == user_feed_token(user)
    assert instrument_feed_token(instrument) == instrument_feed_token(instrument)
    assert staff_feed_token(unit_manager, instrument) == staff_feed_token(unit_manager, instrument)
    assert user_feed_token(user) != user_feed_token(unit_manager)


@pytest.mark.django_db
def test_instrument_and_staff_feed_query_counts_do_not_grow(
    client, instrument, unit_manager, django_assert_num_queries
):
    public_url = reverse("bookings:feed-instrument", args=[instrument_feed_token(instrument)])
    staff_url = reverse("bookings:feed-staff", args=[staff_feed_token(unit_manager, instrument)])
    booking_make(instrument=instrument, requester=UserFactory(), start=tomorrow_at(8))
    with django_assert_num_queries(2):  # instrument, bookings
        feed_events(client.get(public_url))
    with django_assert_num_queries(4):  # user, instrument, manager's role, bookings with requesters
        feed_events(client.get(staff_url))
    for day in range(1, 6):
        booking_make(instrument=instrument, requester=UserFactory(), start=tomorrow_at(8) + timedelta(days=day))
    with django_assert_num_queries(2):
        assert len(feed_events(client.get(public_url))) == 6
    with django_assert_num_queries(4):
        assert len(feed_events(client.get(staff_url))) == 6
