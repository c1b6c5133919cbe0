"""Fixtures for bookings tests: a booking service caller and the people around one booking."""

import pytest

from bookings import services
from instruments.models import Membership
from tests.factories import InstrumentFactory, MembershipFactory, UserFactory

from .factories import local_slot


@pytest.fixture
def researcher(db):
    """A user of another unit: books at the external rate."""
    return MembershipFactory(role=Membership.Role.MEMBER).user


@pytest.fixture
def auto_instrument(unit):
    return InstrumentFactory(unit=unit, requires_approval=False)


@pytest.fixture
def make_booking(instrument, researcher):
    def make(*, user=None, target=None, days=2, hour=10, hours=2, **extra):
        start, end = local_slot(days=days, hour=hour, hours=hours)
        return services.booking_create(
            instrument=target or instrument,
            requester=user or researcher,
            start=start,
            end=end,
            purpose="SEM imaging of samples",
            **extra,
        )

    return make


@pytest.fixture
def stranger(db):
    return UserFactory()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; the default PBKDF2 makes these tests crawl."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
