"""Fixtures for billing tests: a provider unit with an instrument, a paying unit with a researcher and
its admin, and helpers that take bookings through the real booking services (so charges come from
bookings' signals, as in production)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from instruments.models import Membership
from tests.factories import InstrumentFactory, MembershipFactory

D = Decimal


def local(text: str) -> datetime:
    """An aware datetime from 'YYYY-MM-DD HH:MM' in the project zone (Asia/Shanghai)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def provider_admin(unit):
    return MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user


@pytest.fixture
def provider_manager(unit):
    return MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user


@pytest.fixture
def researcher(other_unit):
    return MembershipFactory(unit=other_unit, role=Membership.Role.MEMBER).user


@pytest.fixture
def payer_admin(other_unit):
    return MembershipFactory(unit=other_unit, role=Membership.Role.ADMIN).user


@pytest.fixture
def outsider(db):
    """The admin of a third unit: neither provider nor payer."""
    return MembershipFactory(role=Membership.Role.ADMIN).user


@pytest.fixture
def instrument(unit):
    """Approved at once; 200 CNY/h inside the unit, 400 outside; no deposit unless a test sets one."""
    return InstrumentFactory(
        unit=unit,
        requires_approval=False,
        hourly_rate_internal=D("200.00"),
        hourly_rate_external=D("400.00"),
        deposit=D("0"),
    )


def book(instrument, user, start: datetime, hours: float = 2, **extra):
    """A booking requested a day before its start (approved at once)."""
    return booking_services.booking_create(
        instrument=instrument,
        requester=user,
        start=start,
        end=start + timedelta(hours=hours),
        purpose="XRD of thin films",
        now=start - timedelta(days=1),
        **extra,
    )


def use(instrument, user, start: datetime, hours: float = 2, actual: str | None = None, **extra):
    """Booked, checked in at the start, checked out after `actual` hours (default: the booked hours)."""
    booking = book(instrument, user, start, hours, **extra)
    booking_services.booking_check_in(booking_id=booking.pk, actor=user, now=start)
    used = D(actual) if actual is not None else D(str(hours))
    return booking_services.booking_check_out(
        booking_id=booking.pk, actor=user, actual_hours=used, now=start + timedelta(hours=float(used))
    )


@pytest.fixture
def used(instrument, researcher):
    """use() with the fixtures' instrument and researcher as defaults."""

    def make(start: datetime, hours: float = 2, actual: str | None = None, *, user=None, target=None, **extra):
        return use(target or instrument, user or researcher, start, hours, actual, **extra)

    return make
