"""One unit's hours, income and people served, in hand-written SQL (issue 14.6, fifth pass): the unit evaluation's
three grouped queries without the ORM.

The ORM forms of the same figures (`usage.usage_by_instrument_windows`, `usage.completed_in_window` with its
aggregate, billing's `income_by_instrument`) are the definition; these give the same numbers
(tests/analytics/test_unit_usage_sql.py compares them on PostgreSQL and SQLite). Why they exist: building those
expressions (a use span per booking, its share inside each window, conditional sums per window) cost the
evaluation ~30 ms of Python per call in Django's query compiler, for ~2 ms of SQL, whatever the unit's size:
most of a report at the smaller scales.

Counting rules (usage.py's module docstring): completed bookings; the use span is check-in to check-out when
both were recorded in order, else the booked slot; a booking's hours (recorded, else the span's length) are
spread evenly over its span and only the part inside the window counts; internal: the requesting unit is the
instrument's own unit (here: the evaluated unit, all instruments being its own); income: every charge line
incurred in the window, with forfeited deposits set against it, internal when the payer is the provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Context, Decimal

from django.db import connection

from billing.models import Charge
from bookings.models import Booking, BookingState, Review, Side

from ..windows import Window
from .usage import EARLY_CHECK_IN_BOUND, Usage

DECIMAL_READ = Context(prec=15)  # as Django's SQLite backend reads a decimal sum
CENT = Decimal("0.01")
MEASURED_SQL = "(b.checked_in_at IS NOT NULL AND b.checked_out_at IS NOT NULL AND b.checked_out_at > b.checked_in_at)"
SPAN_START_SQL = f"CASE WHEN {MEASURED_SQL} THEN b.checked_in_at ELSE b.start END"
SPAN_END_SQL = f'CASE WHEN {MEASURED_SQL} THEN b.checked_out_at ELSE b."end" END'


def _seconds(end: str, start: str) -> str:
    """Seconds from `start` to `end` as a float (usage.SecondsBetween's SQL)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM (({end}) - ({start})))::double precision"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if connection.vendor == "postgresql" else f"MIN({a}, {b})"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if connection.vendor == "postgresql" else f"MAX({a}, {b})"


def _moment(value):
    return connection.ops.adapt_datetimefield_value(value)


def _completed_meeting(window: Window, ids: Sequence[int]) -> tuple[str, list]:
    """FROM/WHERE of the completed bookings of `ids` whose use span meets the window (usage.completed_in_window)."""
    table = Booking._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"FROM {table} b WHERE b.instrument_id IN ({marks}) AND b.state = %s AND b.start < %s "
        f"AND ({SPAN_START_SQL}) < %s AND ({SPAN_END_SQL}) > %s"
    )
    params = [
        *ids,
        BookingState.COMPLETED.value,
        _moment(window.end + EARLY_CHECK_IN_BOUND),
        _moment(window.end),
        _moment(window.start),
    ]
    return sql, params


def unit_usage_windows(windows: Sequence[Window], ids: Sequence[int], unit_id: int) -> list[dict[int, Usage]]:
    """Hours per instrument of one unit in each window, in one grouped query: what
    `usage_by_instrument_windows(windows, instruments, ids, Q(requester_unit_id=unit_id))` returns."""
    found: list[dict[int, Usage]] = [{} for _ in windows]
    if not ids:
        return found
    span = _seconds(SPAN_END_SQL, SPAN_START_SQL)
    total_hours = f"COALESCE(CAST(b.actual_hours AS {_float_type()}), {span} / 3600.0)"
    columns, params = [], []
    for w in windows:
        meets = f"(b.start < %s AND ({SPAN_START_SQL}) < %s AND ({SPAN_END_SQL}) > %s)"
        meets_params = [_moment(w.end + EARLY_CHECK_IN_BOUND), _moment(w.end), _moment(w.start)]
        inside = _seconds(_least(SPAN_END_SQL, "%s"), _greatest(SPAN_START_SQL, "%s"))
        hours = f"(({inside}) / ({span}) * {total_hours})"
        hours_params = [_moment(w.end), _moment(w.start)]
        columns += [
            f"COALESCE(SUM(CASE WHEN {meets} THEN {hours} ELSE 0.0 END), 0.0)",
            f"COALESCE(SUM(CASE WHEN {meets} AND b.requester_unit_id = %s THEN {hours} ELSE 0.0 END), 0.0)",
            f"COUNT(CASE WHEN {meets} THEN b.id END)",
        ]
        params += [*meets_params, *hours_params, *meets_params, unit_id, *hours_params, *meets_params]
    whole = Window(min(w.start for w in windows), max(w.end for w in windows))
    where, where_params = _completed_meeting(whole, ids)
    sql = f"SELECT b.instrument_id, {', '.join(columns)} {where} GROUP BY b.instrument_id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        rows = cursor.fetchall()
    for instrument_id, *figures in rows:
        for n, usage in enumerate(found):
            effective, internal, bookings = figures[3 * n : 3 * n + 3]
            if bookings:
                usage[instrument_id] = Usage(
                    effective_hours=float(effective), internal_hours=float(internal), bookings=bookings
                )
    return found


def unit_served(window: Window, ids: Sequence[int], unit_id: int) -> dict:
    """People and units served from outside the unit, and the requesters' reviews, over the completed bookings of
    `ids` meeting the window (one query). A booking has at most one review per side (`review_once_per_side`), read
    by a probe of the review's booking index per booking: a join let PostgreSQL hash every review of the platform
    (a sequential scan of the whole table, 40 ms at 1/10 scale)."""
    if not ids:
        return {"users": 0, "units": 0, "average_stars": None, "reviews": 0}
    where, params = _completed_meeting(window, ids)
    external = "(s.requester_unit_id IS NULL OR s.requester_unit_id <> %s)"
    review = f"(SELECT r.stars FROM {Review._meta.db_table} r WHERE r.booking_id = b.id AND r.side = %s)"  # noqa: S608
    sql = (
        f"SELECT COUNT(DISTINCT CASE WHEN {external} THEN s.requester_id END), "  # noqa: S608 (fixed fragments)
        f"COUNT(DISTINCT CASE WHEN {external} THEN s.requester_unit_id END), AVG(s.stars), COUNT(s.stars) "
        f"FROM (SELECT b.requester_id, b.requester_unit_id, {review} AS stars {where}) s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit_id, unit_id, Side.REQUESTER.value, *params])
        users, units, average, reviews = cursor.fetchone()
    return {"users": users, "units": units, "average_stars": average, "reviews": reviews}


def _float_type() -> str:
    return "double precision" if connection.vendor == "postgresql" else "REAL"


def _decimal(value) -> Decimal:
    """A sum of money as the ORM returns it (SQLite sums decimals as floats: read back to 15 digits, as Django)."""
    if isinstance(value, Decimal):
        return value
    return DECIMAL_READ.create_decimal_from_float(float(value or 0)).quantize(CENT)


def unit_income(start: datetime, end: datetime, ids: Sequence[int]) -> dict[int, dict]:
    """Charged money per instrument of `ids` over [start, end), internal (the payer is the provider) and external:
    what billing's `income_by_instrument` returns for those instruments (one query)."""
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    internal = "c.payer_unit_id = c.provider_unit_id"
    sql = (
        "SELECT c.instrument_id, "  # noqa: S608 (fixed fragments and our own table's name)
        f"COALESCE(SUM(CASE WHEN {internal} THEN c.amount END), 0) "
        f"+ COALESCE(SUM(CASE WHEN {internal} THEN c.deposit_applied END), 0), "
        "COALESCE(SUM(c.amount), 0) + COALESCE(SUM(c.deposit_applied), 0) "
        f"FROM {Charge._meta.db_table} c WHERE c.instrument_id IN ({marks}) "
        "AND c.incurred_at >= %s AND c.incurred_at < %s GROUP BY c.instrument_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, _moment(start), _moment(end)])
        rows = cursor.fetchall()
    found = {}
    for instrument_id, internal_money, total in rows:
        internal_money, total = _decimal(internal_money), _decimal(total)
        found[instrument_id] = {"internal": internal_money, "external": total - internal_money}
    return found
