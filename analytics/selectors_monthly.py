"""Month by month figures of one unit's evaluation year, for the charts of the evaluation report (PDF)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.selectors import income_by_provider
from bookings.models import Booking

from . import indicators
from .selectors.evaluation import _evaluated_instruments
from .selectors.usage import INTERNAL, completed_in_window, hours_inside
from .windows import Window, local_midnight, year_window


def year_months(year: int, *, now: datetime) -> list[Window]:
    """The local calendar months of `year` that have begun by `now`, the current one cut at now."""
    months = []
    for month in range(1, 13):
        start = local_midnight(date(year, month, 1))
        if start >= now:
            break
        end = local_midnight(date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1))
        months.append(Window(start, min(end, now)))
    return months


def unit_monthly_figures(
    *, unit_id: int, year: int, min_value: Decimal = Decimal("0"), now: datetime | None = None
) -> list[dict]:
    """Effective and external hours and income of the unit's evaluated instruments (the same instruments
    and the same rules as `unit_evaluation`), one row per month: one query for the hours, one per month
    for the income."""
    now = now or timezone.now()
    months = year_months(year, now=now)
    if not months:
        return []
    own = _evaluated_instruments(year_window(year), min_value).filter(unit_id=unit_id)
    zero = Value(0.0)
    aggregates = {}
    for index, window in enumerate(months):
        meets = Q(span_start__lt=window.end, span_end__gt=window.start)
        inside = hours_inside(window)
        aggregates[f"effective{index}"] = Coalesce(Sum(Case(When(meets, then=inside), default=zero)), zero)
        aggregates[f"internal{index}"] = Coalesce(Sum(Case(When(meets & INTERNAL, then=inside), default=zero)), zero)
    whole = Window(months[0].start, months[-1].end)
    row = completed_in_window(whole, Booking.objects.filter(instrument__in=own.values("pk"))).aggregate(**aggregates)
    figures = []
    for index, window in enumerate(months):
        effective = indicators.hours(row[f"effective{index}"])
        internal = indicators.hours(row[f"internal{index}"])
        money = income_by_provider(start=window.start, end=window.end, instruments=own).get(unit_id)
        internal_income = indicators.money(money["internal"]) if money else Decimal("0.00")
        external_income = indicators.money(money["external"]) if money else Decimal("0.00")
        figures.append(
            {
                "month": timezone.localtime(window.start).strftime("%Y-%m"),
                "effective_hours": effective,
                "external_hours": indicators.hours(effective - internal),
                "internal_income": internal_income,
                "external_income": external_income,
                "income": internal_income + external_income,
            }
        )
    return figures
