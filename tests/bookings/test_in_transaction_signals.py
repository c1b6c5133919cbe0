"""bookings' in-transaction signals (booking_completed, booking_no_show, booking_cancelled_late): sent
with the saved booking inside the change's transaction, so a receiver that fails makes the change fail."""

from datetime import timedelta

import pytest

from bookings import services
from bookings.models import Booking
from bookings.signals import booking_cancelled_late, booking_completed, booking_no_show

from .factories import local_slot

pytestmark = pytest.mark.django_db


class RefusedError(Exception):
    pass


@pytest.fixture
def heard():
    received = []

    def listen(sender, *, booking, actor, at, **kwargs):
        received.append((booking.pk, booking.state, at))

    for signal in (booking_completed, booking_no_show, booking_cancelled_late):
        signal.connect(listen, dispatch_uid="test-listen")
    yield received
    for signal in (booking_completed, booking_no_show, booking_cancelled_late):
        signal.disconnect(dispatch_uid="test-listen")


def test_completion_no_show_and_late_cancellation_are_signalled(auto_instrument, researcher, unit_admin, heard):
    start, end = local_slot(days=2)
    used = services.booking_create(instrument=auto_instrument, requester=researcher, start=start, end=end,
                                   purpose="x", now=start - timedelta(days=1))  # fmt: skip
    services.booking_check_in(booking_id=used.pk, actor=researcher, now=start)
    services.booking_check_out(booking_id=used.pk, actor=researcher, now=start + timedelta(hours=1))
    start2, end2 = local_slot(days=3)
    absent = services.booking_create(instrument=auto_instrument, requester=researcher, start=start2, end=end2,
                                     purpose="x", now=start2 - timedelta(days=1))  # fmt: skip
    services.booking_record_no_show(booking_id=absent.pk, actor=unit_admin, now=start2 + timedelta(hours=1))
    start3, end3 = local_slot(days=4)
    late = services.booking_create(instrument=auto_instrument, requester=researcher, start=start3, end=end3,
                                   purpose="x", now=start3 - timedelta(days=2))  # fmt: skip
    services.booking_cancel(booking_id=late.pk, actor=researcher, now=start3 - timedelta(hours=1))

    assert [(pk, state) for pk, state, _at in heard] == [
        (used.pk, "completed"), (absent.pk, "no_show"), (late.pk, "cancelled")]  # fmt: skip


def test_a_failing_receiver_rolls_the_completion_back(auto_instrument, researcher):
    def refuse(sender, **kwargs):
        raise RefusedError

    start, end = local_slot(days=2)
    booking = services.booking_create(instrument=auto_instrument, requester=researcher, start=start, end=end,
                                      purpose="x", now=start - timedelta(days=1))  # fmt: skip
    services.booking_check_in(booking_id=booking.pk, actor=researcher, now=start)
    booking_completed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RefusedError):
            services.booking_check_out(booking_id=booking.pk, actor=researcher, now=start + timedelta(hours=1))
    finally:
        booking_completed.disconnect(dispatch_uid="test-refuse")
    booking.refresh_from_db()
    assert booking.state == Booking.State.IN_USE
    assert not booking.events.filter(action="checked_out").exists()
