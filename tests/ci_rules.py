"""What CI refuses to pass with (a pytest plugin, loaded by tests/conftest.py).

- With REQUIRE_SERVICES=1 (set by .ci/run), a skipped, xfailed or xpassed test fails the run: a
  test that did not run green proves nothing.
- With REQUIRE_DATABASE=postgres (or sqlite), the run stops at once if the tests would use another
  database, so CI's PostgreSQL step cannot quietly run on SQLite.
"""

from __future__ import annotations

import os

import pytest

NOT_GREEN = ("skipped", "xfailed", "xpassed")


def database_vendor() -> str:
    from django.conf import settings  # only when a database is required: the rules load without Django

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgres" if "postgresql" in engine else "sqlite" if "sqlite" in engine else engine


def pytest_sessionstart(session):
    required = os.environ.get("REQUIRE_DATABASE")
    if not required:
        return
    vendor = database_vendor()
    if vendor != required:
        raise pytest.UsageError(f"REQUIRE_DATABASE={required}, but the tests would run on {vendor}.")
    session.config.pluginmanager.get_plugin("terminalreporter").write_line(f"database: {vendor} (required)")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    counts = {kind: len(reporter.stats.get(kind, [])) for kind in NOT_GREEN}
    if any(counts.values()):
        found = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
        reporter.write_line(f"REQUIRE_SERVICES=1: {found}; failing the run.", red=True)
        session.exitstatus = 1
