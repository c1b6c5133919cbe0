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
    parser.add_argument("--sections", action="store_true", help="wall time of the run's main steps (no cProfile)")
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

    # As bench/run.py: the tasks the run queues are left out (a worker's job; not run at all here).
    dispatching = {"seconds": 0.0}
    outbox_services.messages_dispatch = lambda *a, **k: 0
    statements: dict[str, list[float]] = {}

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements.setdefault(" ".join(str(sql).split())[:110], [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    sections: dict[str, float] = {}
    if args.sections:
        args.no_profile = True
        _time_sections(sections)
    times = []
    for _ in range(args.repeat):
        reset_between_runs(None)
        dispatching["seconds"] = 0.0
        statements.clear()
        sections.clear()
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
        for name, seconds in sorted(sections.items(), key=lambda item: -item[1]):
            print(f"  section {name:<40} {seconds:8.3f} s")  # noqa: T201
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())  # noqa: T201
    print(f"best {min(times):.3f} s of {len(times)}")  # noqa: T201
    return 0


def _time_sections(sections: dict[str, float]) -> None:
    """Wrap the run's main steps (module attributes, as the callers look them up) with wall-clock timers."""
    from django.db.backends.base import base

    import credit.recompute as recompute
    import credit.scoring.sets as sets
    import credit.snapshots as snapshots

    def wrap(module, name: str, label: str | None = None) -> None:
        function = getattr(module, name)

        def timed(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                sections[label or name] = sections.get(label or name, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)

    for name in ("batch_facts", "ledger_groups", "score_batch"):
        wrap(sets, name, f"sets.{name}")
    for name in ("latest_in_range", "insert_snapshots", "_announce_changes", "_update_unit_columns", "ids_after"):
        wrap(recompute, name, f"recompute.{name}")
    wrap(recompute, "_summary_ready", "recompute._summary_ready (fold)")
    wrap(recompute, "trust_scores", "recompute.trust_scores")
    wrap(recompute, "_write_batch", "recompute._write_batch (all of it)")
    wrap(recompute, "score_keys_set_based", "recompute.score_keys_set_based (all of it)")
    wrap(snapshots.ReasonTexts, "json", "ReasonTexts.json")
    wrap(sets.BatchScores, "row", "BatchScores.row (reasons)")
    wrap(base.BaseDatabaseWrapper, "_commit", "commit")


if __name__ == "__main__":
    raise SystemExit(main())
