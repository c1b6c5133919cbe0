"""Benchmarks of the platform at national scale, each measured with a same-run baseline and the ratio.

    .venv/bin/python bench/run.py --scale all          # hundredth, tenth and full, one after another
    .venv/bin/python bench/run.py --scale tenth        # one scale (database bench_tenth)
    .venv/bin/python bench/run.py --scale full --db bench_full --regenerate

Each scale uses its own PostgreSQL database (bench_<scale> unless --db is given): created and
migrated when missing, filled by bench/generate.py when empty, then measured:

  ledger_floor      one SQL GROUP BY subject over the whole ledger (the baseline of the next one)
  full_recompute    credit.recompute.recompute_all() in a child process: time, ratio to the floor
                    (target <= 3x), peak RSS of that process (target < 1 GB)
  subject_recompute one new ledger event, then recompute_subject(): p50/p95 (target p95 < 20 ms),
                    against the subject's own GROUP BY
  list_publication  credit.services.list_entries_propose() for everyone: time, ratio to the full run
  catalogue_http    GET /api/v1/instruments/ with several filter combinations against gunicorn on
                    127.0.0.1 (warm), against /healthz in the same server, measured in alternating
                    windows around each URL: requests/s ratio (target >= 0.5), p99, SQL queries per
                    request (counted in-process on the same URLs)
  booking_contention threads calling bookings.services.booking_create() on overlapping and disjoint
                    slots of the same instruments: throughput, outcomes by kind, overlaps (must be 0)
                    proven by SQL over the whole table; baseline: the same number of creations, serial
  unit_evaluation   analytics.selectors.unit_evaluation() for the largest unit, this year, against one
                    SQL sum of the unit's hours

Results: a table on stdout, JSON in bench/results/ (git-ignored), and with --scale all (or
--write-latest) a copy of the summary in bench/latest.json. Load goes to 127.0.0.1 only and every
loop is bounded (by requests and by seconds). Repeated runs are comparable: snapshots, runs, list
entries and the benchmark's own bookings and events are cleared before measuring.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
SCALE_ORDER = ["hundredth", "tenth", "full"]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"

TARGETS = {
    "full_recompute_ratio": 3.0,  # x the GROUP BY floor, at most
    "full_recompute_peak_rss_mb": 1024.0,  # below
    "subject_recompute_p95_ms": 20.0,  # below
    "catalogue_rps_ratio": 0.5,  # at least, every API filter combination
    "catalogue_page_rps_ratio": 0.3,  # at least, the HTML page
    "unit_evaluation_ratio": 10.0,  # x one SQL sum of the unit's completed hours, at most
    "overlaps": 0,  # exactly
}

# Knobs per mode: quick is the smoke test (seconds), normal is the real measurement.
MODES = {
    "normal": {
        "subjects": 200, "http_seconds": 6.0, "http_max_requests": 5000, "http_clients": 2, "contention_threads": 16,
        "contention_attempts": 40, "floor_repeats": 3, "evaluation_repeats": 9,
    },
    "quick": {
        "subjects": 6, "http_seconds": 0.5, "http_max_requests": 40, "http_clients": 2, "contention_threads": 4,
        "contention_attempts": 6, "floor_repeats": 1, "evaluation_repeats": 1,
    },
}  # fmt: skip


def log(message: str) -> None:
    print(message, flush=True)  # noqa: T201


_STATIC_COLLECTED: set[str] = set()


def bench_static_root() -> Path:
    """Production settings serve hashed static files from a manifest: collect them once per bench run into
    a scratch folder (pages render `{% static %}`; a clean checkout has no manifest)."""
    root = Path(os.environ.get("BENCH_STATIC_ROOT") or RESULTS_DIR / "staticfiles")
    if str(root) not in _STATIC_COLLECTED:
        # DEBUG off as in the measured processes: only then does collectstatic write the manifest they read.
        env = {
            **os.environ,
            "STATIC_ROOT": str(root),
            "DJANGO_SETTINGS_MODULE": "sharing_platform.settings",
            "DEBUG": "false",
        }
        env.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        _STATIC_COLLECTED.add(str(root))
    return root


def bench_environment(database_url: str) -> dict:
    """The environment of the measured processes: production-like Django, tasks in-process, quiet."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "sharing_platform.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "CELERY_BROKER_URL": "",  # tasks run in-process: the benchmark measures the code, not a queue
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
            "STATIC_ROOT": str(bench_static_root()),
        }
    )
    return env


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 2) if baseline else None


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


# --- Database housekeeping -----------------------------------------------------------------------


def ensure_database(server: str, name: str, *, recreate: bool) -> None:
    import psycopg2

    if not name.startswith("bench_") and not name.startswith("test_"):
        raise SystemExit(f"refusing to use database {name!r}: benchmark databases are named bench_*")
    connection = psycopg2.connect(f"{server.rstrip('/')}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        if recreate:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def drop_database(server: str, name: str) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{server.rstrip('/')}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def setup_django(database_url: str) -> None:
    os.environ.update(bench_environment(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


META_TABLE = "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"


def meta_get(key: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(META_TABLE)
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cursor.fetchone()
    if row is None:
        return None
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def meta_set(key: str, value) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(META_TABLE)
        cursor.execute(
            "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, json.dumps(value)],
        )


def prepare_data(scale_name: str) -> dict:
    """Migrate, generate when empty, and clear what earlier benchmark runs left behind."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.generate import SCALES, generate
    from credit.scoring import summary

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    log(f"migrated ({time.monotonic() - started:.1f}s)")
    generation = meta_get("generation")
    if generation is None:
        log(f"generating scale {scale_name}: {SCALES[scale_name]}")
        with transaction.atomic(), connection.cursor() as cursor:
            result = generate(cursor.cursor, scale=SCALES[scale_name], log=log)
            summary_started = time.monotonic()
            folded, _rebuilt = summary.fold()  # the ledger summary's rows appended per COPY chunk, one per group
            log(f"ledger summary folded for {folded:,} subjects ({time.monotonic() - summary_started:.1f}s)")
        # The fold replaced the generator's appended rows (seven in eight of them at full scale): without this,
        # the first runs read a summary of mostly dead rows with the statistics of the appended ones (its fold
        # check then scans the whole table), until autovacuum comes by.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE credit_ledgersummary")
        generation = {
            "scale": scale_name,
            "counts": result.counts,
            "seconds": result.seconds,
            "contention_instruments": result.contention_instruments,
            "contention_users": result.contention_users,
            "largest_unit": result.largest_unit,
            "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        meta_set("generation", generation)
    else:
        log(f"reusing data generated {generation['generated_at']} ({generation['counts']['bookings']:,} bookings)")
        if generation["scale"] != scale_name:
            raise SystemExit(f"this database holds scale {generation['scale']}, not {scale_name}: use --regenerate")
    reset_between_runs(generation)
    return generation


def _referencing(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT cl.relname, att.attname FROM pg_constraint con
        JOIN pg_class cl ON cl.oid = con.conrelid
        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
        WHERE con.contype = 'f' AND con.confrelid = %s::regclass
        """,
        [table],
    )
    return cursor.fetchall()


def reset_between_runs(generation: dict | None) -> None:
    """Forget scores, runs, list entries and the benchmark's own bookings and events (bench databases only)."""
    from django.db import connection, transaction

    from credit.scoring import summary

    with transaction.atomic(), connection.cursor() as cursor:
        # The append-only triggers refuse these deletes to everyone; the benchmark's throwaway database is
        # reset by its superuser with triggers off for this transaction only (SET LOCAL; superuser-only).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("TRUNCATE credit_creditscore, credit_creditrun, credit_listentry CASCADE")
        cursor.execute(
            "UPDATE instruments_unit SET credit_score = NULL, credit_tier = '' WHERE credit_score IS NOT NULL"
        )
        cursor.execute("DELETE FROM credit_creditevent WHERE source_ref LIKE 'bench-run:%%' RETURNING subject_key")
        touched = sorted({key for (key,) in cursor.fetchall()})
        summary.rebuild(touched)  # the ledger summary of the subjects whose benchmark events were just deleted
        if generation is None:  # between the credit measurements only
            return
        rigs = generation["contention_instruments"]
        cursor.execute(
            "CREATE TEMP TABLE bench_old ON COMMIT DROP AS "
            "SELECT id FROM bookings_booking WHERE instrument_id = ANY(%s)",
            [rigs],
        )
        for table, column in _referencing(cursor, "bookings_booking"):
            cursor.execute(f'DELETE FROM "{table}" WHERE "{column}" IN (SELECT id FROM bench_old)')  # noqa: S608
        cursor.execute("DELETE FROM bookings_booking WHERE id IN (SELECT id FROM bench_old)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE credit_creditevent")


# --- Measurements ----------------------------------------------------------------------------------


def measure_ledger_floor(mode: dict) -> dict:
    """The floor: one GROUP BY subject over the whole ledger, every row fetched (best of a few, warm)."""
    from django.db import connection

    times = []
    rows = 0
    for _ in range(mode["floor_repeats"] + 1):  # the first one warms the cache and is not counted
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT subject_key, count(*), sum(weight * polarity), max(occurred_at) "
                "FROM credit_creditevent GROUP BY subject_key"
            )
            rows = len(cursor.fetchall())
        times.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM credit_creditevent")
        events = cursor.fetchone()[0]
    return {"seconds": round(min(times[1:] or times), 3), "subjects": rows, "events": events}


def child_full_recompute() -> dict:
    """Run in a child process so its peak RSS is the recompute's own."""
    from credit.recompute import recompute_all
    from sharing_platform.outbox import services as outbox_services

    # As for one subject: the tasks the run queues (credit_score_changed for its listeners, one message per
    # batch) are a worker's job in production. Here they run in-process once the run is over (each message
    # right after its batch's commit would share the process with the run's read-ahead thread, whose work would
    # then hide in the time left out); their time is reported beside.
    queued: list[int] = []
    dispatch = outbox_services.messages_dispatch
    outbox_services.messages_dispatch = lambda ids, *args, **kwargs: queued.extend(ids)
    started = time.perf_counter()
    outcome = recompute_all()
    seconds = time.perf_counter() - started
    outbox_services.messages_dispatch = dispatch
    started = time.perf_counter()
    if queued:
        dispatch(queued)
    tasks = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "with_tasks_seconds": round(seconds + tasks, 3),
        "status": outcome.status,
        "subjects": outcome.subjects,
        "snapshots_written": outcome.snapshots_written,
        # VmHWM: this process's own peak. getrusage's ru_maxrss survives exec, so it also counts the parent's
        # RSS at fork (the runner, which may have just generated the data set): it is kept for comparison.
        "peak_rss_mb": _process_hwm_mb(os.getpid()),
        "ru_maxrss_mb": rss_mb(),
    }


def measure_full_recompute(database_url: str, floor: dict) -> dict:
    result = run_child("full_recompute", database_url)
    result["baseline_seconds"] = floor["seconds"]
    result["ratio"] = ratio(result["seconds"], floor["seconds"])
    result["target_ratio"] = TARGETS["full_recompute_ratio"]
    result["target_peak_rss_mb"] = TARGETS["full_recompute_peak_rss_mb"]
    result["met"] = bool(
        result["ratio"] is not None
        and result["ratio"] <= TARGETS["full_recompute_ratio"]
        and result["peak_rss_mb"] < TARGETS["full_recompute_peak_rss_mb"]
    )
    return result


def _subject_sample(count: int, rng: random.Random) -> list[str]:
    """Mostly random users and units with history, plus the heaviest units (the worst case)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT subject_key FROM credit_creditevent WHERE subject_unit_id IS NOT NULL "
            "GROUP BY subject_key ORDER BY count(*) DESC LIMIT %s",
            [max(1, count // 10)],
        )
        heaviest = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT DISTINCT subject_key FROM credit_creditevent")
        everyone = [row[0] for row in cursor.fetchall()]
    users = [key for key in everyone if key.startswith("user:")]
    units = [key for key in everyone if key.startswith("unit:")]
    sample = list(heaviest)
    sample += rng.sample(units, min(len(units), max(1, count // 5)))
    sample += rng.sample(users, min(len(users), max(1, count - len(sample))))
    return sample[:count] if len(sample) > count else sample


def measure_subject_recompute(mode: dict) -> dict:
    from django.db import connection
    from django.utils import timezone

    from credit.models import CreditEvent
    from credit.recompute import recompute_subject
    from sharing_platform.outbox import services as outbox_services

    # The tasks a recompute queues (credit_score_changed for its listeners) run in-process here, after its
    # commit; in production they go to the broker and a worker runs them. Their time is measured apart.
    dispatching = {"seconds": 0.0}
    dispatch = outbox_services.messages_dispatch

    def timed_dispatch(*args, **kwargs):
        started = time.perf_counter()
        try:
            return dispatch(*args, **kwargs)
        finally:
            dispatching["seconds"] += time.perf_counter() - started

    rng = random.Random(7)  # noqa: S311 (a reproducible sample)
    keys = _subject_sample(mode["subjects"], rng)
    timings, totals, baselines, worst = [], [], [], ("", 0.0)
    for key in keys:
        kind, _sep, pk = key.partition(":")
        event_kind = CreditEvent.Kind.SERVICE_DELIVERED if kind == "unit" else CreditEvent.Kind.BOOKING_FULFILLED
        # The event goes in directly (no on-commit listener) so the timing is the recompute alone.
        CreditEvent.objects.create(
            subject_unit_id=int(pk) if kind == "unit" else None,
            subject_user_id=int(pk) if kind == "user" else None,
            subject_key=key,
            kind=event_kind,
            polarity=1,
            source=CreditEvent.Source.BOOKING,
            source_ref=f"bench-run:{uuid.uuid4().hex[:16]}",
            occurred_at=timezone.now(),
        )
        dispatching["seconds"] = 0.0
        outbox_services.messages_dispatch = timed_dispatch
        try:
            started = time.perf_counter()
            recompute_subject(key)
            total = (time.perf_counter() - started) * 1000
        finally:
            outbox_services.messages_dispatch = dispatch
        elapsed = total - dispatching["seconds"] * 1000
        timings.append(elapsed)
        totals.append(total)
        if elapsed > worst[1]:
            worst = (key, elapsed)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT kind, polarity, count(*), sum(weight) FROM credit_creditevent "
                "WHERE subject_key = %s GROUP BY kind, polarity",
                [key],
            )
            cursor.fetchall()
        baselines.append((time.perf_counter() - started) * 1000)
    p95 = percentile(timings, 0.95)
    return {
        "subjects": len(keys),
        "p50_ms": round(percentile(timings, 0.5), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(timings, default=0.0), 2),
        # With the queued announcement tasks run in-process after the commit (a worker's job in production).
        "with_tasks_p50_ms": round(percentile(totals, 0.5), 2),
        "with_tasks_p95_ms": round(percentile(totals, 0.95), 2),
        "worst_subject": worst[0],
        "baseline_p50_ms": round(percentile(baselines, 0.5), 2),
        "baseline_p95_ms": round(percentile(baselines, 0.95), 2),
        "ratio_p95": ratio(p95, percentile(baselines, 0.95)),
        "target_p95_ms": TARGETS["subject_recompute_p95_ms"],
        "met": p95 < TARGETS["subject_recompute_p95_ms"],
    }


BENCH_BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/1")


def _process_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def measure_full_recompute_workers(database_url: str, floor: dict, counts=(1, 2)) -> dict:
    """The nightly task on real Celery workers (one process each) against Redis: wall time with 1 and 2."""
    import redis

    from credit.models import CreditRun
    from credit.tasks import recompute_all_task
    from sharing_platform.celery import app

    app.conf.broker_url = BENCH_BROKER_URL
    app.conf.task_always_eager = False
    results = {}
    for workers in counts:
        reset_between_runs(None)
        redis.Redis.from_url(BENCH_BROKER_URL).flushdb()
        subjects = floor["subjects"]
        env = bench_environment(database_url)
        env.update(
            {
                "CELERY_BROKER_URL": BENCH_BROKER_URL,
                "CREDIT_RECOMPUTE_BATCH_SIZE": str(max(200, subjects // 20)),
                "LOG_LEVEL": "INFO",
            }
        )
        processes, logs = [], []
        for n in range(workers):
            log_path = RESULTS_DIR / f"worker-{os.getpid()}-{n}.log"
            RESULTS_DIR.mkdir(exist_ok=True)
            logs.append(log_path)
            command = [
                str(Path(sys.executable).with_name("celery")), "-A", "sharing_platform", "worker", "-P", "prefork",
                "-c", "1", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"bench-{n}-{uuid.uuid4().hex[:6]}@%h",
            ]  # fmt: skip
            processes.append(
                subprocess.Popen(  # noqa: S603 (our own virtualenv's celery)
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=log_path.open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        try:
            deadline = time.monotonic() + 120
            while not all("ready." in path.read_text(errors="replace") for path in logs):
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise RuntimeError("workers did not start: " + logs[0].read_text(errors="replace")[-2000:])
                time.sleep(0.2)
            run_id = uuid.uuid4()
            started = time.perf_counter()
            recompute_all_task.apply_async(task_id=str(run_id))
            deadline = time.monotonic() + 3600
            while not CreditRun.objects.filter(run_id=run_id, status="done").exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the parallel run did not finish within an hour")
                time.sleep(0.1)
            seconds = time.perf_counter() - started
            run = CreditRun.objects.get(run_id=run_id)
            peak = max((_process_hwm_mb(c) for p in processes for c in _children(p.pid)), default=0.0)
            results[str(workers)] = {
                "seconds": round(seconds, 2),
                "ratio": ratio(seconds, floor["seconds"]),
                "subjects": run.subjects_seen,
                "snapshots_written": run.snapshots_written,
                "batches": run.batches.count(),
                "pool_process_peak_rss_mb": peak,
            }
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
            for path in logs:
                path.unlink(missing_ok=True)
    one, two = results.get("1"), results.get("2")
    if one and two:
        results["speedup_2_workers"] = round(one["seconds"] / two["seconds"], 2)
    return results


def measure_list_publication(full: dict) -> dict:
    from credit.services import list_entries_propose

    started = time.perf_counter()
    created = list_entries_propose()
    seconds = time.perf_counter() - started
    by_list = Counter(f"{entry.list_type}:{entry.rule}" for entry in created)
    return {
        "seconds": round(seconds, 2),
        "proposals": len(created),
        "by_list_and_rule": dict(sorted(by_list.items())),
        "baseline_seconds": full["seconds"],
        "ratio_to_full_recompute": ratio(seconds, full["seconds"]),
    }


# --- Catalogue over HTTP ---------------------------------------------------------------------------


def catalogue_urls() -> dict[str, str]:
    """Filter combinations a researcher would use, with values taken from the data."""
    from django.db.models import Count

    from instruments.models import Instrument, InstrumentCategory, Region

    top = (
        InstrumentCategory.objects.filter(parent__isnull=True)
        .annotate(n=Count("children__instruments"))
        .order_by("-n")
        .first()
    )
    region = Region.objects.annotate(n=Count("units__instruments")).order_by("-n").first()
    maker = Instrument.objects.values_list("manufacturer", flat=True).order_by("id").first() or "Bruker"
    return {
        "no filter": "/api/v1/instruments/",
        "category": f"/api/v1/instruments/?category={top.code}",
        "region + rate range": f"/api/v1/instruments/?region={region.code}&min_rate=100&max_rate=800",
        "text search": f"/api/v1/instruments/?q={maker.split()[0]}",
        "available, by provider credit": "/api/v1/instruments/?status=available&ordering=-unit__credit_score",
        "category + region, by rate": (
            f"/api/v1/instruments/?category={top.code}&region={region.code}&ordering=hourly_rate_external"
        ),
    }


def catalogue_page_urls(urls: dict[str, str]) -> dict[str, str]:
    """The catalogue page (HTML) for three of the same combinations."""
    return {
        f"page: {label}": url.replace("/api/v1/instruments/", "/catalogue/")
        for label, url in urls.items()
        if label in {"no filter", "text search", "category + region, by rate"}
    }


def queries_per_request(urls: dict[str, str]) -> dict[str, int]:
    """SQL per request with the catalogue cache off: what a request costs when its page is not cached."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client()
    counts = {}
    for label, url in urls.items():
        with override_settings(CATALOGUE_CACHE_SECONDS=0), CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        counts[label] = len(captured.captured_queries)
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workers: int, extra_env: dict | None = None) -> subprocess.Popen:
    env = {**bench_environment(database_url), **(extra_env or {})}
    command = [
        sys.executable, "-m", "gunicorn", "sharing_platform.wsgi", "-c", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "/dev/null",
        "--max-requests", "0",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our own fixed command)
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 90  # a loaded machine starts workers slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            status, _body = http_get(port, "/healthz")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not answer /healthz within 90 s")


def http_get(port: int, path: str) -> tuple[int, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", "Accept": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(port: int, path: str, *, clients: int, seconds: float, max_requests: int) -> dict:
    """Closed-loop load from `clients` threads for at most `seconds` and `max_requests` requests."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    issued = [0]
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= max_requests:
                    return
                issued[0] += 1
            started = time.perf_counter()
            try:
                status, _body = http_get(port, path)
            except OSError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return _load_summary(latencies, statuses, wall)


def _load_summary(latencies: list[float], statuses: Counter, wall: float) -> dict:
    ok = statuses.get(200, 0)
    return {
        "requests": len(latencies),
        "rps": round(ok / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": {str(k): v for k, v in statuses.items() if k != 200},
        # Kept to add windows together (paired_load); not printed.
        "_latencies": latencies,
        "_statuses": statuses,
        "_wall": wall,
    }


def _merged(parts: list[dict]) -> dict:
    latencies = [value for part in parts for value in part["_latencies"]]
    statuses: Counter = Counter()
    for part in parts:
        statuses.update(part["_statuses"])
    return _load_summary(latencies, statuses, sum(part["_wall"] for part in parts))


def _public(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if not key.startswith("_")}


# Windows per URL in paired_load: the URL and /healthz alternate, each `seconds / PAIRED_ROUNDS` at a time (1 s).
PAIRED_ROUNDS = 6


def paired_load(port: int, path: str, *, clients: int, seconds: float, max_requests: int) -> tuple[dict, dict]:
    """The URL and /healthz measured in alternating windows (PAIRED_ROUNDS of each, `seconds` in all for each),
    so the URL's ratio is to a baseline measured around it, not minutes earlier: on a machine shared with
    other work the load changes within a run and a single baseline window compares different machines."""
    knobs = {
        "clients": clients,
        "seconds": seconds / PAIRED_ROUNDS,
        "max_requests": max(1, max_requests // PAIRED_ROUNDS),
    }
    url_parts, baseline_parts = [], []
    for _ in range(PAIRED_ROUNDS):
        baseline_parts.append(load(port, "/healthz", **knobs))
        url_parts.append(load(port, path, **knobs))
    return _merged(url_parts), _merged(baseline_parts)


def _catalogue_load(database_url: str, mode: dict, urls: dict[str, str], extra_env: dict) -> tuple[dict, dict]:
    """One gunicorn, warmed; every URL under the same closed-loop load, alternating with /healthz (paired_load)."""
    workers = max(2, os.cpu_count() or 2)
    port = free_port()
    server = start_gunicorn(database_url, port, workers, extra_env)
    try:
        for path in ["/healthz", *urls.values()]:  # warm every worker's connection and caches
            for _ in range(workers * 2):
                status, body = http_get(port, path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
        knobs = {
            "clients": mode["http_clients"],
            "seconds": mode["http_seconds"],
            "max_requests": mode["http_max_requests"],
        }
        combos, baselines = {}, []
        for label, path in urls.items():
            measured, paired = paired_load(port, path, **knobs)
            baselines.append(paired)
            combos[label] = {
                "url": path,
                **_public(measured),
                "ratio": ratio(measured["rps"], paired["rps"]),
                "baseline_rps": paired["rps"],
            }
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    # /healthz over every window of the run (each URL's ratio is to its own paired windows: `baseline_rps`).
    return _public(_merged(baselines)), combos


def _catalogue_summary(baseline: dict, combos: dict, queries: dict) -> dict:
    api = {label: combo for label, combo in combos.items() if not label.startswith("page: ")}
    pages = {label: combo for label, combo in combos.items() if label.startswith("page: ")}
    for label, combo in combos.items():
        combo["sql_queries"] = queries[label]
    mean_rps = statistics.mean(combo["rps"] for combo in api.values())
    # The lowest ratio, each to its own paired /healthz windows (not the lowest requests/s: the load moves).
    worst = min(api.items(), key=lambda item: item[1]["ratio"] or 0.0)
    worst_page = min(pages.items(), key=lambda item: item[1]["ratio"] or 0.0) if pages else None
    return {
        "baseline": {"url": "/healthz", **baseline},
        "combinations": api,
        "pages": pages,
        "mean_rps": round(mean_rps, 1),
        # The mean of the combinations' ratios, each to its own paired /healthz windows.
        "ratio": round(statistics.mean(combo["ratio"] or 0.0 for combo in api.values()), 2),
        "worst_combination": worst[0],
        "worst_ratio": worst[1]["ratio"],
        "pages_worst": worst_page[0] if worst_page else None,
        "pages_worst_ratio": worst_page[1]["ratio"] if worst_page else None,
        "p99_ms_max": max((combo["p99_ms"] for combo in api.values()), default=0.0),
        "met": bool(worst[1]["ratio"] and worst[1]["ratio"] >= TARGETS["catalogue_rps_ratio"]),
        "pages_met": bool(
            worst_page and worst_page[1]["ratio"] and worst_page[1]["ratio"] >= TARGETS["catalogue_page_rps_ratio"]
        ),
    }


def measure_catalogue_http(database_url: str, mode: dict) -> dict:
    """The catalogue API and page against /healthz, twice: with the shared page cache as deployed (every
    request after the first of a filter set is a cache hit), and with it off (every request reads the
    database: the lean list path itself). The cache is CACHE_URL's (Redis: bench --cache-url)."""
    urls = catalogue_urls()
    urls.update(catalogue_page_urls(urls))
    queries = queries_per_request(urls)
    workers = max(2, os.cpu_count() or 2)
    result = {
        "gunicorn_workers": workers,
        "clients": mode["http_clients"],
        "cache_url": os.environ.get("CACHE_URL", ""),
    }
    for name, env in (("cached", {}), ("uncached", {"CATALOGUE_CACHE_SECONDS": "0"})):
        baseline, combos = _catalogue_load(database_url, mode, urls, env)
        result[name] = _catalogue_summary(baseline, combos, queries)
    cached = result["cached"]
    # The headline figures (the table's rows) are the deployed configuration's; "uncached" is beside them.
    result.update({key: cached[key] for key in ("baseline", "combinations", "pages", "mean_rps", "ratio")})
    result.update(
        {
            "worst_combination": cached["worst_combination"],
            "worst_ratio": cached["worst_ratio"],
            "p99_ms_max": cached["p99_ms_max"],
            "sql_queries_max": max(queries.values(), default=0),
            "target_ratio": TARGETS["catalogue_rps_ratio"],
            "met": cached["met"],
        }
    )
    return result


# --- Booking contention ----------------------------------------------------------------------------


def count_overlaps() -> dict:
    """Blocking bookings of one instrument that overlap, over the whole table (must be zero)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT start, max("end") OVER (
                    PARTITION BY instrument_id ORDER BY start, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) AS previous_end
                FROM bookings_booking WHERE state IN ('approved', 'in_use')
            ) ordered WHERE previous_end > start
            """
        )
        overlaps = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bookings_booking WHERE state IN ('approved', 'in_use')")
        blocking = cursor.fetchone()[0]
    return {"overlaps": overlaps, "blocking_bookings_checked": blocking}


def _slots(day: datetime, hours: int) -> list[tuple[datetime, datetime]]:
    """Aligned one-hour slots (disjoint among themselves) and 90-minute slots straddling them (overlapping)."""
    aligned = [(day + timedelta(hours=h), day + timedelta(hours=h + 1)) for h in range(hours)]
    straddling = [(day + timedelta(hours=h, minutes=30), day + timedelta(hours=h + 2)) for h in range(hours - 1)]
    return aligned + straddling


def _attempt(create, outcomes: Counter, lock: threading.Lock, **kwargs) -> None:
    from django.db import IntegrityError

    from sharing_platform.errors import DomainError

    try:
        create(**kwargs)
        kind = "created"
    except DomainError as exc:
        kind = f"{type(exc).__name__}:{getattr(exc, 'code', '') or ''}"
    except IntegrityError as exc:
        kind = f"IntegrityError:{getattr(exc.__cause__, 'pgcode', '')}"
    with lock:
        outcomes[kind] += 1


def measure_booking_contention(generation: dict, mode: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from bookings.services import booking_create

    rigs = generation["contention_instruments"]
    users = list(get_user_model().objects.filter(pk__in=generation["contention_users"]).order_by("pk"))
    tz = timezone.get_current_timezone()
    base = (timezone.now() + timedelta(days=7)).astimezone(tz).replace(hour=8, minute=0, second=0, microsecond=0)
    threads_n, attempts = mode["contention_threads"], mode["contention_attempts"]
    total_attempts = threads_n * attempts

    # Baseline: the same number of creations from one thread, each on a free slot (no contention).
    serial_outcomes: Counter = Counter()
    lock = threading.Lock()
    serial_slots = [
        (rig, base + timedelta(days=day, hours=hour), base + timedelta(days=day, hours=hour, minutes=30))
        for day in range(0, 30)
        for hour in range(0, 12)
        for rig in rigs
    ][:total_attempts]
    started = time.perf_counter()
    for i, (rig, start, end) in enumerate(serial_slots):
        _attempt(booking_create, serial_outcomes, lock, instrument=rig, requester=users[i % len(users)],
                 start=start, end=end, purpose="Bench serial baseline")  # fmt: skip
    serial_seconds = time.perf_counter() - started

    # Contention: every thread picks random slots, aligned or straddling, on the same few instruments.
    day = base + timedelta(days=40)
    slots = _slots(day, 10)
    outcomes: Counter = Counter()
    barrier = threading.Barrier(threads_n)

    def client(index: int) -> None:
        rng = random.Random(index)  # noqa: S311 (load pattern, not security)
        user = users[index % len(users)]
        try:
            barrier.wait(timeout=30)
            for _ in range(attempts):
                start, end = rng.choice(slots)
                _attempt(booking_create, outcomes, lock, instrument=rng.choice(rigs), requester=user,
                         start=start, end=end, purpose="Bench contention")  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(threads_n)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    attempts_done = sum(outcomes.values())
    throughput = attempts_done / seconds if seconds else 0.0
    serial_throughput = sum(serial_outcomes.values()) / serial_seconds if serial_seconds else 0.0
    proof = count_overlaps()
    return {
        "threads": threads_n,
        "instruments": len(rigs),
        "attempts": attempts_done,
        "seconds": round(seconds, 2),
        "attempts_per_second": round(throughput, 1),
        "created": outcomes.get("created", 0),
        "outcomes": dict(sorted(outcomes.items())),
        "error_rates": {kind: round(n / attempts_done, 3) for kind, n in sorted(outcomes.items()) if kind != "created"},
        "baseline_serial_attempts_per_second": round(serial_throughput, 1),
        "baseline_outcomes": dict(sorted(serial_outcomes.items())),
        "ratio": ratio(throughput, serial_throughput),
        **proof,
        "met": proof["overlaps"] == TARGETS["overlaps"],
    }


# --- Analytics -----------------------------------------------------------------------------------


def measure_unit_evaluation(generation: dict, mode: dict) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from analytics.selectors import unit_evaluation
    from instruments.models import Unit

    unit = Unit.objects.get(pk=generation["largest_unit"])
    year = timezone.localdate().year
    # The platform median is computed once an hour and shared by every unit's report (the first call
    # here pays for it); "uncached" computes it on every call, as before issue 14.6.
    cache.clear()
    start = datetime(year, 1, 1, tzinfo=timezone.get_current_timezone())

    def baseline_once() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(b.actual_hours), count(*) FROM bookings_booking b JOIN instruments_instrument i "
                "ON i.id = b.instrument_id WHERE i.unit_id = %s AND b.state = 'completed' AND b.start >= %s",
                [unit.pk, start],
            )
            cursor.fetchone()
        return time.perf_counter() - started

    def report_once() -> tuple[float, dict]:
        started = time.perf_counter()
        found = unit_evaluation(unit=unit, year=year)
        return time.perf_counter() - started, found

    # The first call pays for the platform median; then the report and the baseline alternate, so both medians
    # are taken over the same minute of a machine whose load moves (a sub-millisecond baseline moves most).
    first, report = report_once()
    times, baseline_times = [], []
    for _ in range(mode["evaluation_repeats"]):
        times.append(report_once()[0])
        baseline_times.append(baseline_once())
    with override_settings(ANALYTICS_MEDIAN_CACHE_SECONDS=0):
        uncached_times = [report_once()[0] for _ in range(min(3, mode["evaluation_repeats"]))]
    seconds = statistics.median(times)
    baseline = statistics.median(baseline_times)
    return {
        "unit": unit.pk,
        "instruments": report.get("organisation", {}).get("instruments"),
        "bookings_counted": report.get("operation", {}).get("bookings_counted"),
        "seconds_first": round(first, 3),
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline, 4),
        "ratio": ratio(seconds, baseline),
        "seconds_uncached": round(statistics.median(uncached_times), 3),
        "ratio_uncached": ratio(statistics.median(uncached_times), baseline),
        "target_ratio": TARGETS["unit_evaluation_ratio"],
    }


# --- Orchestration -------------------------------------------------------------------------------


def run_child(name: str, database_url: str) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON (its own peak RSS included)."""
    command = [sys.executable, str(BENCH_DIR / "run.py"), "--child", name, "--database-url", database_url]
    completed = subprocess.run(command, cwd=ROOT, env=bench_environment(database_url), capture_output=True, text=True)  # noqa: S603
    if completed.returncode != 0:
        raise RuntimeError(f"child {name} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": postgres,
        "shared_buffers": shared_buffers,
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews absolute figures
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def run_scale(scale_name: str, database_url: str, *, quick: bool, only: set[str] | None = None) -> dict:
    """Everything for one scale, in this process (Django already set up for database_url)."""
    mode = MODES["quick" if quick else "normal"]
    generation = prepare_data(scale_name)
    result = {"scale": scale_name, "database": database_url.rsplit("/", 1)[-1], "mode": "quick" if quick else "normal"}
    result["machine"] = machine()
    result["generation"] = {k: generation[k] for k in ("counts", "seconds", "generated_at")}
    steps = [
        ("ledger_floor", lambda: measure_ledger_floor(mode)),
        ("full_recompute", lambda: measure_full_recompute(database_url, result["ledger_floor"])),
        ("subject_recompute", lambda: measure_subject_recompute(mode)),
        (
            "full_recompute_workers",
            lambda: measure_full_recompute_workers(database_url, result["ledger_floor"]),
        ),
        ("list_publication", lambda: measure_list_publication(result["full_recompute"])),
        ("catalogue_http", lambda: measure_catalogue_http(database_url, mode)),
        ("booking_contention", lambda: measure_booking_contention(generation, mode)),
        ("unit_evaluation", lambda: measure_unit_evaluation(generation, mode)),
    ]
    if only:
        steps = [(name, step) for name, step in steps if name in only]
    elif quick:  # the smoke test: no Celery workers to start (run it with --only full_recompute_workers)
        steps = [(name, step) for name, step in steps if name != "full_recompute_workers"]
    for name, step in steps:
        if only and name not in only:
            continue
        started = time.monotonic()
        log(f"[{scale_name}] {name} ...")
        result[name] = step()
        log(f"[{scale_name}] {name}: {json.dumps(result[name], default=str)[:400]} ({time.monotonic() - started:.1f}s)")
    result["runner_peak_rss_mb"] = rss_mb()
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["finished_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    return result


ROWS = [
    ("bookings", lambda r: f"{r['generation']['counts']['bookings']:,}"),
    ("ledger events", lambda r: f"{r['generation']['counts']['ledger_events']:,}"),
    ("generation (s)", lambda r: r["generation"]["seconds"]),
    ("ledger GROUP BY floor (s)", lambda r: r["ledger_floor"]["seconds"]),
    ("full recompute (s)", lambda r: r["full_recompute"]["seconds"]),
    ("  ratio to floor (target <= 3)", lambda r: r["full_recompute"]["ratio"]),
    ("  peak RSS MB (target < 1024)", lambda r: r["full_recompute"]["peak_rss_mb"]),
    ("  with its queued tasks run in-process (s)", lambda r: r["full_recompute"].get("with_tasks_seconds")),
    ("full recompute on 1 Celery worker (s)", lambda r: r["full_recompute_workers"]["1"]["seconds"]),
    ("  on 2 workers (s)", lambda r: r["full_recompute_workers"]["2"]["seconds"]),
    ("  speedup with 2 workers", lambda r: r["full_recompute_workers"]["speedup_2_workers"]),
    ("  worker peak RSS MB", lambda r: r["full_recompute_workers"]["2"]["pool_process_peak_rss_mb"]),
    ("subject recompute p50 (ms)", lambda r: r["subject_recompute"]["p50_ms"]),
    ("subject recompute p95 (ms, target < 20)", lambda r: r["subject_recompute"]["p95_ms"]),
    ("  baseline GROUP BY p95 (ms)", lambda r: r["subject_recompute"]["baseline_p95_ms"]),
    ("  p95 with its queued tasks run in-process (ms)", lambda r: r["subject_recompute"]["with_tasks_p95_ms"]),
    ("list publication (s)", lambda r: r["list_publication"]["seconds"]),
    ("  proposals", lambda r: r["list_publication"]["proposals"]),
    ("  ratio to full recompute", lambda r: r["list_publication"]["ratio_to_full_recompute"]),
    ("/healthz req/s (baseline)", lambda r: r["catalogue_http"]["baseline"]["rps"]),
    ("catalogue mean req/s", lambda r: r["catalogue_http"]["mean_rps"]),
    ("  ratio (target >= 0.5)", lambda r: r["catalogue_http"]["ratio"]),
    ("  worst combination ratio", lambda r: r["catalogue_http"]["worst_ratio"]),
    ("  p99 max (ms)", lambda r: r["catalogue_http"]["p99_ms_max"]),
    ("  SQL queries/request max (uncached)", lambda r: r["catalogue_http"]["sql_queries_max"]),
    ("  cache off: mean req/s", lambda r: r["catalogue_http"]["uncached"]["mean_rps"]),
    ("  cache off: ratio", lambda r: r["catalogue_http"]["uncached"]["ratio"]),
    ("  cache off: worst combination ratio", lambda r: r["catalogue_http"]["uncached"]["worst_ratio"]),
    ("catalogue page, worst req/s ratio (>= 0.3)", lambda r: r["catalogue_http"]["cached"]["pages_worst_ratio"]),
    ("  cache off: worst page ratio", lambda r: r["catalogue_http"]["uncached"]["pages_worst_ratio"]),
    ("contention attempts/s", lambda r: r["booking_contention"]["attempts_per_second"]),
    ("  serial baseline attempts/s", lambda r: r["booking_contention"]["baseline_serial_attempts_per_second"]),
    ("  created / attempts", lambda r: f"{r['booking_contention']['created']}/{r['booking_contention']['attempts']}"),
    ("  overlaps (target 0)", lambda r: r["booking_contention"]["overlaps"]),
    ("unit evaluation, largest unit (s)", lambda r: r["unit_evaluation"]["seconds"]),
    ("  ratio to one SQL sum (target <= 10)", lambda r: r["unit_evaluation"]["ratio"]),
    ("  first call (s)", lambda r: r["unit_evaluation"]["seconds_first"]),
    ("  ratio, platform median not cached", lambda r: r["unit_evaluation"]["ratio_uncached"]),
]


def table(results: list[dict]) -> str:
    header = ["measure", *[r["scale"] for r in results]]
    lines = [header]
    for label, getter in ROWS:
        row = [label]
        for result in results:
            try:
                row.append(str(getter(result)))
            except (KeyError, TypeError):
                row.append("-")
        lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for n, line in enumerate(lines):
        text.append(
            "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line))
        )
        if n == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)


def write_results(results: list[dict], *, latest: bool, json_out: str | None) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
    summary = {
        "results": results,
        "targets": TARGETS,
        "written_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    path = Path(json_out) if json_out else RESULTS_DIR / f"bench-{'-'.join(r['scale'] for r in results)}-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2, default=str))
    if latest:
        (BENCH_DIR / "latest.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return path


ONLY_GROUPS = {"credit": {"ledger_floor", "full_recompute", "subject_recompute", "full_recompute_workers"}}


def _only(value: str | None) -> set[str] | None:
    if not value:
        return None
    names: set[str] = set()
    for name in value.split(","):
        names |= ONLY_GROUPS.get(name.strip(), {name.strip()})
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Platform benchmarks (see the module docstring and bench/README.md).")
    parser.add_argument(
        "--scale", default="hundredth", help="full, tenth, hundredth, smoke, or all (= hundredth,tenth,full)"
    )
    parser.add_argument("--db", help="database name (default bench_<scale>); only with a single scale")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_SERVER", DEFAULT_SERVER),
        help="PostgreSQL server URL without a database",
    )
    parser.add_argument("--regenerate", action="store_true", help="drop and recreate the database, then generate")
    parser.add_argument("--drop-after", action="store_true", help="drop the database when done (throwaway runs)")
    parser.add_argument("--quick", action="store_true", help="each measurement once and briefly (the smoke test)")
    parser.add_argument("--json-out", help="write the JSON here instead of bench/results/")
    parser.add_argument("--write-latest", action="store_true", help="also copy the summary to bench/latest.json")
    parser.add_argument(
        "--only", help="comma-separated measurements (e.g. credit = ledger_floor,full_recompute,subject_recompute)"
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", ""),
        help="CACHE_URL of the measured processes, as in production (a Redis database); default a per-process memory",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cache_url:
        os.environ["CACHE_URL"] = args.cache_url  # bench_environment() passes it on to every measured process

    if args.child:
        setup_django(args.database_url)
        result = {"full_recompute": child_full_recompute}[args.child]()
        print(json.dumps(result))  # noqa: T201
        return 0

    scales = SCALE_ORDER if args.scale == "all" else args.scale.split(",")
    if len(scales) > 1:
        if args.db:
            parser.error("--db names one database: give a single --scale with it")
        results = []
        for scale in scales:
            out = RESULTS_DIR / f"part-{scale}-{os.getpid()}.json"
            RESULTS_DIR.mkdir(exist_ok=True)
            command = [
                sys.executable,
                str(BENCH_DIR / "run.py"),
                "--scale",
                scale,
                "--server",
                args.server,
                "--json-out",
                str(out),
            ]
            command += (
                ["--regenerate"] * args.regenerate + ["--quick"] * args.quick + ["--drop-after"] * args.drop_after
            )
            command += ["--only", args.only] if args.only else []
            command += ["--cache-url", args.cache_url] if args.cache_url else []
            subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603
            results.extend(json.loads(out.read_text())["results"])
            out.unlink()
        path = write_results(results, latest=args.write_latest or args.scale == "all", json_out=args.json_out)
        log("\n" + table(results))
        log(f"\nJSON: {path}")
        return 0

    scale = scales[0]
    database = args.db or f"bench_{scale}"
    database_url = f"{args.server.rstrip('/')}/{database}"
    ensure_database(args.server, database, recreate=args.regenerate)
    setup_django(database_url)
    try:
        result = run_scale(scale, database_url, quick=args.quick, only=_only(args.only))
    finally:
        if args.drop_after:
            from django.db import connections

            connections.close_all()
            drop_database(args.server, database)
    path = write_results([result], latest=args.write_latest, json_out=args.json_out)
    log("\n" + table([result]))
    log(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
