"""Where a catalogue request spends its time: cProfile over N in-process requests (Django's test client,
production settings, the whole middleware stack), the top functions by cumulative and by own time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sp_perfcatalogue \\
        .venv/bin/python bench/profile_catalogue.py /api/v1/instruments/ /catalogue/ --requests 200

`--no-cache` sets CATALOGUE_CACHE_SECONDS=0 (every request reads the database); `--serializer` profiles
the old list path instead: DRF's InstrumentListSerializer over model instances of the same page.
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
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--serializer", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from run import bench_environment

    os.environ.update(bench_environment(os.environ["DATABASE_URL"]))
    if args.no_cache:
        os.environ["CATALOGUE_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    for path in args.paths:
        if args.serializer:
            from instruments.api.serializers_catalogue import InstrumentListSerializer
            from instruments.selectors.catalogue import instrument_catalogue_queryset

            def once():
                rows = list(instrument_catalogue_queryset()[:21])
                return InstrumentListSerializer(rows[:20], many=True).data

        else:

            def once(path=path):
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}: {response.content[:300]!r}")
                return response

        for _ in range(5):  # warm
            once()
        started = time.perf_counter()
        for _ in range(args.requests):
            once()
        plain = (time.perf_counter() - started) / args.requests
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            once()
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        label = "serializer over the first page" if args.serializer else path
        print(f"=== {label}: {plain * 1000:.2f} ms per request unprofiled ({args.requests} requests)")  # noqa: T201
        print(out.getvalue())  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
