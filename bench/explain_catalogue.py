"""EXPLAIN ANALYZE of the catalogue's first page for every filter and order it offers (issue 14.1).

    .venv/bin/python bench/explain_catalogue.py postgres://postgres@127.0.0.1:5432/bench_full

Prints, per query, the plan's top lines, the execution time, and whether the instruments table is read
by a sequential scan (the check: none for a first page, except where a text search must read rows).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import run

ORDERINGS = [
    "",
    "name",
    "-name",
    "created_at",
    "-created_at",
    "hourly_rate_external",
    "-hourly_rate_external",
    "original_value",
    "-original_value",
    "unit__credit_score",
    "-unit__credit_score",
]


def main() -> int:
    run.setup_django(sys.argv[1])
    from django.db import connection
    from django.utils import translation

    from instruments.filters import InstrumentFilter
    from instruments.selectors.catalogue import CATALOGUE_COLUMNS, instrument_catalogue_queryset

    urls = run.catalogue_urls()
    cases = [
        (language, {"ordering": ordering} if ordering else {})
        for language in ("en", "zh-hans")
        for ordering in ORDERINGS
    ]
    for url in urls.values():
        query = url.partition("?")[2]
        params = dict(part.split("=", 1) for part in query.split("&") if part)
        cases.append(("en", params))
    cases.append(("en", {"status": "maintenance"}))
    cases.append(("en", {"provider_tier": "excellent", "ordering": "-unit__credit_score"}))
    cases.append(("en", {"min_provider_credit": "700"}))
    cases.append(("en", {"unit": "1"}))
    seq_scans = 0
    for language, params in cases:
        with translation.override(language):
            filterset = InstrumentFilter(params, queryset=instrument_catalogue_queryset())
            if not filterset.is_valid():
                run.log(f"{params}: invalid {filterset.errors}")
                continue
            queryset = filterset.qs.values(*CATALOGUE_COLUMNS)[:21]
            sql, sql_params = queryset.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql, sql_params)
                plan = [row[0] for row in cursor.fetchall()]
        seq = any("Seq Scan on instruments_instrument " in line for line in plan)  # not ..._instrumentcategory
        seq_scans += seq and "q" not in params
        run.log(f"\n[{language}] {params}: {plan[-1].strip()}{'  SEQ SCAN of instruments' if seq else ''}")
        for line in plan[:6]:
            run.log("    " + line)
    run.log(f"\nfirst pages reading instruments by sequential scan (text search aside): {seq_scans}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
