"""The catalogue's HTTP measurement (bench/run.py's catalogue_http) on any database, e.g. the demo data:

    .venv/bin/python manage.py seed_demo                     # 945 instruments
    .venv/bin/python bench/catalogue_demo.py postgres://postgres@127.0.0.1:5432/sp_perfcatalogue \\
        --cache-url redis://127.0.0.1:6379/2

Nothing is written to the database. Prints one line per URL (cached and cache off) and the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--cache-url", default="")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.cache_url:
        os.environ["CACHE_URL"] = args.cache_url
    run.setup_django(args.database_url)
    load_before = round(os.getloadavg()[0], 2)
    result = run.measure_catalogue_http(args.database_url, run.MODES["quick" if args.quick else "normal"])
    result["load_average_1m"] = [load_before, round(os.getloadavg()[0], 2)]
    for mode in ("cached", "uncached"):
        summary = result[mode]
        run.log(f"{mode}: /healthz {summary['baseline']['rps']} r/s")
        for label, combo in {**summary["combinations"], **summary["pages"]}.items():
            run.log(
                f"  {label:32} {combo['rps']:7.1f} r/s  {combo['ratio']}x  p50 {combo['p50_ms']} ms"
                f"  p99 {combo['p99_ms']} ms  {combo['sql_queries']} q"
            )
    run.log(f"load average (1 min) before/after: {result['load_average_1m']}")
    run.log(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
