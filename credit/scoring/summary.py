"""The ledger summary (PostgreSQL): the ledger's groups kept by the database, read instead of the events.

A subject's score needs, per kind, polarity and severity, the time-decayed sum of its events' weights (reviews:
per local day, for their stars share), their count and first and last days (ledger.py's grouped statement).
The decay is exponential, so it factorises: sum(w x 0.5^((today - day) / H)) = 0.5^((today - epoch) / H) x
sum(w x 2^((day - epoch) / H)). The second factor does not depend on the day of the recompute, so it can be
kept as the events arrive: `credit_ledgersummary` (models.LedgerSummary) holds it per group.

- **Written by the database.** A statement-level AFTER INSERT trigger on credit_creditevent appends, in the
  inserting transaction, one row per group of the rows that statement added (`folded` false). Every writer is
  covered (credit_event_record, reversals, the person mirror's bulk_create, the simulator, COPY) and no row is
  ever updated by a writer, so two transactions recording facts of one big unit never wait on each other here.
- **Folded by the nightly run** (`fold()`, at the start of recompute_all): a subject's appended rows become one
  row per group; the subjects with a new reversal are rebuilt from the ledger (a reversed event leaves the sums,
  and its days may have been a group's first or last). Each is one statement, so a concurrent insert is either
  in it or stays appended, never counted twice.
- **Read in one statement** (`summary_groups()`): the same rows as ledger.py's grouped statement. A subject is
  read from the ledger instead (`stale`) when the summary may not describe it as of the moment asked: an event
  recorded or occurring after it (a past as_of, or a fact written during a run), or a reversal not folded yet.
  Everything is read from the ledger while the summary's parameters (time zone, half life, epoch, the per-day
  kinds, in `credit_ledger_summary_state`) differ from the code's; the nightly run then rebuilds it.

SQLite (the embedded default) has neither the trigger nor the state: the ledger is read directly there.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .. import params
from ..models import CreditEvent, LedgerSummary
from .ledger import Group, _multiplier_sql, _zone

EPOCH = date(2020, 1, 1)
ALL_DAYS = date(1, 1, 1)  # the `day` of a group summed over every day (kinds outside params.REVIEW_KINDS)
TABLE = LedgerSummary._meta.db_table
STATE_TABLE = "credit_ledger_summary_state"
TRIGGER = "credit_ledger_summary_append"
REVERSAL = CreditEvent.Kind.REVERSAL.value

FOLDED_DAYS = date(1, 1, 2)  # the `day` of a review group's days up to its `through`, folded into one row
FOLD_LAG_DAYS = 7  # a review day is folded once this many days old (a later fact of it: read from the ledger)

_COLUMNS = (
    "subject_key, subject_unit_id, subject_user_id, kind, polarity, severity, day, scaled, kept_scaled, "
    "broken_scaled, n, first_day, last_day, w, vw, last_recorded_at, last_occurred_at, folded, through"
)


def _days_sql(source: str) -> str:
    """The events in `source` (alias e over credit_creditevent rows) per subject, kind, polarity, severity and
    day (review kinds) or ALL_DAYS (the others): rows of the summary's columns up to last_occurred_at."""
    return f"""
        SELECT a.subject_key, max(a.subject_unit_id) AS subject_unit_id, max(a.subject_user_id) AS subject_user_id,
               a.kind, a.polarity, a.severity, a.bucket AS day,
               coalesce(sum(a.weight::float8 * power(2::float8, (a.d - st.epoch)::float8 / st.half_life)), 0)
                   AS scaled,
               0::float8 AS kept_scaled, 0::float8 AS broken_scaled, count(*) FILTER (WHERE a.weight <> 0) AS n,
               min(a.d) AS first_day, max(a.d) AS last_day, sum(a.weight) AS w, coalesce(sum(a.value * a.weight), 0)
                   AS vw, max(a.recorded_at) AS last_recorded_at, max(a.occurred_at) AS last_occurred_at
        FROM {STATE_TABLE} st
        CROSS JOIN LATERAL (
            SELECT e.subject_key, e.subject_unit_id, e.subject_user_id, e.kind, e.polarity, e.severity, e.weight,
                   e.value, e.recorded_at, e.occurred_at, (e.occurred_at AT TIME ZONE st.zone)::date AS d,
                   CASE WHEN e.kind = ANY(st.day_kinds) THEN (e.occurred_at AT TIME ZONE st.zone)::date
                        ELSE DATE '0001-01-01' END AS bucket
            {source}
        ) a
        WHERE st.id = 1
        GROUP BY a.subject_key, a.kind, a.polarity, a.severity, a.bucket
    """  # noqa: S608 (our own table names and fixed fragments)


TRIGGER_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TABLE} ({_COLUMNS})
    SELECT d.*, false, NULL::date FROM ({_days_sql("FROM added e")}) d;
    RETURN NULL;
END;
$$
"""  # noqa: S608 (our own table names and fixed fragments)


def _finish_sql(ctes: str) -> str:
    """INSERT the folded rows of `days` (a CTE among `ctes`, rows of the summary's columns): other kinds' groups and
    review days after the cutoff as they are, review days up to it (and an earlier fold's row) into one row per
    group. Parameters: the cutoff, the stars' minimum and span, the cutoff."""
    return f"""
        WITH {ctes}
        INSERT INTO {TABLE} ({_COLUMNS})
        SELECT subject_key, subject_unit_id, subject_user_id, kind, polarity, severity, day, scaled, kept_scaled,
               broken_scaled, n, first_day, last_day, w, vw, last_recorded_at, last_occurred_at, true, NULL::date
        FROM days WHERE day = DATE '0001-01-01' OR day > %s
        UNION ALL
        SELECT subject_key, max(subject_unit_id), max(subject_user_id), kind, polarity, severity, DATE '0001-01-02',
               sum(CASE WHEN day = DATE '0001-01-02' THEN scaled ELSE w::float8 * x END),
               sum(CASE WHEN day = DATE '0001-01-02' THEN kept_scaled ELSE coalesce(w::float8 * x * share, 0) END),
               sum(CASE WHEN day = DATE '0001-01-02' THEN broken_scaled
                        ELSE coalesce(w::float8 * x * (1.0::float8 - share), 0) END),
               sum(n), min(first_day), max(last_day), sum(w), sum(vw), max(last_recorded_at), max(last_occurred_at),
               true, %s::date
        FROM (
            SELECT days.*,
                   CASE WHEN day > DATE '0001-01-02'
                        THEN power(2::float8, (day - st.epoch)::float8 / st.half_life) END AS x,
                   CASE WHEN w > 0
                        THEN least(greatest((vw::float8 / w::float8 - %s::float8) / %s::float8, 0.0), 1.0) END AS share
            FROM days CROSS JOIN {STATE_TABLE} st
            WHERE st.id = 1 AND day <> DATE '0001-01-01' AND day <= %s
        ) f
        GROUP BY subject_key, kind, polarity, severity
    """  # noqa: S608 (our own table names and fixed fragments)


def _finish_args() -> list:
    cutoff = timezone.localdate() - timedelta(days=FOLD_LAG_DAYS)
    span = float(params.REVIEW_STARS_MAX - params.REVIEW_STARS_MIN)
    return [cutoff, cutoff, float(params.REVIEW_STARS_MIN), span, cutoff]


def _from_ledger(scope: str) -> str:
    """The events of the subjects in scope (on alias e), those reversed by a reversal of their subject left out."""
    return f"""FROM credit_creditevent e
        WHERE {scope} AND NOT EXISTS (
            SELECT 1 FROM credit_creditevent r
            WHERE r.kind = '{REVERSAL}' AND r.subject_key = e.subject_key
              AND COALESCE(r.reverses_id, NULLIF(r.details->>'reverses', '')::bigint) = e.id
        )"""  # noqa: S608


def install(schema_editor=None) -> None:
    """Create the state table, the trigger and the rows for the current ledger (PostgreSQL; the migration)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (id int PRIMARY KEY CHECK (id = 1), zone text NOT NULL, "
            "epoch date NOT NULL, half_life float8 NOT NULL, day_kinds text[] NOT NULL)"
        )
        cursor.execute(TRIGGER_FUNCTION_SQL)
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON credit_creditevent")
        cursor.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON credit_creditevent REFERENCING NEW TABLE AS added "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
        )
    rebuild()


def uninstall(schema_editor=None) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON credit_creditevent")
        cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
        cursor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")


def _expected_state() -> tuple[str, date, float, list[str]]:
    return _zone(), EPOCH, float(params.HALF_LIFE_DAYS), sorted(str(kind) for kind in params.REVIEW_KINDS)


def installed() -> bool:
    """Whether this database keeps the summary (PostgreSQL with the migration applied)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [STATE_TABLE])
        return bool(cursor.fetchone()[0])


def state_matches() -> bool:
    """Whether the summary is kept with the code's parameters (PostgreSQL with the migration applied)."""
    if not installed():
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT zone, epoch, half_life, day_kinds FROM {STATE_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row is not None and (row[0], row[1], row[2], sorted(row[3] or [])) == _expected_state()


def rebuild(keys: list[str] | None = None) -> None:
    """The summary of every subject (or of the given ones) from the ledger, with the code's parameters.

    Everyone: inserts into the ledger wait for it (the table is locked for this transaction). Some subjects:
    one statement replaces their rows, so a concurrent insert is counted exactly once.
    """
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        if keys is None:
            cursor.execute("LOCK TABLE credit_creditevent IN SHARE ROW EXCLUSIVE MODE")
            zone, epoch, half_life, day_kinds = _expected_state()
            cursor.execute(
                f"INSERT INTO {STATE_TABLE} (id, zone, epoch, half_life, day_kinds) VALUES (1, %s, %s, %s, %s) "  # noqa: S608
                "ON CONFLICT (id) DO UPDATE SET zone = EXCLUDED.zone, epoch = EXCLUDED.epoch, "
                "half_life = EXCLUDED.half_life, day_kinds = EXCLUDED.day_kinds",
                [zone, epoch, half_life, day_kinds],
            )
            cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (the application's role may not TRUNCATE)
            cursor.execute(_finish_sql(f"days AS ({_days_sql(_from_ledger('true'))})"), _finish_args())
            cursor.execute(f"ANALYZE {TABLE}")
            return
        if keys:
            ctes = (
                f"gone AS (DELETE FROM {TABLE} WHERE subject_key = ANY(%s) RETURNING 1), "  # noqa: S608
                f"days AS ({_days_sql(_from_ledger('e.subject_key = ANY(%s)'))})"
            )
            cursor.execute(_finish_sql(ctes), [keys, keys, *_finish_args()])


def fold() -> tuple[int, int]:
    """Fold the rows appended since the last fold (one per group and subject, review days older than
    FOLD_LAG_DAYS into one row per group); rebuild from the ledger the subjects with a new reversal or a new fact
    of an already folded day. Returns (subjects folded, subjects rebuilt)."""
    if not state_matches():
        return 0, 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT subject_key FROM {TABLE} WHERE subject_key IN (SELECT subject_key FROM {TABLE} WHERE NOT folded) "  # noqa: S608
            "GROUP BY subject_key HAVING bool_or(NOT folded AND kind = %s) "
            "OR min(CASE WHEN NOT folded AND day > %s THEN day END) <= max(through)",
            [REVERSAL, FOLDED_DAYS],
        )
        rebuilt = [key for (key,) in cursor.fetchall()]
        rebuild(rebuilt)
        ctes = f"""todo AS (SELECT DISTINCT subject_key FROM {TABLE} WHERE NOT folded),
            gone AS (DELETE FROM {TABLE} s USING todo WHERE s.subject_key = todo.subject_key RETURNING s.*),
            days AS (
                SELECT subject_key, max(subject_unit_id) AS subject_unit_id, max(subject_user_id) AS subject_user_id,
                       kind, polarity, severity, day, sum(scaled) AS scaled, sum(kept_scaled) AS kept_scaled,
                       sum(broken_scaled) AS broken_scaled, sum(n) AS n, min(first_day) AS first_day,
                       max(last_day) AS last_day, sum(w) AS w, sum(vw) AS vw, max(last_recorded_at) AS last_recorded_at,
                       max(last_occurred_at) AS last_occurred_at
                FROM gone GROUP BY subject_key, kind, polarity, severity, day
            )"""  # noqa: S608
        cursor.execute(_finish_sql(ctes) + " RETURNING subject_key", _finish_args())
        folded = len({key for (key,) in cursor.fetchall()})
    return folded, len(rebuilt)


def _summary_sql(subject: str, scope: str, scope_args: list, as_of: datetime) -> tuple[str, list]:
    """The groups of the subjects in scope, as ledger._grouped_sql's rows, from the summary; then a row
    (subject, NULL kind, ...) per subject to read from the ledger, and one (NULL, 'state') if none can be read."""
    today = timezone.localtime(as_of).date()
    zone, epoch, half_life, day_kinds = _expected_state()
    day_multiplier, day_multiplier_args = _multiplier_sql("d")
    folded_multiplier, folded_multiplier_args = _multiplier_sql("s")
    span = float(params.REVIEW_STARS_MAX - params.REVIEW_STARS_MIN)
    decay = "power(0.5::float8, greatest(%s::date - d.day, 0)::float8 / %s::float8)"
    sql = f"""
        WITH ok AS (
            SELECT 1 FROM {STATE_TABLE} WHERE id = 1 AND zone = %s AND epoch = %s AND half_life = %s
            AND day_kinds = %s::text[]
        ),
        s AS MATERIALIZED (SELECT * FROM {TABLE} s WHERE {scope} AND EXISTS (SELECT 1 FROM ok)),
        g AS (
            SELECT {subject} AS subject, kind, polarity, severity, day, sum(n) AS n, sum(w) AS w, sum(vw) AS vw
            FROM s WHERE day > %s GROUP BY 1, 2, 3, 4, 5
        )
        SELECT {subject}, kind, polarity, severity, %s::float8 * sum(scaled), NULL::float8, 0::float8, 0::float8,
               sum(n)::bigint, min(first_day), max(last_day), 0::float8, 0::float8
        FROM s WHERE day = %s AND kind <> %s GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT subject, kind, polarity, severity, sum(eff), 1::float8, coalesce(sum(kept), 0),
               coalesce(sum(broken), 0), sum(n)::bigint, min(first_day), max(last_day), sum(w)::float8,
               sum(vw)::float8
        FROM (
            SELECT subject, kind, polarity, severity, eff, eff * share AS kept, eff * (1.0::float8 - share) AS broken,
                   n, day AS first_day, day AS last_day, w, vw
            FROM (
                SELECT d.*, d.w::float8 * {day_multiplier} * {decay} AS eff,
                       CASE WHEN d.w > 0
                            THEN least(greatest((d.vw::float8 / d.w::float8 - %s::float8) / %s::float8, 0.0), 1.0)
                       END AS share
                FROM g d
            ) r
            UNION ALL
            SELECT {subject}, kind, polarity, severity, {folded_multiplier} * %s::float8 * scaled,
                   {folded_multiplier} * %s::float8 * kept_scaled, {folded_multiplier} * %s::float8 * broken_scaled,
                   n, first_day, last_day, w, vw
            FROM s WHERE day = %s
        ) x
        GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT {subject}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM s GROUP BY 1
        HAVING max(last_recorded_at) > %s OR max(last_occurred_at) > %s OR bool_or(kind = %s AND NOT folded)
            OR min(CASE WHEN NOT folded AND day > %s THEN day END) <= max(through)
        UNION ALL
        SELECT NULL, 'state', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        WHERE NOT EXISTS (SELECT 1 FROM ok)
    """  # noqa: S608 (our own table names, parameters' CASE and fixed fragments; values bound)
    factor = 0.5 ** ((today - epoch).days / half_life)
    args = [
        zone, epoch, half_life, day_kinds, *scope_args, FOLDED_DAYS, factor, ALL_DAYS, REVERSAL,
        *day_multiplier_args, today, half_life, float(params.REVIEW_STARS_MIN), span,
        *folded_multiplier_args, factor, *folded_multiplier_args, factor, *folded_multiplier_args, factor, FOLDED_DAYS,
        as_of, as_of, REVERSAL, FOLDED_DAYS,
    ]  # fmt: skip
    return sql, args


class SummaryUnavailableError(Exception):
    """The summary is not kept with the code's parameters: read the ledger."""


def summary_groups(
    keys: list[str], as_of: datetime, id_range: tuple[str, int, int] | None = None
) -> tuple[dict[str, list[Group]], list[str]]:
    """The groups of a few subjects (by key) or of a batch (by id range) from the summary, and the subjects
    (among those with rows) to read from the ledger instead. Raises SummaryUnavailableError."""
    if id_range is not None:
        phase, first, last = id_range
        column = "subject_unit_id" if phase == "unit" else "subject_user_id"
        sql, args = _summary_sql(f"s.{column}", f"s.{column} BETWEEN %s AND %s", [first, last], as_of)
        prefix = f"{phase}:"

        def key_of(subject):
            return prefix + str(subject)
    else:
        sql, args = _summary_sql("s.subject_key", "s.subject_key = ANY(%s)", [keys], as_of)
        key_of = str
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    groups: dict[str, list[Group]] = defaultdict(list)
    stale: list[str] = []
    multipliers = params.KIND_MULTIPLIERS
    for subject, kind, polarity, severity, eff, applied, kept, broken, n, first_day, last_day, w, vw in rows:
        if kind is None:
            stale.append(key_of(subject))
            continue
        if subject is None:
            raise SummaryUnavailableError
        if applied is None:
            eff = eff * multipliers.get(kind, 1.0)
        groups[key_of(subject)].append(
            Group(kind, polarity, severity, eff, kept, broken, n, first_day, last_day, w, vw)
        )
    for key in stale:
        groups.pop(key, None)
    return groups, stale
