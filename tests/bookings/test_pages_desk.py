"""The provider desk and the actions around a booking, through the pages (Django test client): upcoming
approved bookings stay on the desk (paged), the requester's tier sits next to each request, each reason box
comes before its button, cancelling says what it will mean before it happens, and actions that cannot succeed
yet are disabled with the time they open."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from tests.unchanged import nothing_changed

from .factories import policy_set

pytestmark = pytest.mark.django_db

DESK = "bookings:provider-queue"


def test_desk_lists_upcoming_approved_bookings_paged(client, make_booking, auto_instrument, unit_manager, monkeypatch):
    monkeypatch.setattr("bookings.views.DESK_UPCOMING_PER_PAGE", 2)
    approved = [make_booking(target=auto_instrument, days=days) for days in (3, 9, 16)]
    assert {booking.state for booking in approved} == {"approved"}
    client.force_login(unit_manager)
    first = client.get(reverse(DESK)).text
    assert first.count('data-testid="desk-upcoming"') == 2
    assert reverse("bookings:detail", args=[approved[0].pk]) in first
    assert reverse("bookings:detail", args=[approved[2].pk]) not in first
    assert "?page=2#upcoming" in first
    second = client.get(reverse(DESK), {"page": 2}).text
    assert second.count('data-testid="desk-upcoming"') == 1
    assert reverse("bookings:detail", args=[approved[2].pk]) in second


def test_desk_request_shows_tier_and_reason_before_refuse(client, make_booking, unit_manager):
    booking = make_booking()
    client.force_login(unit_manager)
    text = client.get(reverse(DESK)).text
    card = text[text.index('data-testid="desk-request"') :]
    assert 'data-testid="requester-tier"' in card
    assert "Not scored yet" in card
    assert card.index('name="reason"') < card.index(">Refuse</button>")
    # A request is turned down with Refuse: no cancel link beside it on the desk.
    assert reverse("bookings:cancel", args=[booking.pk]) not in text


def test_cancel_inside_notice_window_is_confirmed_first(client, auto_instrument, make_booking, researcher):
    auto_instrument.deposit = Decimal("500.00")
    auto_instrument.save()
    policy_set(auto_instrument, cancellation_notice_hours=72)
    booking = make_booking(target=auto_instrument, days=2)
    assert (booking.state, booking.deposit_state) == ("approved", "held")
    client.force_login(researcher)
    url = reverse("bookings:cancel", args=[booking.pk])
    assert url in client.get(reverse("bookings:detail", args=[booking.pk])).text
    page = client.get(url).text
    assert "This is a late cancellation." in page
    assert "Your deposit of 500.00 CNY will be forfeited." in page
    assert "counts against your credit score" in page
    # A post without the confirmation only shows the page again.
    assert client.post(url, {"reason": ""}).status_code == 200
    booking.refresh_from_db()
    assert booking.state == "approved"
    response = client.post(url, {"reason": "", "confirmed": "yes"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.state, booking.cancellation_late, booking.deposit_state) == ("cancelled", True, "forfeited")


def test_cancel_on_time_says_so_and_provider_needs_reason(client, auto_instrument, make_booking, unit_manager):
    booking = make_booking(target=auto_instrument, days=5)
    client.force_login(unit_manager)
    url = reverse("bookings:cancel", args=[booking.pk])
    page = client.get(url).text
    assert "late cancellation" not in page
    assert "You cancel the requester" in page
    with nothing_changed():  # not cancelled, no credit fact against the provider, no notice sent
        response = client.post(url, {"reason": "", "confirmed": "yes", "next": "desk"})
    assert response.status_code == 400
    assert "Say why you cancel" in response.text
    response = client.post(url, {"reason": "Instrument broke", "confirmed": "yes", "next": "desk"})
    assert response["Location"] == reverse(DESK)
    assert Booking.objects.get(pk=booking.pk).state == "cancelled"


def test_actions_not_open_yet_are_disabled_with_their_time(client, auto_instrument, make_booking, unit_manager):
    policy_set(auto_instrument, grace_period_minutes=15, no_show_threshold_minutes=40)
    booking = make_booking(target=auto_instrument, days=2)
    client.force_login(unit_manager)
    text = client.get(reverse("bookings:detail", args=[booking.pk])).text
    check_in = timezone.localtime(booking.start - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
    no_show = timezone.localtime(booking.start + timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M")
    assert 'data-testid="action-check-in-later"' in text
    assert f"Opens at {check_in}" in text
    assert f"Opens at {no_show}" in text
    assert reverse("bookings:action", args=[booking.pk, "no-show"]) not in text
    # The service agrees with the page and the rules: not at the grace period, only at the threshold.
    for minutes, allowed in ((16, False), (40, True)):
        if not allowed:
            with pytest.raises(Exception, match="no-show threshold is 40 minutes"):
                services.booking_record_no_show(
                    booking_id=booking.pk, actor=unit_manager, now=booking.start + timedelta(minutes=minutes)
                )
        else:
            done = services.booking_record_no_show(
                booking_id=booking.pk, actor=unit_manager, now=booking.start + timedelta(minutes=minutes)
            )
            assert done.state == "no_show"
    rules = client.get(reverse("bookings:instrument-calendar", args=[auto_instrument.pk])).text
    assert "after 40 minutes without a check-in the booking is a no-show" in rules


def test_desk_links_open_disputes_for_platform_admins_only(client, unit_manager, platform_admin):
    disputes = reverse("bookings:disputes")
    client.force_login(unit_manager)
    assert disputes not in client.get(reverse(DESK)).text
    client.force_login(platform_admin)
    assert disputes in client.get(reverse(DESK)).text
