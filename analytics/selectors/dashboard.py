"""The platform dashboard: growth by month, credit tiers, list entries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from bookings.models import Booking
from credit.selectors import list_entries_for_moderation
from instruments.models import Instrument, InstrumentCategory, Unit

from .. import indicators
from ..windows import Window, local_midnight
from .usage import completed_in_window, hours_inside

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
