"""CI's own rules fail a run: a skipped or xfailed test, or the wrong database (tests/ci_rules.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUITE = """
import pytest

def test_green():
    assert True

{extra}
"""


def _run(tmp_path: Path, extra: str, *, django: bool = True, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.ci_rules"]\n')
    (tmp_path / "test_inner.py").write_text(SUITE.format(extra=extra))
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "REQUIRE_SERVICES": "", "REQUIRE_DATABASE": "", **env}
    plugins = ["-p", "no:cacheprovider"] + ([] if django else ["-p", "no:django"])
    return subprocess.run(  # noqa: S603 -- our own interpreter and a temporary suite
        [sys.executable, "-m", "pytest", "-q", *plugins, str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


NOT_GREEN = """
@pytest.mark.skip(reason="no broker")
def test_skipped():
    pass

@pytest.mark.xfail(reason="known")
def test_xfailed():
    assert False

@pytest.mark.xfail(reason="known")
def test_xpassed():
    assert True
"""


def test_ci_rules_a_test_that_did_not_run_green_fails_the_run(tmp_path):
    assert _run(tmp_path, NOT_GREEN, django=False).returncode == 0  # outside CI the suite passes
    result = _run(tmp_path, NOT_GREEN, django=False, REQUIRE_SERVICES="1")
    assert result.returncode == 1, result.stdout
    assert "REQUIRE_SERVICES=1: 1 skipped, 1 xfailed, 1 xpassed; failing the run." in result.stdout


def test_ci_rules_all_green_passes(tmp_path):
    assert _run(tmp_path, "", django=False, REQUIRE_SERVICES="1").returncode == 0


def test_ci_rules_the_wrong_database_stops_the_run(tmp_path):
    environment = {"DJANGO_SETTINGS_MODULE": "sharing_platform.settings", "DATABASE_URL": ""}
    result = _run(tmp_path, "", REQUIRE_DATABASE="postgres", **environment)
    assert result.returncode != 0
    assert "REQUIRE_DATABASE=postgres, but the tests would run on sqlite." in result.stdout + result.stderr
    matching = _run(tmp_path, "", REQUIRE_DATABASE="sqlite", **environment)
    assert matching.returncode == 0
    assert "database: sqlite (required)" in matching.stdout  # the CI log says which database really ran
