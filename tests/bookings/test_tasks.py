"""The no-show sweep: idempotent, frees the slot, records the fact; scheduled by a beat row."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from bookings import services, tasks
from bookings.models import Booking
from credit.models import CreditEvent

from .factories import policy_set

pytestmark = pytest.mark.django_db


def _approved_started(make_booking, manager, minutes_ago, length_minutes=120, **kw):
    booking = make_booking(**kw)
    services.booking_approve(booking_id=booking.pk, actor=manager)
    start = timezone.now() - timedelta(minutes=minutes_ago)
    Booking.objects.filter(pk=booking.pk).update(start=start, end=start + timedelta(minutes=length_minutes))
    return booking


def test_mark_no_shows_marks_only_past_threshold(make_booking, unit_manager, stranger, researcher):
    due = _approved_started(make_booking, unit_manager, minutes_ago=45, length_minutes=30)
    early = _approved_started(make_booking, unit_manager, minutes_ago=10, user=stranger, days=3)
    assert tasks.mark_no_shows() == [due.pk]
    due.refresh_from_db()
    early.refresh_from_db()
    assert due.state == "no_show"
    assert due.released_at is not None
    assert due.deposit_state == "held"  # forfeited only once the no-show is recorded
    assert early.state == "approved"
    # Nobody's check-in is one-sided too: the no-show is recorded once the window to contest it has passed.
    assert not CreditEvent.objects.filter(kind="no_show", subject_key=f"user:{researcher.pk}").exists()
    fact = due.contestable_facts.get()
    assert (fact.kind, fact.state, fact.asserted_by) == ("no_show", "pending", None)
    assert tasks.record_uncontested_facts() == []  # the window is still open
    assert services.contestable_facts_record_due(now=fact.contestable_until) == [fact.pk]
    assert CreditEvent.objects.filter(kind="no_show", subject_key=f"user:{researcher.pk}").count() == 1
    assert [e.action for e in due.events.all()][-1] == "no_show"


def test_mark_no_shows_idempotent(make_booking, unit_manager):
    _approved_started(make_booking, unit_manager, minutes_ago=45)
    assert len(tasks.mark_no_shows()) == 1
    counts = (CreditEvent.objects.count(), Booking.objects.filter(state="no_show").count())
    assert tasks.mark_no_shows() == []
    assert (CreditEvent.objects.count(), Booking.objects.filter(state="no_show").count()) == counts


def test_mark_no_shows_honours_instrument_threshold(make_booking, unit_manager, instrument):
    policy_set(instrument, no_show_threshold_minutes=120)
    booking = _approved_started(make_booking, unit_manager, minutes_ago=45)
    assert tasks.mark_no_shows() == []
    booking.refresh_from_db()
    assert booking.state == "approved"


def test_mark_no_shows_skips_checked_in(make_booking, unit_manager, researcher):
    booking = _approved_started(make_booking, unit_manager, minutes_ago=45)
    services.booking_check_in(booking_id=booking.pk, actor=researcher)
    assert tasks.mark_no_shows() == []


def test_mark_no_shows_frees_the_slot(api_client, auto_instrument, make_booking, stranger):
    booking = make_booking(target=auto_instrument)
    start = timezone.now() - timedelta(minutes=40)
    Booking.objects.filter(pk=booking.pk).update(start=start, end=start + timedelta(hours=3))
    tasks.mark_no_shows()
    assert not Booking.objects.filter(instrument=auto_instrument).blocking().exists()


def test_mark_no_shows_via_delay(make_booking, unit_manager):
    booking = _approved_started(make_booking, unit_manager, minutes_ago=45)
    result = tasks.mark_no_shows.delay()
    assert result.get() == [booking.pk]


def test_mark_no_shows_beat_entry_exists():
    task = PeriodicTask.objects.get(task="bookings.tasks.mark_no_shows")
    assert task.enabled
    assert task.interval.every == 5


def test_mark_no_shows_uses_service(make_booking):
    with mock.patch("bookings.tasks.bookings_mark_no_shows", return_value=[]) as sweep:
        tasks.mark_no_shows()
    sweep.assert_called_once_with()
