"""Machine hours and money per instrument: the set-based building blocks of every analytics figure.

How hours are counted (the national evaluation counts machine hours from use records):
- only completed bookings count;
- a booking's use runs from check-in to check-out when both were recorded, else over the booked
  slot (a provider completing a service nobody checked in to);
- its hours are the recorded actual hours (measured at check-out, or given by the provider),
  spread evenly over that span, and only the part of the span inside the query window counts,
  so a booking across midnight or across the window boundary is split exactly;
- income is what was charged (billing's charges, issue 15): every charge line of the instrument
  incurred in the window (use, no-show and late-cancellation fees, adjustments, and forfeited
  deposits set against them), internal when the paying unit is the provider itself; a charge is
  not split across windows (it counts where it was incurred, at check-out);
- external service: the requesting unit is not the instrument's own unit (no unit counts as
  external).
Hours open for booking come from the instrument's weekly opening hours (bookings app) minus its
blackouts; an instrument without opening hours counts as open 8 hours on working days
(Monday to Friday 09:00-17:00 local time), which is what the 800-hour norm assumes.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, DateTimeField, F, FloatField, Func, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.utils import timezone

from billing.selectors import income_by_instrument
from bookings.availability import Interval, intersect, merge, open_intervals
from bookings.models import Blackout, Booking, BookingState, OpeningHours
from instruments.models import Instrument

from .. import indicators
from ..windows import Window

if TYPE_CHECKING:
    from django.db.models.expressions import CombinedExpression

DEFAULT_WEEK = tuple((weekday, time(9), time(17)) for weekday in range(5))


# --- SQL building blocks ----------------------------------------------------------------------


class SecondsBetween(Func):
    """Seconds from the second timestamp to the first, as a float, on PostgreSQL and SQLite."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = f"EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))::double precision"
        else:  # SQLite stores UTC text; julianday() reads it with fractional seconds.
            sql = f"((julianday({end_sql}) - julianday({start_sql})) * 86400.0)"
        return sql, (*end_params, *start_params)


def _moment(value: datetime) -> Value:
    return Value(value, output_field=DateTimeField())


# Use was measured when both check-in and check-out were recorded (in that order).
MEASURED = Q(checked_in_at__isnull=False, checked_out_at__isnull=False, checked_out_at__gt=F("checked_in_at"))
SPAN_START = Case(When(MEASURED, then=F("checked_in_at")), default=F("start"), output_field=DateTimeField())
SPAN_END = Case(When(MEASURED, then=F("checked_out_at")), default=F("end"), output_field=DateTimeField())
INTERNAL = Q(requester_unit_id=F("instrument__unit_id"))
# A check-in opens at most this long before the start: bounds the indexed scan on `start`.
EARLY_CHECK_IN_BOUND = timedelta(days=1)


def _share_inside(window: Window):
    """The fraction of a booking's use span that lies inside the window (0..1, for rows that meet it)."""
    inside = SecondsBetween(Least(SPAN_END, _moment(window.end)), Greatest(SPAN_START, _moment(window.start)))
    return inside / SecondsBetween(SPAN_END, SPAN_START)


def _hours_total():
    """The booking's recorded hours, or the length of its span when none were recorded."""
    return Coalesce(Cast("actual_hours", FloatField()), SecondsBetween(SPAN_END, SPAN_START) / Value(3600.0))


def hours_inside(window: Window) -> CombinedExpression:
    """Per booking: the hours of its use that fall inside the window."""
    return _share_inside(window) * _hours_total()


def bookings_of(instruments: QuerySet[Instrument], ids: list[int] | None = None) -> QuerySet[Booking]:
    """The instruments' bookings: by their ids when known (index probes), else through a subquery."""
    if ids is not None:
        return Booking.objects.filter(instrument_id__in=ids)
    return Booking.objects.filter(instrument__in=instruments.values("pk"))


def completed_in_window(window: Window, bookings: QuerySet[Booking] | None = None) -> QuerySet[Booking]:
    """Completed bookings whose use span meets the window (the rows the hours are summed over)."""
    bookings = Booking.objects.all() if bookings is None else bookings
    return (
        bookings.filter(state=BookingState.COMPLETED, start__lt=window.end + EARLY_CHECK_IN_BOUND)
        .alias(span_start=SPAN_START, span_end=SPAN_END)
        .filter(span_start__lt=window.end, span_end__gt=window.start)
        .order_by()
    )


def _usage_aggregates(window: Window) -> dict:
    """Conditional sums over `completed_in_window` rows: hours split internal/external."""
    zero = Value(0.0)
    hours_ = hours_inside(window)
    return {
        "effective": Coalesce(Sum(hours_), zero),
        "internal": Coalesce(Sum(Case(When(INTERNAL, then=hours_), default=zero)), zero),
        "bookings": Count("id"),
    }


# --- Usage figures ----------------------------------------------------------------------------


@dataclass
class Usage:
    """Hours and money of one instrument (or a group of them) over one window."""

    effective_hours: float = 0.0
    internal_hours: float = 0.0
    internal_income: Decimal = Decimal("0.00")
    external_income: Decimal = Decimal("0.00")
    bookings: int = 0
    open_hours: float = 0.0
    original_value: Decimal = Decimal("0.00")

    @property
    def external_hours(self) -> float:
        return indicators.hours(self.effective_hours - self.internal_hours)

    @property
    def income(self) -> Decimal:
        return self.internal_income + self.external_income

    @property
    def utilisation(self) -> float | None:
        return indicators.ratio(self.effective_hours, self.open_hours)

    def add(self, other: Usage) -> None:
        self.effective_hours += other.effective_hours
        self.internal_hours += other.internal_hours
        self.internal_income += other.internal_income
        self.external_income += other.external_income
        self.bookings += other.bookings
        self.open_hours += other.open_hours
        self.original_value += other.original_value

    def as_dict(self, window: Window) -> dict:
        effective = indicators.hours(self.effective_hours)
        internal = indicators.hours(self.internal_hours)
        external = self.external_hours
        return {
            "effective_hours": effective,
            "internal_hours": internal,
            "external_hours": external,
            "sharing_rate": indicators.sharing_rate(external_hours=external, effective_hours=effective),
            "combined_sharing_rate": indicators.combined_sharing_rate(
                internal_hours=internal, external_hours=external, effective_hours=effective
            ),
            "internal_income": str(self.internal_income),
            "external_income": str(self.external_income),
            "income": str(self.income),
            "original_value": str(self.original_value),
            "income_rate": indicators.income_rate(
                internal_income=self.internal_income,
                external_income=self.external_income,
                original_value=self.original_value,
            ),
            "open_hours": indicators.hours(self.open_hours),
            "utilisation": self.utilisation,
            "bookings_counted": self.bookings,
        }


def _usage_from_row(row: Mapping[str, Any]) -> Usage:
    return Usage(
        effective_hours=float(row["effective"]),
        internal_hours=float(row["internal"]),
        bookings=row["bookings"],
    )


def _with_income(usage: dict[int, Usage], income: dict[int, dict]) -> dict[int, Usage]:
    """Add charged income to hours (keys with income but no hours, e.g. only no-show fees, too)."""
    for key, money in income.items():
        used = usage.setdefault(key, Usage())
        used.internal_income = indicators.money(money["internal"])
        used.external_income = indicators.money(money["external"])
    return usage


def usage_by_instrument(window: Window, instruments: QuerySet[Instrument]) -> dict[int, Usage]:
    """Two grouped queries: hours (bookings) and charged income (billing) per instrument inside the window."""
    rows = (
        completed_in_window(window, Booking.objects.filter(instrument__in=instruments.values("pk")))
        .values("instrument_id")
        .annotate(**_usage_aggregates(window))
    )
    usage = {row["instrument_id"]: _usage_from_row(row) for row in rows}
    return _with_income(usage, income_by_instrument(start=window.start, end=window.end, instruments=instruments))


def usage_by_instrument_windows(
    windows: Sequence[Window], instruments: QuerySet[Instrument], ids: list[int] | None = None, internal: Q = INTERNAL
) -> list[dict[int, Usage]]:
    """Hours per instrument in each of several windows, from ONE grouped query (no income: add it with
    `_with_income` for the windows that need it). Each window's figures equal usage_by_instrument's hours.

    `ids`: the instruments' ids when the caller has them (an index probe per instrument instead of a join
    with a subquery, which PostgreSQL answers by scanning every instrument); `internal`: INTERNAL, or for
    instruments of one unit `Q(requester_unit_id=<that unit>)`, the same rows without a join to instruments."""
    zero = Value(0.0)
    whole = Window(min(w.start for w in windows), max(w.end for w in windows))
    aggregates: dict[str, Any] = {}
    for n, w in enumerate(windows):
        meets = Q(start__lt=w.end + EARLY_CHECK_IN_BOUND, span_start__lt=w.end, span_end__gt=w.start)
        hours_ = hours_inside(w)
        aggregates[f"effective{n}"] = Coalesce(Sum(Case(When(meets, then=hours_), default=zero)), zero)
        aggregates[f"internal{n}"] = Coalesce(Sum(Case(When(meets & internal, then=hours_), default=zero)), zero)
        aggregates[f"bookings{n}"] = Count("id", filter=meets)
    rows: Iterable[Mapping[str, Any]] = (
        completed_in_window(whole, bookings_of(instruments, ids)).values("instrument_id").annotate(**aggregates)
    )
    found: list[dict[int, Usage]] = [{} for _ in windows]
    for row in rows:
        for n, usage in enumerate(found):
            if row[f"bookings{n}"]:
                usage[row["instrument_id"]] = Usage(
                    effective_hours=float(row[f"effective{n}"]),
                    internal_hours=float(row[f"internal{n}"]),
                    bookings=row[f"bookings{n}"],
                )
    return found


@functools.lru_cache(maxsize=256)
def _open_intervals_laid_out(pattern: tuple, start: datetime, end: datetime, tz) -> tuple[Interval, ...]:
    return tuple(open_intervals(pattern, start, end, tz))


def open_intervals_of_window(pattern: tuple, window: Window, tz: tzinfo) -> list[Interval]:
    """`open_intervals(pattern, window.start, window.end, tz)`, its whole days laid out once per process.

    A year's window is ~365 days of Python datetimes per weekly pattern (milliseconds, on every report); a
    window ending now (the current year) differs from the last call's only after its last local midnight, so
    the days before it are kept (`_open_intervals_laid_out`, by pattern, bounds and zone) and only that last
    stretch is laid out again. The two lists meet at midnight: an opening across it is split in two adjacent
    intervals, the same hours."""
    cut = datetime.combine(timezone.localtime(window.end, tz).date(), time(0)).replace(tzinfo=tz)
    if not window.start < cut < window.end:
        return list(_open_intervals_laid_out(pattern, window.start, window.end, tz))
    return [*_open_intervals_laid_out(pattern, window.start, cut, tz), *open_intervals(pattern, cut, window.end, tz)]


def open_hours_by_instrument(window: Window, instruments: QuerySet[Instrument]) -> dict[int, float]:
    """Hours each instrument was open for booking inside the window (three queries)."""
    return open_hours_by_instrument_windows([window], instruments)[0]


def open_hours_by_instrument_windows(
    windows: Sequence[Window], instruments: QuerySet[Instrument], ids: list[int] | None = None
) -> list[dict[int, float]]:
    """Hours each instrument was open for booking inside each window: opening hours and blackouts read once
    (two queries, three without `ids`, the instruments' ids when the caller has them).

    Weekly patterns are shared by many instruments, so each distinct pattern is laid out once per window.
    """
    tz = timezone.get_current_timezone()
    if ids is None:
        ids = list(instruments.values_list("pk", flat=True).order_by())
    whole = Window(min(w.start for w in windows), max(w.end for w in windows))
    weeks: dict[int, list[tuple]] = defaultdict(list)
    for instrument_id, weekday, opens, closes in OpeningHours.objects.filter(instrument_id__in=ids).values_list(
        "instrument_id", "weekday", "opens", "closes"
    ):
        weeks[instrument_id].append((weekday, opens, closes))
    blackouts: dict[int, list[Interval]] = defaultdict(list)
    for instrument_id, start, end in Blackout.objects.filter(
        instrument_id__in=ids, start__lt=whole.end, end__gt=whole.start
    ).values_list("instrument_id", "start", "end"):
        blackouts[instrument_id].append((start, end))

    def seconds(intervals: list[Interval]) -> float:
        return sum((end - start).total_seconds() for start, end in intervals)

    found_all: list[dict[int, float]] = []
    for window in windows:
        laid_out: dict[tuple, list[Interval]] = {}

        def intervals_for(pattern: tuple, window: Window = window, laid_out: dict = laid_out) -> list[Interval]:
            if pattern not in laid_out:
                laid_out[pattern] = open_intervals_of_window(pattern, window, tz)
            return laid_out[pattern]

        totals: dict[tuple, float] = {}
        found: dict[int, float] = {}
        for instrument_id in ids:
            pattern = tuple(sorted(weeks.get(instrument_id) or DEFAULT_WEEK))
            if pattern not in totals:
                totals[pattern] = seconds(intervals_for(pattern))
            open_seconds = totals[pattern]
            if instrument_id in blackouts:
                open_seconds -= seconds(intersect(intervals_for(pattern), merge(blackouts[instrument_id])))
            found[instrument_id] = open_seconds / 3600
        found_all.append(found)
    return found_all


def instrument_hours(*, instrument: Instrument, window: Window) -> dict:
    """Machine hours of one instrument in the window, with rates, utilisation and the reference points."""
    instruments = Instrument.objects.filter(pk=instrument.pk)
    usage = usage_by_instrument(window, instruments).get(instrument.pk, Usage())
    usage.open_hours = open_hours_by_instrument(window, instruments).get(instrument.pk, 0.0)
    usage.original_value = instrument.original_value
    figures = usage.as_dict(window)
    figures["benchmarks"] = indicators.benchmarks(
        effective_hours_per_year=indicators.annualised(usage.effective_hours, window_days=window.days),
        external_hours_per_year=indicators.annualised(usage.external_hours, window_days=window.days),
    )
    return figures
