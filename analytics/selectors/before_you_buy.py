"""Before you buy: instruments that already exist, least used first, with their nearest free slots."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from bookings.availability import Interval, open_intervals, slots
from bookings.models import Blackout, Booking, BookingPolicy, OpeningHours
from instruments.filters import InstrumentFilter
from instruments.models import Instrument

from .. import indicators
from ..windows import window_last_days
from .idle import IDLE_DEFAULT_DAYS
from .usage import Usage, open_hours_by_instrument, usage_by_instrument

FREE_SLOT_HORIZON_DAYS = 14
FREE_SLOTS_SHOWN = 3
FREE_SLOT_MIN = timedelta(hours=1)
BEFORE_YOU_BUY_LIMIT = 20


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
