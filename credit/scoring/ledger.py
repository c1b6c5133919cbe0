"""The ledger's time-decayed groups on PostgreSQL: one grouped statement, or one per full-run phase, staged.

A group is a subject's events of one kind, polarity and severity with their decayed weight summed
(reviews: decayed per local day, for their stars share). Three ways to read them, same rows:

- `groups_postgres(keys, as_of)`: a few subjects by key (the per-event path) or a batch by id range;
- `stage_groups(phase, after, as_of)` + `staged_groups(id_range)`: a full run reads the ledger ONCE per
  phase in one grouped statement (a sequential scan the server may spread over its parallel workers)
  into a temporary table, and each batch then reads its own subjects' groups from it by id. Before,
  every batch of 2,000 subjects gathered its events from all over the table (they are stored in the
  order they happened), so a full run touched the ledger's pages once per batch.

Reversed events are found first (they are few) and left out by id as a constant list, so the grouped
statement has no sub-plan and stays parallel-safe.
"""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from .. import params
from ..models import CreditEvent

STAGED_TABLE = "credit_run_groups"  # a temporary table: one per database session, gone when it ends


@dataclass(slots=True)
class Group:
    """A subject's events of one kind, polarity and severity, with their time-decayed weight summed."""

    kind: str
    polarity: int
    severity: str
    effective: float  # sum over days of weight x kind multiplier x decay
    review_kept: float  # reviews (weight > 0): sum of effective x stars share
    review_broken: float  # reviews (weight > 0): sum of effective x (1 - stars share)
    count: int
    first_day: date
    last_day: date
    weight: float  # sum of raw weights (reviews: the mean stars in the reasons)
    value_weight: float


def _multiplier_sql(alias: str) -> tuple[str, list]:
    whens, args = [], []
    for kind, multiplier in sorted(params.KIND_MULTIPLIERS.items()):
        whens.append("WHEN %s THEN %s::float8")
        args += [str(kind), float(multiplier)]
    return f"(CASE {alias}.kind {' '.join(whens)} ELSE 1.0::float8 END)", args


def _zone() -> str:
    tz = timezone.get_current_timezone_name()
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", tz):  # interpolated in the SQL: a zone name, nothing else
        raise ValueError(f"unexpected time zone name {tz!r}")
    return tz


def _column(phase: str) -> str:
    return "subject_unit_id" if phase == "unit" else "subject_user_id"


def _reversed_ids(scope: str, scope_args: list, as_of: datetime) -> list[int]:
    """Events cancelled by a reversal recorded by as_of, among the subjects in scope (one index probe)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(e.reverses_id, NULLIF(e.details->>'reverses', '')::bigint) "  # noqa: S608 (fixed fragments)
            f"FROM credit_creditevent e WHERE e.kind = %s AND {scope} AND e.occurred_at <= %s AND e.recorded_at <= %s",
            [CreditEvent.Kind.REVERSAL.value, *scope_args, as_of, as_of],
        )
        return sorted({int(pk) for (pk,) in cursor.fetchall() if pk is not None})


def _grouped_sql(
    subject: str | tuple[str, ...],
    scope: str,
    scope_args: list,
    as_of: datetime,
    *,
    by_kind_index: bool,
    zone_in_session: bool,
) -> tuple:
    """The grouped statement: rows (subject, kind, polarity, severity, effective, multiplier applied?, kept,
    broken, count, first day, last day, weight, value x weight), for the events of the subjects in scope.

    subject: the column naming the subject, or the columns (subject_unit_id, subject_user_id), then both come
    first in each row under their own names.

    zone_in_session: the statement runs with the session's TimeZone set to ours (`in_local_zone()`), so an
    event's local day is a plain cast, far cheaper per event than naming the zone (AT TIME ZONE '<name>').
    """
    today = timezone.localtime(as_of).date()
    tz = _zone()
    multiplier, multiplier_args = _multiplier_sql("d")
    review_kinds = [str(kind) for kind in params.REVIEW_KINDS]
    span = float(params.REVIEW_STARS_MAX - params.REVIEW_STARS_MIN)
    reversal = CreditEvent.Kind.REVERSAL.value
    with_clause, with_args = "", []
    if by_kind_index:  # many subjects: their reversals first (few), left out by id as a constant list
        not_reversed, not_reversed_args = "e.id <> ALL(%s::bigint[])", [_reversed_ids(scope, scope_args, as_of)]
    else:
        # A few subjects (the per-event path): the reversals in the same statement, once (no extra round trip).
        # The CTE also keeps this small statement in one process: parallel workers cost more to start than it.
        with_clause = (
            "WITH reversed AS MATERIALIZED (SELECT COALESCE(r.reverses_id, NULLIF(r.details->>'reverses', '')::bigint) "  # noqa: S608
            f"AS id FROM credit_creditevent r WHERE r.kind = %s AND {scope.replace('e.', 'r.')} "
            "AND r.occurred_at <= %s AND r.recorded_at <= %s) "
        )
        with_args = [reversal, *scope_args, as_of, as_of]
        not_reversed, not_reversed_args = "e.id NOT IN (SELECT id FROM reversed WHERE id IS NOT NULL)", []
    events = f"""FROM credit_creditevent e
        WHERE {scope} AND e.occurred_at <= %s AND e.recorded_at <= %s AND e.kind <> %s AND {not_reversed}"""
    events_args = [*scope_args, as_of, as_of, reversal, *not_reversed_args]
    day = "e.occurred_at::date" if zone_in_session else f"(e.occurred_at AT TIME ZONE '{tz}')::date"
    decay = "power(0.5::float8, greatest(%s::date - {day}, 0)::float8 / %s::float8)"
    decay_args = [today, float(params.HALF_LIFE_DAYS)]
    # A few subjects (the per-event path): their reviews are found by subject; the (kind, occurred_at) index
    # would only add a scan of every review on the platform to intersect with them, so it is kept out.
    review_kind = "e.kind" if by_kind_index else "(e.kind || '')"
    columns = (subject,) if isinstance(subject, str) else subject
    names = ("subject",) if isinstance(subject, str) else tuple(column.partition(".")[2] for column in columns)
    subjects = ", ".join(f"{column} AS {name}" for column, name in zip(columns, names, strict=True))
    n = len(columns)
    by_group = ", ".join(str(position) for position in range(1, n + 4))
    by_day = ", ".join(str(position) for position in range(1, n + 5))
    sql = f"""{with_clause}
        SELECT {subjects}, e.kind, e.polarity, e.severity,
               sum(e.weight::float8 * {decay.format(day=day)}) AS effective, NULL::float8 AS applied,
               0::float8 AS kept, 0::float8 AS broken, count(*) FILTER (WHERE e.weight <> 0) AS n,
               min({day}) AS first_day,
               max({day}) AS last_day, 0::float8 AS w, 0::float8 AS vw
        {events} AND NOT (e.kind = ANY(%s))
        GROUP BY {by_group}
        UNION ALL
        SELECT {", ".join(names)}, kind, polarity, severity, sum(eff), 1::float8, coalesce(sum(eff * share), 0),
               coalesce(sum(eff * (1.0::float8 - share)), 0), sum(n)::bigint, min(day), max(day), sum(w)::float8,
               sum(vw)::float8
        FROM (
            SELECT d.*, d.w::float8 * {multiplier} * {decay.format(day="d.day")} AS eff,
                   CASE WHEN d.w > 0
                        THEN least(greatest((d.vw::float8 / d.w::float8 - %s::float8) / %s::float8, 0.0), 1.0)
                   END AS share
            FROM (
                SELECT {subjects}, e.kind, e.polarity, e.severity, {day} AS day,
                       sum(e.weight) AS w, count(*) FILTER (WHERE e.weight <> 0) AS n,
                       coalesce(sum(e.value * e.weight), 0) AS vw
                {events} AND {review_kind} = ANY(%s)
                GROUP BY {by_day}
            ) d
        ) r
        GROUP BY {by_group}
    """  # noqa: S608 (interpolated: our own parameters' CASE, the zone name, fixed fragments; values bound)
    args = [
        *with_args, *decay_args, *events_args, review_kinds,
        *multiplier_args, *decay_args, float(params.REVIEW_STARS_MIN), span, *events_args, review_kinds,
    ]  # fmt: skip
    return sql, args


@contextmanager
def in_local_zone(cursor):
    """Run statements with the session's TimeZone set to ours, then set it back (inside a transaction)."""
    cursor.execute("SELECT current_setting('TimeZone'), set_config('TimeZone', %s, true)", [_zone()])
    previous = cursor.fetchone()[0]
    try:
        yield
    finally:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [previous])


def _groups_from(rows, key_of) -> dict[str, list[Group]]:
    groups: dict[str, list[Group]] = defaultdict(list)
    # Outside reviews the multiplier is applied here, per group (the SQL sums weight x decay).
    multipliers = params.KIND_MULTIPLIERS
    for subject, kind, polarity, severity, eff, applied, kept, broken, n, first, last, w, vw in rows:
        if applied is None:
            eff = eff * multipliers.get(kind, 1.0)
        groups[key_of(subject)].append(Group(kind, polarity, severity, eff, kept, broken, n, first, last, w, vw))
    return groups


def groups_postgres(
    keys: list[str], as_of: datetime, id_range: tuple[str, int, int] | None = None
) -> dict[str, list[Group]]:
    """The groups of a few subjects (by key) or of a batch (by id range), in one grouped statement."""
    if id_range is not None:
        phase, first, last = id_range
        column = f"e.{_column(phase)}"
        sql, args = _grouped_sql(
            column, f"{column} BETWEEN %s AND %s", [first, last], as_of, by_kind_index=True, zone_in_session=True
        )
        prefix = f"{phase}:"
        with transaction.atomic(), connection.cursor() as cursor, in_local_zone(cursor):
            cursor.execute(sql, args)
            return _groups_from(cursor.fetchall(), lambda subject: prefix + str(subject))
    sql, args = _grouped_sql(
        "e.subject_key", "e.subject_key = ANY(%s)", [keys], as_of, by_kind_index=False, zone_in_session=True
    )
    with transaction.atomic(), connection.cursor() as cursor, in_local_zone(cursor):
        cursor.execute(sql, args)
        return _groups_from(cursor.fetchall(), str)


STAGE_WORK_MEM = "256MB"  # the staged statement's hash tables stay in memory (SET LOCAL, that statement only)


def _staged_sql(phase: str, after: int, as_of: datetime) -> tuple[str, list]:
    """The groups of the rest of a run (units after `after` then every user, or the users after it)."""
    if phase == "unit":
        scope, scope_args = "(e.subject_unit_id > %s OR e.subject_user_id IS NOT NULL)", [after]
    else:
        scope, scope_args = "e.subject_user_id > %s", [after]
    return _grouped_sql(
        ("e.subject_unit_id", "e.subject_user_id"), scope, scope_args, as_of, by_kind_index=True, zone_in_session=True
    )


def stage_groups(phase: str, after: int, as_of: datetime) -> None:
    """Group the ledger for the rest of a run (from `phase` after id `after`), once, into the session's table."""
    sql, args = _staged_sql(phase, after, as_of)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGED_TABLE}")
        # jit off: compiling this statement's expressions costs more than it saves on a single pass.
        cursor.execute(
            "SELECT current_setting('work_mem'), current_setting('jit'), "
            "set_config('work_mem', %s, true), set_config('jit', 'off', true)",
            [STAGE_WORK_MEM],
        )
        work_mem, jit = cursor.fetchone()[:2]
        with in_local_zone(cursor):
            # In subject order: a batch's rows lie together, so reading them touches few of the table's pages.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGED_TABLE} AS SELECT * FROM ({sql}) g "  # noqa: S608 (our own statement)
                "ORDER BY subject_unit_id, subject_user_id",
                args,
            )
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", [work_mem, jit])
        cursor.execute(f"CREATE INDEX ON pg_temp.{STAGED_TABLE} (subject_unit_id)")
        cursor.execute(f"CREATE INDEX ON pg_temp.{STAGED_TABLE} (subject_user_id)")
        cursor.execute(f"ANALYZE pg_temp.{STAGED_TABLE}")


def staged_groups(id_range: tuple[str, int, int]) -> dict[str, list[Group]]:
    """A batch's groups, read from the table stage_groups() filled for the run."""
    phase, first, last = id_range
    prefix = f"{phase}:"
    column = _column(phase)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}, kind, polarity, severity, effective, applied, kept, broken, n, first_day, last_day, w, "  # noqa: S608
            f"vw FROM pg_temp.{STAGED_TABLE} WHERE {column} BETWEEN %s AND %s",
            [first, last],
        )
        return _groups_from(cursor.fetchall(), lambda subject: prefix + str(subject))


def unstage_groups() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGED_TABLE}")
