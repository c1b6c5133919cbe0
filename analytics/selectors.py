"""Reads of the analytics layer: machine hours, idle instruments, unit evaluations, before-you-buy, dashboard.

Every figure comes from a fixed number of set-based queries (`values().annotate()` with
conditional aggregation), whatever the number of bookings. The bookings tables are read here
directly because the aggregates need their columns; every write stays with the bookings app.

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

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.utils import timezone

from billing.selectors import income_by_instrument, income_by_provider
from bookings.availability import Interval, intersect, merge, open_intervals, slots
from bookings.models import Blackout, Booking, BookingPolicy, BookingState, OpeningHours, Review, Side
from credit.selectors import credit_standing_for_unit, list_entries_for_moderation
from instruments.filters import InstrumentFilter
from instruments.models import Instrument, InstrumentCategory, Membership, Unit

from . import indicators
from .windows import Window, local_midnight, window_last_days, year_window

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models.expressions import CombinedExpression

DEFAULT_WEEK = tuple((weekday, time(9), time(17)) for weekday in range(5))
IDLE_DEFAULT_DAYS = 90
IDLE_DEFAULT_THRESHOLD = 0.1
FREE_SLOT_HORIZON_DAYS = 14
FREE_SLOTS_SHOWN = 3
FREE_SLOT_MIN = timedelta(hours=1)
BEFORE_YOU_BUY_LIMIT = 20


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


def open_hours_by_instrument(window: Window, instruments: QuerySet[Instrument]) -> dict[int, float]:
    """Hours each instrument was open for booking inside the window (two queries).

    Weekly patterns are shared by many instruments, so each distinct pattern is laid out once.
    """
    tz = timezone.get_current_timezone()
    ids = instruments.values("pk")
    weeks: dict[int, list[tuple]] = defaultdict(list)
    for instrument_id, weekday, opens, closes in OpeningHours.objects.filter(instrument__in=ids).values_list(
        "instrument_id", "weekday", "opens", "closes"
    ):
        weeks[instrument_id].append((weekday, opens, closes))
    blackouts: dict[int, list[Interval]] = defaultdict(list)
    for instrument_id, start, end in Blackout.objects.filter(
        instrument__in=ids, start__lt=window.end, end__gt=window.start
    ).values_list("instrument_id", "start", "end"):
        blackouts[instrument_id].append((start, end))

    laid_out: dict[tuple, list[Interval]] = {}

    def intervals_for(pattern: tuple) -> list[Interval]:
        if pattern not in laid_out:
            laid_out[pattern] = open_intervals(pattern, window.start, window.end, tz)
        return laid_out[pattern]

    def seconds(intervals: list[Interval]) -> float:
        return sum((end - start).total_seconds() for start, end in intervals)

    totals: dict[tuple, float] = {}
    found: dict[int, float] = {}
    for instrument_id in instruments.values_list("pk", flat=True).order_by():
        pattern = tuple(sorted(weeks.get(instrument_id) or DEFAULT_WEEK))
        if pattern not in totals:
            totals[pattern] = seconds(intervals_for(pattern))
        open_seconds = totals[pattern]
        if instrument_id in blackouts:
            open_seconds -= seconds(intersect(intervals_for(pattern), merge(blackouts[instrument_id])))
        found[instrument_id] = open_seconds / 3600
    return found


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


# --- Idle instruments -------------------------------------------------------------------------


@dataclass(frozen=True)
class IdleInstrument:
    id: int
    name: str
    asset_number: str
    unit_id: int
    unit_name: str
    category_id: int
    category_name: str
    original_value: Decimal
    status: str
    listed_at: datetime
    effective_hours: float
    open_hours: float
    utilisation: float | None


@dataclass
class IdleGroup:
    id: int
    name: str
    instruments: int = 0
    original_value: Decimal = Decimal("0.00")


@dataclass
class IdleReport:
    window: Window
    threshold: float
    instruments: list[IdleInstrument]
    by_unit: list[IdleGroup] = field(default_factory=list)
    by_category: list[IdleGroup] = field(default_factory=list)

    @property
    def total_value(self) -> Decimal:
        return sum((row.original_value for row in self.instruments), Decimal("0.00"))


def _largest_first(group: IdleGroup) -> tuple:
    return (-group.original_value, group.name)


def idle_scope_for(user: User) -> QuerySet[Unit] | None:
    """Units whose idle instruments a user may see: all (None) for platform admins, else the units they manage."""
    if user.is_authenticated and user.is_staff:
        return None
    return Unit.objects.filter(
        memberships__user=user, memberships__role__in=[Membership.Role.MANAGER, Membership.Role.ADMIN]
    )


def idle_instruments(
    *,
    days: int = IDLE_DEFAULT_DAYS,
    threshold: float = IDLE_DEFAULT_THRESHOLD,
    units: QuerySet[Unit] | None = None,
    now: datetime | None = None,
) -> IdleReport:
    """Listed instruments used under `threshold` of their open hours over the last `days` (six queries).

    Sorted by value, most expensive first: where the most money lies idle.
    """
    window = window_last_days(days, now=now)
    instruments = Instrument.objects.active()
    if units is not None:
        instruments = instruments.filter(unit__in=units)
    usage = usage_by_instrument(window, instruments)
    open_hours = open_hours_by_instrument(window, instruments)
    rows = instruments.select_related("unit", "category").order_by("-original_value", "id")
    idle: list[IdleInstrument] = []
    by_unit: dict[int, IdleGroup] = {}
    by_category: dict[int, IdleGroup] = {}
    for instrument in rows:
        used = usage.get(instrument.pk, Usage())
        opened = open_hours.get(instrument.pk, 0.0)
        utilisation = indicators.ratio(used.effective_hours, opened)
        if utilisation is not None and utilisation >= threshold:
            continue
        idle.append(
            IdleInstrument(
                id=instrument.pk,
                name=instrument.display_name,
                asset_number=instrument.asset_number,
                unit_id=instrument.unit_id,
                unit_name=instrument.unit.display_name,
                category_id=instrument.category_id,
                category_name=instrument.category.name,
                original_value=instrument.original_value,
                status=instrument.status,
                listed_at=instrument.created_at,
                effective_hours=indicators.hours(used.effective_hours),
                open_hours=indicators.hours(opened),
                utilisation=utilisation,
            )
        )
        for groups, key, name in (
            (by_unit, instrument.unit_id, instrument.unit.display_name),
            (by_category, instrument.category_id, instrument.category.name),
        ):
            group = groups.setdefault(key, IdleGroup(id=key, name=name))
            group.instruments += 1
            group.original_value += instrument.original_value
    return IdleReport(
        window=window,
        threshold=threshold,
        instruments=idle,
        by_unit=sorted(by_unit.values(), key=_largest_first),
        by_category=sorted(by_category.values(), key=_largest_first),
    )


# --- Unit evaluation --------------------------------------------------------------------------


def _evaluated_instruments(year_window_: Window, min_value: Decimal) -> QuerySet[Instrument]:
    """Instruments in service during the year: bought before its end, not retired before its start."""
    return Instrument.objects.filter(
        Q(retired_at__isnull=True) | Q(retired_at__gte=year_window_.start),
        Q(purchase_date__isnull=True) | Q(purchase_date__lt=timezone.localtime(year_window_.end).date()),
        original_value__gte=min_value,
    )


def _effective_window(year: int, now: datetime) -> tuple[Window, bool]:
    """The year, cut at now when it is not over yet (then figures are annualised)."""
    full = year_window(year)
    if now < full.end:
        return Window(full.start, max(now, full.start + timedelta(hours=1))), True
    return full, False


def _unit_summary(usage: Usage, *, instruments: int, window: Window) -> dict:
    avg_effective = usage.effective_hours / instruments if instruments else 0.0
    avg_external = usage.external_hours / instruments if instruments else 0.0
    return {
        "instruments": instruments,
        "avg_effective_hours_per_year": indicators.annualised(avg_effective, window_days=window.days),
        "avg_external_hours_per_year": indicators.annualised(avg_external, window_days=window.days),
    }


def unit_evaluation(*, unit: Unit, year: int, min_value: Decimal = Decimal("0"), now: datetime | None = None) -> dict:
    """The yearly evaluation of one unit, shaped like the national indicators, with the platform median."""
    now = now or timezone.now()
    window, partial = _effective_window(year, now)
    scope = _evaluated_instruments(year_window(year), min_value)
    own = scope.filter(unit=unit)
    instruments = list(own.select_related("category").order_by("-original_value", "id"))
    usage = usage_by_instrument(window, own)
    open_hours = open_hours_by_instrument(window, own)

    total = Usage()
    per_instrument = []
    meeting_norm = 0
    idle_now = 0
    for instrument in instruments:
        used = usage.get(instrument.pk, Usage())
        used.open_hours = open_hours.get(instrument.pk, 0.0)
        used.original_value = instrument.original_value
        total.add(used)
        per_year = indicators.annualised(used.effective_hours, window_days=window.days)
        meeting_norm += per_year >= indicators.NORM_HOURS_PER_YEAR
        utilisation = used.utilisation
        idle_now += utilisation is None or utilisation < IDLE_DEFAULT_THRESHOLD
        per_instrument.append(
            {
                "id": instrument.pk,
                "name": instrument.display_name,
                "asset_number": instrument.asset_number,
                "category": instrument.category.name,
                **used.as_dict(window),
                "effective_hours_per_year": per_year,
            }
        )

    # Idle instruments reused: under the idle threshold the year before, at or over it this year. Only the
    # instruments at or over it this year can count, so only their previous year is read.
    previous = year_window(year - 1)
    busy = [row["id"] for row in per_instrument if (row["utilisation"] or 0) >= IDLE_DEFAULT_THRESHOLD]
    previous_usage = usage_by_instrument(previous, own.filter(pk__in=busy)) if busy else {}
    previous_open = open_hours_by_instrument(previous, own.filter(pk__in=busy)) if busy else {}
    reused = 0
    for row in per_instrument:
        before = indicators.ratio(
            previous_usage.get(row["id"], Usage()).effective_hours, previous_open.get(row["id"], 0.0)
        )
        was_idle = before is None or before < IDLE_DEFAULT_THRESHOLD
        reused += was_idle and row["utilisation"] is not None and row["utilisation"] >= IDLE_DEFAULT_THRESHOLD

    # People and units served from outside, and the requesters' reviews of all counted bookings: one query
    # (a booking has at most one review per side, so the join does not repeat a requester's review).
    served_bookings = completed_in_window(window, Booking.objects.filter(instrument__in=own.values("pk")))
    requester_review = Q(reviews__side=Side.REQUESTER)
    served = served_bookings.aggregate(
        users=Count("requester_id", distinct=True, filter=~INTERNAL),
        units=Count("requester_unit_id", distinct=True, filter=~INTERNAL),
        average_stars=Avg("reviews__stars", filter=requester_review),
        reviews=Count("reviews__id", filter=requester_review),
    )
    average = served["average_stars"]
    reviews = {"average_stars": round(float(average), 2) if average is not None else None, "reviews": served["reviews"]}
    standing = credit_standing_for_unit(unit)
    summary = _unit_summary(total, instruments=len(instruments), window=window)
    grade = (
        indicators.grade_propose(
            avg_effective_hours_per_year=summary["avg_effective_hours_per_year"],
            avg_external_hours_per_year=summary["avg_external_hours_per_year"],
            average_stars=reviews["average_stars"],
            credit_tier=standing.tier,
        )
        if instruments
        else None
    )
    figures = total.as_dict(window)
    return {
        "unit": {"id": unit.pk, "name": unit.display_name, "credit_code": unit.credit_code},
        "year": year,
        "window": {"start": timezone.localtime(window.start), "end": timezone.localtime(window.end)},
        "partial_year": partial,
        "min_value": str(min_value),
        "organisation": {
            "instruments": len(instruments),
            "original_value": figures["original_value"],
            "credit_score": standing.score,
            "credit_tier": standing.tier,
            "idle_instruments": idle_now,
        },
        "operation": {
            "effective_hours": figures["effective_hours"],
            "avg_effective_hours_per_year": summary["avg_effective_hours_per_year"],
            "open_hours": figures["open_hours"],
            "utilisation": figures["utilisation"],
            "instruments_meeting_norm": meeting_norm,
            "income": figures["income"],
            "internal_income": figures["internal_income"],
            "external_income": figures["external_income"],
            "income_rate": figures["income_rate"],
            "bookings_counted": figures["bookings_counted"],
        },
        "sharing": {
            "external_hours": figures["external_hours"],
            "avg_external_hours_per_year": summary["avg_external_hours_per_year"],
            "sharing_rate": figures["sharing_rate"],
            "combined_sharing_rate": figures["combined_sharing_rate"],
            "external_users_served": served["users"],
            "external_units_served": served["units"],
            "idle_instruments_reused": reused,
            "average_stars": reviews["average_stars"],
            "reviews": reviews["reviews"],
        },
        "benchmarks": indicators.benchmarks(
            effective_hours_per_year=summary["avg_effective_hours_per_year"],
            external_hours_per_year=summary["avg_external_hours_per_year"],
        ),
        "grade": grade.as_dict() if grade else None,
        "platform_median": platform_medians_cached(window=window, scope=scope, min_value=min_value, partial=partial),
        "instruments": per_instrument,
    }


MEDIAN_FIGURES = (
    "avg_effective_hours_per_year",
    "avg_external_hours_per_year",
    "sharing_rate",
    "income_rate",
    "average_stars",
    "score",
)


def platform_medians_cached(*, window: Window, scope: QuerySet[Instrument], min_value: Decimal, partial: bool) -> dict:
    """platform_medians() through the shared cache (issue 14.6): the median unit is the same for every unit's
    report, and computing it reads the whole platform's year (seconds at national scale), while the rest of a
    report reads one unit. Kept `ANALYTICS_MEDIAN_CACHE_SECONDS` (default an hour; 0 turns it off); for the
    current year the window's end is taken to the hour, so a median is at most an hour old."""
    seconds = int(getattr(settings, "ANALYTICS_MEDIAN_CACHE_SECONDS", 3600))
    if seconds <= 0:
        return platform_medians(window=window, scope=scope)
    end = window.end.replace(minute=0, second=0, microsecond=0) if partial else window.end
    key = f"analytics:platform-medians:{window.start.isoformat()}:{end.isoformat()}:{min_value}"
    found = cache.get(key)
    if found is None:
        found = platform_medians(window=window, scope=scope)
        cache.set(key, found, seconds)
    return found


def platform_medians(*, window: Window, scope: QuerySet[Instrument]) -> dict:
    """The median unit on the platform (units with instruments in scope), by the same indicators (6 queries)."""
    per_unit_usage = {
        row["instrument__unit_id"]: _usage_from_row(row)
        for row in completed_in_window(window, Booking.objects.filter(instrument__in=scope.values("pk")))
        .values("instrument__unit_id")
        .annotate(**_usage_aggregates(window))
    }
    _with_income(per_unit_usage, income_by_provider(start=window.start, end=window.end, instruments=scope))
    units = {
        row["unit_id"]: row
        for row in scope.order_by()
        .values("unit_id")
        .annotate(count=Count("id"), value=Coalesce(Sum("original_value"), Decimal("0")))
    }
    stars = {
        row["booking__instrument__unit_id"]: row["average"]
        for row in Review.objects.filter(
            side=Side.REQUESTER,
            booking__in=completed_in_window(window, Booking.objects.filter(instrument__in=scope.values("pk"))).values(
                "pk"
            ),
        )
        .values("booking__instrument__unit_id")
        .annotate(average=Avg("stars"))
        .order_by()
    }
    tiers = dict(Unit.objects.filter(pk__in=list(units)).values_list("pk", "credit_tier"))
    columns: dict[str, list] = defaultdict(list)
    for unit_id, row in units.items():
        used = per_unit_usage.get(unit_id, Usage())
        used.original_value = row["value"]
        summary = _unit_summary(used, instruments=row["count"], window=window)
        figures = used.as_dict(window)
        average = float(stars[unit_id]) if stars.get(unit_id) is not None else None
        columns["avg_effective_hours_per_year"].append(summary["avg_effective_hours_per_year"])
        columns["avg_external_hours_per_year"].append(summary["avg_external_hours_per_year"])
        columns["sharing_rate"].append(figures["sharing_rate"])
        columns["income_rate"].append(figures["income_rate"])
        columns["average_stars"].append(average)
        columns["score"].append(
            indicators.grade_propose(
                avg_effective_hours_per_year=summary["avg_effective_hours_per_year"],
                avg_external_hours_per_year=summary["avg_external_hours_per_year"],
                average_stars=average,
                credit_tier=tiers.get(unit_id, ""),
            ).score
        )
    # Every figure, null when no unit has it (a platform without instruments in scope).
    medians = {name: indicators.median_or_none(columns[name]) for name in MEDIAN_FIGURES}
    medians["units"] = len(units)
    return medians


# --- Before you buy ---------------------------------------------------------------------------


def before_you_buy_filter(params: dict) -> InstrumentFilter:
    """The catalogue's FilterSet (category and region include their children; q searches the text)."""
    data = {key: params.get(key) for key in ("category", "region", "q") if params.get(key)}
    return InstrumentFilter(data, queryset=Instrument.objects.active())


def before_you_buy(
    *, instruments: QuerySet[Instrument], now: datetime | None = None, limit: int = BEFORE_YOU_BUY_LIMIT
) -> dict:
    """Instruments that already exist, least used first, with utilisation and the nearest free slots.

    A fixed number of queries: usage and open hours of all matches, then the page's instruments,
    and their bookings, blackouts, opening hours and policies for the next two weeks.
    """
    now = now or timezone.now()
    window = window_last_days(IDLE_DEFAULT_DAYS, now=now)
    usage = usage_by_instrument(window, instruments)
    open_hours = open_hours_by_instrument(window, instruments)
    totals = instruments.order_by().aggregate(count=Count("id"), value=Coalesce(Sum("original_value"), Decimal("0")))
    utilisation = {
        pk: indicators.ratio(usage.get(pk, Usage()).effective_hours, hours) for pk, hours in open_hours.items()
    }
    chosen = sorted(utilisation, key=lambda pk: (utilisation[pk] if utilisation[pk] is not None else 0.0, pk))[:limit]
    rows = {
        instrument.pk: instrument
        for instrument in Instrument.objects.filter(pk__in=chosen).select_related("unit", "unit__region", "category")
    }
    free = nearest_free_slots(instruments=[rows[pk] for pk in chosen if pk in rows], now=now)
    results = []
    for pk in chosen:
        instrument = rows.get(pk)
        if instrument is None:
            continue
        used = usage.get(pk, Usage())
        results.append(
            {
                "id": pk,
                "name": instrument.display_name,
                "model_number": instrument.model_number,
                "manufacturer": instrument.manufacturer,
                "unit": {"id": instrument.unit_id, "name": instrument.unit.display_name},
                "region": instrument.unit.region.name,
                "category": instrument.category.name,
                "status": instrument.status,
                "original_value": str(instrument.original_value),
                "hourly_rate_external": str(instrument.hourly_rate_external),
                "effective_hours_90d": indicators.hours(used.effective_hours),
                "open_hours_90d": indicators.hours(open_hours.get(pk, 0.0)),
                "utilisation_90d": utilisation[pk],
                "free_slots": free.get(pk, []),
            }
        )
    values = [value for value in utilisation.values() if value is not None]
    return {
        "matches": totals["count"],
        "total_original_value": str(indicators.money(totals["value"])),
        "average_utilisation_90d": round(sum(values) / len(values), 4) if values else None,
        "results": results,
    }


def nearest_free_slots(*, instruments: list[Instrument], now: datetime) -> dict[int, list[dict]]:
    """The first free slots of at least an hour after each instrument's minimum notice (4 queries).

    Reuses the bookings app's pure availability arithmetic on rows fetched in one batch.
    """
    if not instruments:
        return {}
    tz = timezone.get_current_timezone()
    ids = [instrument.pk for instrument in instruments]
    horizon = now + timedelta(days=FREE_SLOT_HORIZON_DAYS)
    taken: dict[int, list[Interval]] = defaultdict(list)
    for instrument_id, start, end in (
        Booking.objects.filter(instrument_id__in=ids)
        .blocking()
        .overlapping(now, horizon)
        .order_by()
        .values_list("instrument_id", "start", "end")
    ):
        taken[instrument_id].append((start, end))
    blackouts: dict[int, list[Interval]] = defaultdict(list)
    for instrument_id, start, end in Blackout.objects.filter(
        instrument_id__in=ids, start__lt=horizon, end__gt=now
    ).values_list("instrument_id", "start", "end"):
        blackouts[instrument_id].append((start, end))
    weeks: dict[int, list[tuple]] = defaultdict(list)
    for instrument_id, weekday, opens, closes in OpeningHours.objects.filter(instrument_id__in=ids).values_list(
        "instrument_id", "weekday", "opens", "closes"
    ):
        weeks[instrument_id].append((weekday, opens, closes))
    notice = dict(BookingPolicy.objects.filter(instrument_id__in=ids).values_list("instrument_id", "min_notice_hours"))
    default_notice = BookingPolicy._meta.get_field("min_notice_hours").default
    found: dict[int, list[dict]] = {}
    for instrument in instruments:
        earliest = now + timedelta(hours=notice.get(instrument.pk, default_notice))
        earliest = earliest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if earliest >= horizon:
            found[instrument.pk] = []
            continue
        labelled = slots(
            start=earliest,
            end=horizon,
            open_=open_intervals(weeks.get(instrument.pk, []), earliest, horizon, tz),
            blackouts=blackouts.get(instrument.pk, []),
            taken=taken.get(instrument.pk, []),
            available=instrument.status == Instrument.Status.AVAILABLE and instrument.unit.is_verified,
        )
        free = [slot for slot in labelled if slot.state == "free" and slot.end - slot.start >= FREE_SLOT_MIN]
        found[instrument.pk] = [
            {"start": timezone.localtime(slot.start), "end": timezone.localtime(slot.end)}
            for slot in free[:FREE_SLOTS_SHOWN]
        ]
    return found


# --- Platform dashboard -----------------------------------------------------------------------


def month_windows(months: int, *, now: datetime | None = None) -> list[Window]:
    """The last `months` local calendar months, oldest first, the current one cut at now."""
    local = timezone.localtime(now or timezone.now())
    first = local.date().replace(day=1)
    starts = []
    for _step in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    starts.reverse()
    windows = []
    for index, start in enumerate(starts):
        end = local_midnight(starts[index + 1]) if index + 1 < len(starts) else (now or timezone.now())
        windows.append(Window(local_midnight(start), end))
    return windows


def _counts_by_month(queryset: QuerySet, field_name: str, windows: list[Window]) -> dict:
    """One query: how many rows fall in each month, and how many came before the first."""
    aggregates = {
        f"m{index}": Count("pk", filter=Q(**{f"{field_name}__gte": w.start, f"{field_name}__lt": w.end}))
        for index, w in enumerate(windows)
    }
    aggregates["before"] = Count("pk", filter=Q(**{f"{field_name}__lt": windows[0].start}))
    return queryset.order_by().aggregate(**aggregates)


def _hours_by_month(windows: list[Window]) -> list[float]:
    """One query: effective hours in each month, each booking split exactly at month boundaries."""
    whole = Window(windows[0].start, windows[-1].end)
    aggregates = {}
    for index, w in enumerate(windows):
        meets = Q(span_start__lt=w.end, span_end__gt=w.start)
        aggregates[f"m{index}"] = Coalesce(Sum(Case(When(meets, then=hours_inside(w)), default=Value(0.0))), Value(0.0))
    row = completed_in_window(whole).aggregate(**aggregates)
    return [indicators.hours(row[f"m{index}"]) for index in range(len(windows))]


def platform_dashboard(*, months: int = 12, now: datetime | None = None) -> dict:
    """Growth of units, instruments, bookings and hours by month; credit tiers; list entries (7 queries)."""
    windows = month_windows(months, now=now)
    units = _counts_by_month(Unit.objects.all(), "created_at", windows)
    instruments = _counts_by_month(Instrument.objects.all(), "created_at", windows)
    bookings = _counts_by_month(Booking.objects.all(), "created_at", windows)
    hours = _hours_by_month(windows)
    entries = list_entries_for_moderation().order_by()
    list_counts = {
        kind: _counts_by_month(entries.filter(list_type=kind), "published_at", windows) for kind in ("red", "black")
    }
    series = []
    total_units, total_instruments = units["before"], instruments["before"]
    for index, w in enumerate(windows):
        total_units += units[f"m{index}"]
        total_instruments += instruments[f"m{index}"]
        series.append(
            {
                "month": timezone.localtime(w.start).strftime("%Y-%m"),
                "new_units": units[f"m{index}"],
                "units_total": total_units,
                "new_instruments": instruments[f"m{index}"],
                "instruments_total": total_instruments,
                "bookings": bookings[f"m{index}"],
                "effective_hours": hours[index],
                "red_list_published": list_counts["red"][f"m{index}"],
                "black_list_published": list_counts["black"][f"m{index}"],
            }
        )
    tiers = {
        row["credit_tier"]: row["count"]
        for row in Unit.objects.filter(status=Unit.Status.VERIFIED)
        .order_by()
        .values("credit_tier")
        .annotate(count=Count("id"))
    }
    tier_order = ("excellent", "good", "fair", "poor", "bad", "")
    return {
        "months": series,
        "credit_tiers": [{"tier": tier or "unscored", "units": tiers.get(tier, 0)} for tier in tier_order],
    }


def category_choices() -> QuerySet[InstrumentCategory]:
    return InstrumentCategory.objects.select_related("parent").order_by("parent__sort_order", "sort_order", "code")
