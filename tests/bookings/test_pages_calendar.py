"""The week calendar through its page: it offers as free only the hours a booking may start in (not past,
not inside the minimum notice, within opening hours), marks the person's own bookings as theirs, and starts
from today unless a week is asked for."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import OpeningHours

from .factories import local_slot, policy_set

pytestmark = pytest.mark.django_db

FREE_LINK = re.compile(r"\?start=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\">free<")


def _free_starts(text: str) -> list[datetime]:
    return [timezone.make_aware(datetime.fromisoformat(raw)) for raw in FREE_LINK.findall(text)]


def test_calendar_offers_only_bookable_hours(client, auto_instrument, researcher):
    policy_set(auto_instrument, min_notice_hours=6, min_duration_minutes=60)
    for weekday in range(7):
        OpeningHours.objects.create(instrument=auto_instrument, weekday=weekday, opens=time(9), closes=time(17))
    client.force_login(researcher)
    url = reverse("bookings:instrument-calendar", args=[auto_instrument.pk])
    text = client.get(url).text
    starts = _free_starts(text)
    assert starts, "some hours in the next seven days are free"
    now = timezone.now()
    assert all(start >= now + timedelta(hours=6) for start in starts), "nothing past or inside the notice"
    assert all(9 <= timezone.localtime(start).hour < 17 for start in starts), "only within opening hours"
    # The grid starts today without `week`; with `week` it shows that Monday's week.
    assert f"Seven days from {timezone.localdate().isoformat()}" in text
    # Each offered hour is accepted by the booking form.
    start = starts[0]
    form = {"start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"), "purpose": "Raman"}
    form["end"] = timezone.localtime(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("bookings:create", args=[auto_instrument.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_calendar_marks_own_bookings_as_yours(client, auto_instrument, researcher, stranger):
    start, end = local_slot(days=2, hour=10, hours=2)
    booking = services.booking_create(
        instrument=auto_instrument, requester=researcher, start=start, end=end, purpose="SEM"
    )
    url = reverse("bookings:instrument-calendar", args=[auto_instrument.pk])
    client.force_login(researcher)
    mine = client.get(url).text
    assert mine.count("slot-mine") == 2
    assert reverse("bookings:detail", args=[booking.pk]) in mine
    assert "slot-taken" not in mine
    client.force_login(stranger)
    theirs = client.get(url).text
    assert theirs.count("slot-taken") == 2
    assert "slot-mine" not in theirs
