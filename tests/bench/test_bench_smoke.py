"""Smoke run of the benchmark (bench/run.py) at a tiny scale, so the benchmark cannot rot.

It runs the same code as the real benchmark, once and briefly (--quick), in a throwaway database
of its own (bench_smoke_<pid>, dropped afterwards) on the test run's PostgreSQL server, and checks
the shape of the results and the invariants, never the timings.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _server_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"


@pytest.mark.postgres
def test_bench_smoke_run_measures_everything_once(tmp_path):
    out = tmp_path / "smoke.json"
    database = f"bench_smoke_{os.getpid()}"
    completed = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / "run.py"), "--scale", "smoke", "--db", database,
         "--server", _server_url(), "--regenerate", "--drop-after", "--quick", "--json-out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    summary = json.loads(out.read_text())
    (result,) = summary["results"]

    counts = result["generation"]["counts"]
    assert counts["units"] == 6
    assert counts["instruments"] == 40
    assert counts["bookings"] > 0
    assert counts["ledger_events"] > counts["bookings"]

    assert result["ledger_floor"]["events"] == counts["ledger_events"]
    full = result["full_recompute"]
    assert full["status"] == "done"
    assert full["subjects"] == counts["units"] + counts["users"]
    assert full["snapshots_written"] == full["subjects"]  # a cleared database: every subject gets one
    assert full["ratio"] is not None
    assert full["peak_rss_mb"] > 0

    subject = result["subject_recompute"]
    assert subject["subjects"] > 0
    assert 0 < subject["p50_ms"] <= subject["p95_ms"] <= subject["max_ms"]
    assert subject["ratio_p95"] is not None

    assert result["list_publication"]["ratio_to_full_recompute"] is not None

    http = result["catalogue_http"]
    assert http["baseline"]["rps"] > 0
    assert http["baseline"]["errors"] == {}
    assert len(http["combinations"]) >= 5
    for combo in http["combinations"].values():
        assert combo["errors"] == {}
        assert combo["requests"] > 0
        assert combo["sql_queries"] >= 1
        assert combo["ratio"] is not None

    assert len(http["pages"]) == 3  # the HTML catalogue page, measured beside the API
    for combo in http["pages"].values():
        assert combo["errors"] == {}
        assert combo["sql_queries"] >= 1
    assert http["uncached"]["ratio"] is not None  # the same URLs with the page cache off

    contention = result["booking_contention"]
    assert contention["overlaps"] == 0
    assert contention["created"] > 0
    assert contention["attempts"] == sum(contention["outcomes"].values())
    assert "DomainConflictError:slot_taken" in contention["outcomes"]  # the threads really collided
    assert not any(kind.startswith("IntegrityError") for kind in contention["outcomes"])
    assert contention["ratio"] is not None

    evaluation = result["unit_evaluation"]
    assert evaluation["instruments"] >= 1
    assert evaluation["ratio"] is not None
    assert evaluation["ratio_uncached"] is not None  # the platform median computed on every call
