"""Where a full credit recompute spends its time: cProfile (or plain wall time) of credit.recompute.recompute_all()
on a benchmark database, from an empty snapshot table as bench/run.py measures it.

    .venv/bin/python bench/profile_recompute.py postgres://postgres@127.0.0.1:5432/bench_tenth [--no-profile]

It clears the snapshots, runs and list entries first (bench databases only, like bench/run.py's reset).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--no-profile", action="store_true", help="wall time only (best of --repeat)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    if "/bench_" not in args.database_url:
        raise SystemExit("a bench_* database only (its snapshots are cleared)")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from run import reset_between_runs, setup_django

    setup_django(args.database_url)
    from django.db import connection

    from credit.recompute import recompute_all
    from sharing_platform.outbox import services as outbox_services

    # As bench/run.py: the tasks the run queues run in-process after each batch; their time is left out.
    dispatching = {"seconds": 0.0}
    dispatch = outbox_services.messages_dispatch

    def timed_dispatch(*a, **k):
        started = time.perf_counter()
        try:
            return dispatch(*a, **k)
        finally:
            dispatching["seconds"] += time.perf_counter() - started

    outbox_services.messages_dispatch = timed_dispatch
    statements: dict[str, list[float]] = {}

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements.setdefault(" ".join(str(sql).split())[:110], [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    times = []
    for _ in range(args.repeat):
        reset_between_runs(None)
        dispatching["seconds"] = 0.0
        statements.clear()
        profiler = None if args.no_profile else cProfile.Profile()
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        with connection.execute_wrapper(timed_sql):
            outcome = recompute_all()
        if profiler is not None:
            profiler.disable()
        times.append(time.perf_counter() - started - dispatching["seconds"])
        print(  # noqa: T201
            f"{outcome.status}: {outcome.subjects} subjects, {outcome.snapshots_written} snapshots, "
            f"{times[-1]:.3f} s without its tasks ({dispatching['seconds']:.3f} s), load {os.getloadavg()[0]:.2f}"
        )
        print(f"SQL (cursor.execute; COPY is not included): {sum(t for _n, t in statements.values()):.3f} s")  # noqa: T201
        for sql, (count, seconds) in sorted(statements.items(), key=lambda item: -item[1][1])[:25]:
            print(f"  {seconds:8.4f} s {count:4d}x  {sql}")  # noqa: T201
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())  # noqa: T201
    print(f"best {min(times):.3f} s of {len(times)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
