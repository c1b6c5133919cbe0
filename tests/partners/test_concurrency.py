"""Concurrent duplicates of one Idempotency-Key: the unique constraint lets exactly one run (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bookings.models import Booking
from partners.models import Partner, Scope
from partners.services import partner_key_issue, partner_user_upsert
from tests.factories import InstrumentFactory, UnitFactory

from .conftest import key_client
from .factories import booking_body

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_idempotency_concurrent_duplicates_create_one_booking():
    partner = Partner.objects.create(name="Portal")
    _key, raw = partner_key_issue(partner=partner, name="k", scopes=[Scope.BOOKINGS_WRITE])
    partner_user_upsert(partner=partner, external_id="stu-1")
    instrument = InstrumentFactory(unit=UnitFactory(), requires_approval=False)
    body = booking_body(instrument)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def send():
        try:
            client = key_client(raw)
            barrier.wait()
            statuses.append(client.post("/api/v1/partner/bookings/", body, format="json",
                                        HTTP_IDEMPOTENCY_KEY="same").status_code)  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == THREADS
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert Booking.objects.count() == 1
