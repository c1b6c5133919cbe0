"""Helpers for partner tests."""

from __future__ import annotations

from tests.bookings.factories import local_slot


def booking_body(instrument, external_id: str = "stu-1", *, days: int = 2, hour: int = 10, hours: int = 2) -> dict:
    start, end = local_slot(days=days, hour=hour, hours=hours)
    return {
        "external_id": external_id,
        "instrument": instrument.pk,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "purpose": "SEM imaging of thin films",
    }


def user_body(external_id: str = "stu-1") -> dict:
    return {"external_id": external_id, "email": f"{external_id}@example.edu", "name": "Li Wei"}
