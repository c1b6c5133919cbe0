"""The yearly evaluation of a unit, shaped like the national indicators, and the platform's median unit."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.selectors import income_by_provider
from bookings.models import Booking, Review, Side
from credit.selectors import credit_standing_for_unit
from instruments.models import Instrument, Unit

from .. import indicators
from ..windows import Window, year_window
from .idle import IDLE_DEFAULT_THRESHOLD
from .unit_usage import unit_income, unit_served, unit_usage_windows
from .usage import (
    Usage,
    _usage_aggregates,
    _usage_from_row,
    _with_income,
    completed_in_window,
    open_hours_by_instrument_windows,
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
    ids = [instrument.pk for instrument in instruments]
    # This year and the year before (for the idle instruments reused) in one query each: hours, open hours.
    previous = year_window(year - 1)
    # Hours in hand-written SQL (unit_usage: the same figures as usage_by_instrument_windows with
    # `Q(requester_unit_id=unit.pk)`, without ~30 ms of the ORM's expression compiling per call).
    usage, previous_usage = unit_usage_windows([window, previous], ids, unit.pk)
    _with_income(usage, unit_income(window.start, window.end, ids))  # billing's income_by_instrument, in SQL
    open_hours, previous_open = open_hours_by_instrument_windows([window, previous], own, ids)

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

    # Idle instruments reused: under the idle threshold the year before, at or over it this year.
    reused = 0
    for row in per_instrument:
        before = indicators.ratio(
            previous_usage.get(row["id"], Usage()).effective_hours, previous_open.get(row["id"], 0.0)
        )
        was_idle = before is None or before < IDLE_DEFAULT_THRESHOLD
        reused += was_idle and row["utilisation"] is not None and row["utilisation"] >= IDLE_DEFAULT_THRESHOLD

    # People and units served from outside, and the requesters' reviews of all counted bookings: one query
    # (a booking has at most one review per side, so the join does not repeat a requester's review).
    served = unit_served(window, ids, unit.pk)
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
