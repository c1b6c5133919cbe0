"""Shared fixtures, and the rule that CI never passes with tests skipped for lack of a service."""

import os

import pytest
from rest_framework.test import APIClient

from instruments.models import Membership

from .factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

# The real sign-on servers (CAS + OIDC test server, slapd), started on first use.
pytest_plugins = ["tests.identity.fixtures"]


def pytest_collection_modifyitems(config, items):
    """On SQLite, PostgreSQL-only tests are deselected (never skipped); on PostgreSQL they all run."""
    from django.conf import settings

    if settings.IS_POSTGRES:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session, exitstatus):
    """With REQUIRE_SERVICES=1 (set by .ci/run), any skipped test fails the run."""
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"REQUIRE_SERVICES=1: {len(skipped)} test(s) were skipped; failing the run.", red=True)
        session.exitstatus = 1


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def platform_admin(db):
    return AdminUserFactory()


@pytest.fixture
def unit(db):
    return UnitFactory()


@pytest.fixture
def other_unit(db):
    return UnitFactory()


@pytest.fixture
def unit_admin(unit):
    return MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user


@pytest.fixture
def unit_manager(unit):
    return MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user


@pytest.fixture
def unit_member(unit):
    return MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user


@pytest.fixture
def other_unit_manager(other_unit):
    return MembershipFactory(unit=other_unit, role=Membership.Role.MANAGER).user


@pytest.fixture
def instrument(unit):
    return InstrumentFactory(unit=unit)


# --- H1 (accounts/units): fast password hashing in tests --------------------------------------
# PBKDF2 at Django's default cost takes ~0.5 s per user; factories create many users.
# Tests never depend on the hash strength, so use a fast hasher everywhere.
@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests flush the database afterwards, wiping the categories and provinces the
    data migration loaded; put them back so every transactional test starts from the same state.

    serialized_rollback alone is not enough: once Playwright's event loop runs in the test thread,
    asgiref gives the ORM a fresh connection object without Django's serialized test contents."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    from instruments.models import InstrumentCategory, Region

    if not (InstrumentCategory.objects.exists() and Region.objects.filter(code="310000").exists()):
        import_module("instruments.migrations.0002_load_categories").load(apps, None)
