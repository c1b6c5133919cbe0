"""Shared fixtures; what CI refuses to pass with is in tests/ci_rules.py."""

import pytest
from rest_framework.test import APIClient

from instruments.models import Membership

from .factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

# The real sign-on servers (CAS + OIDC test server, slapd), started on first use; what CI refuses.
pytest_plugins = ["tests.identity.fixtures", "tests.ci_rules"]


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


@pytest.fixture(scope="session", autouse=True)
def _flush_may_truncate_append_only_tables():
    """Transactional tests end with Django's flush: one TRUNCATE of every table, which the append-only
    triggers refuse unless the table owner's session turned ``sharing_platform.flush`` on (see
    sharing_platform/database/append_only.py). Turn it on for the flush statements only (SET LOCAL: the
    flush runs in its own transaction), so every other statement in the tests meets the triggers."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    from sharing_platform.database.append_only import FLUSH_SETTING

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"SET LOCAL {FLUSH_SETTING} = 'on'", *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


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
def _default_language():
    """Each test starts in the default language: a page requested in Chinese leaves Chinese active in the
    thread (LocaleMiddleware activates, nothing deactivates), which later tests would inherit."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached catalogue pages and platform medians (issue 14) must not
    outlive the rolled-back data of an earlier test (on SQLite ids repeat across tests)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """serialized_rollback restores the migrations' data before each such test by saving every row one by one;
    the 3,212 divisions of the national region list made that take half a minute per test on a busy machine.
    Regions are left out of that copy: the fixture below bulk-loads them (regions_load) in a few queries."""
    import json

    from django.db import connections

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            rows = [row for row in json.loads(contents) if row["model"] != "instruments.region"]
            connection._test_serialized_contents = json.dumps(rows)
    return django_db_setup


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests flush the database afterwards, wiping the categories and the national
    division list the data migrations loaded; put them back so every transactional test starts from the same state.

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
    from instruments.region_data import regions_load

    if not (InstrumentCategory.objects.exists() and Region.objects.filter(code="150223").exists()):
        regions_load(Region)  # first: migration 0002 below then finds the provinces and only renames them
        import_module("instruments.migrations.0002_load_categories").load(apps, None)
