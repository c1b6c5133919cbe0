"""Factories and helpers for bookings tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from bookings.models import BookingPolicy


def local_slot(days: int = 2, hour: int = 10, hours: float = 2, minute: int = 0) -> tuple[datetime, datetime]:
    """An aware [start, end) `days` from today at `hour` local time (Asia/Shanghai)."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today + timedelta(days=days, hours=hour, minutes=minute)
    return start, start + timedelta(hours=hours)


def policy_set(instrument, **values) -> BookingPolicy:
    policy, _created = BookingPolicy.objects.get_or_create(instrument=instrument)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    return policy
