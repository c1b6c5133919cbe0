"""No double booking under real concurrency: PostgreSQL, many threads, one winner."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from rest_framework.test import APIClient

from bookings.models import Booking
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory

from .factories import local_slot

THREADS = 12


def _post_all(instrument, users, slots):
    barrier = threading.Barrier(len(users))
    results: list[int] = []
    lock = threading.Lock()

    def worker(user, slot):
        try:
            client = APIClient()
            client.force_authenticate(user)
            start, end = slot
            barrier.wait(timeout=30)
            body = {"instrument": instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "race"}
            response = client.post("/api/v1/bookings/", body, format="json")
            with lock:
                results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(user, slot)) for user, slot in zip(users, slots, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _overlapping_pairs(instrument) -> int:
    rows = list(Booking.objects.filter(instrument=instrument).blocking().values_list("start", "end"))
    return sum(1 for i, a in enumerate(rows) for b in rows[i + 1 :] if a[0] < b[1] and b[0] < a[1])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_booking_concurrent_overlapping_requests_one_wins():
    instrument = InstrumentFactory(unit=UnitFactory(), requires_approval=False)
    users = [MembershipFactory().user for _ in range(THREADS)]
    base_start, base_end = local_slot(days=3, hour=10, hours=2)
    # Every request overlaps every other one (shifted by a few minutes).
    slots = [(base_start + timedelta(minutes=5 * i), base_end + timedelta(minutes=5 * i)) for i in range(THREADS)]
    results = _post_all(instrument, users, slots)
    assert sorted(results) == [201] + [409] * (THREADS - 1)
    assert Booking.objects.filter(instrument=instrument, state="approved").count() == 1
    assert _overlapping_pairs(instrument) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_booking_concurrent_back_to_back_slots_all_win():
    instrument = InstrumentFactory(unit=UnitFactory(), requires_approval=False)
    users = [MembershipFactory().user for _ in range(6)]
    base_start, _ = local_slot(days=3, hour=8, hours=1)
    slots = [(base_start + timedelta(hours=i), base_start + timedelta(hours=i + 1)) for i in range(6)]
    results = _post_all(instrument, users, slots)
    assert results == [201] * 6
    assert _overlapping_pairs(instrument) == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_booking_exclusion_constraint_is_the_last_guard(instrument, user):
    """Bypassing the service, the database itself refuses an overlap (SQLSTATE 23P01)."""
    start, end = local_slot()
    common = {"instrument": instrument, "requester": user, "purpose": "x", "rate_kind": "external",
              "hourly_rate": 1, "price": 1, "state": "approved"}  # fmt: skip
    Booking.objects.create(start=start, end=end, **common)
    Booking.objects.create(start=end, end=end + timedelta(hours=1), **common)  # back to back: fine
    Booking.objects.create(start=start, end=end, **{**common, "state": "cancelled"})  # not blocking: fine
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Booking.objects.create(start=start + timedelta(minutes=30), end=end, **common)
    assert excinfo.value.__cause__.pgcode == "23P01"
    assert connection.vendor == "postgresql"
