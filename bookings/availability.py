"""Pure time-interval arithmetic for availability: opening hours, blackouts and taken slots.

No database access here; selectors fetch the rows and pass them in. Intervals are half-open
[start, end) pairs of aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Slot:
    """One stretch of the calendar and what it is: free, taken, closed, blackout or unavailable."""

    start: datetime
    end: datetime
    state: str


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(base: Sequence[Interval], cut: Sequence[Interval]) -> list[Interval]:
    """base minus cut (both merged lists)."""
    result: list[Interval] = []
    for start, end in base:
        cursor = start
        for cut_start, cut_end in cut:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for a_start, a_end in first:
        for b_start, b_end in second:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                result.append((start, end))
    return merge(result)


def covers(intervals: Sequence[Interval], start: datetime, end: datetime) -> bool:
    """True when the merged intervals cover [start, end) entirely."""
    return not subtract([(start, end)], merge(intervals))


def open_intervals(
    weekly_hours: Iterable[tuple[int, time, time]], start: datetime, end: datetime, tz: tzinfo
) -> list[Interval]:
    """Open intervals within [start, end) from weekly (weekday, opens, closes) rows in local time.

    No rows means always open.
    """
    rows = list(weekly_hours)
    if not rows:
        return [(start, end)]
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in rows:
        by_weekday.setdefault(weekday, []).append((opens, closes))
    day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date()
    found: list[Interval] = []
    while day <= last_day:
        for opens, closes in by_weekday.get(day.weekday(), []):
            found.append(
                (datetime.combine(day, opens).replace(tzinfo=tz), datetime.combine(day, closes).replace(tzinfo=tz))
            )
        day += timedelta(days=1)
    return intersect(merge(found), [(start, end)])


def slots(
    *,
    start: datetime,
    end: datetime,
    open_: Sequence[Interval],
    blackouts: Sequence[Interval],
    taken: Sequence[Interval],
    available: bool,
) -> list[Slot]:
    """Cut [start, end) into labelled slots. Precedence: unavailable > closed > blackout > taken > free."""
    if not available:
        return [Slot(start, end, "unavailable")]
    window = [(start, end)]
    open_merged = merge(open_)
    closed = subtract(window, open_merged)
    blackout = intersect(merge(blackouts), open_merged)
    usable = subtract(open_merged, blackout)
    taken_in = intersect(merge(taken), usable)
    free = subtract(usable, taken_in)
    labelled = (
        [Slot(s, e, "closed") for s, e in closed]
        + [Slot(s, e, "blackout") for s, e in blackout]
        + [Slot(s, e, "taken") for s, e in taken_in]
        + [Slot(s, e, "free") for s, e in free]
    )
    return sorted(labelled, key=lambda slot: slot.start)
