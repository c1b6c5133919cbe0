"""Query windows: how `start`, `end`, `year` and `days` become a half-open [start, end) of aware datetimes.

A bare date is a whole local day in the project's time zone (Asia/Shanghai): `start=2026-03-01`
begins at local midnight, and `end=2026-03-31` includes that day (the window ends at the next
local midnight). A datetime with an offset (`2026-03-01T00:00+08:00`, `...Z`) is an instant and
`end` is exclusive; a datetime without an offset is read as local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainValidationError

DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 366 * 5
MAX_IDLE_DAYS = 366 * 3
YEAR_MIN, YEAR_MAX = 2000, 2100


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def days(self) -> float:
        return self.seconds / 86400


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _parse_moment(value: str, *, field: str, is_end: bool) -> datetime:
    value = value.strip()
    moment = None
    try:
        moment = parse_datetime(value.replace(" ", "+")) if "T" in value else None
        if moment is None and "T" not in value:
            day = parse_date(value)
            if day is not None:
                return local_midnight(day + timedelta(days=1) if is_end else day)
    except ValueError:
        moment = None
    if moment is None:
        raise DomainValidationError(
            _("%(field)s must be a date (2026-03-01) or an ISO 8601 datetime (2026-03-01T00:00+08:00).")
            % {"field": field},
            field=field,
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def window_parse(start: str | None, end: str | None, *, now: datetime | None = None) -> Window:
    """The window from query parameters; both empty means the last 90 days up to now."""
    now = now or timezone.now()
    end_at = _parse_moment(end, field="end", is_end=True) if end else now
    start_at = (
        _parse_moment(start, field="start", is_end=False) if start else end_at - timedelta(days=DEFAULT_WINDOW_DAYS)
    )
    if end_at <= start_at:
        raise DomainValidationError(_("end must be after start."), field="end")
    if end_at - start_at > timedelta(days=MAX_WINDOW_DAYS):
        raise DomainValidationError(
            _("The window may span at most %(days)s days.") % {"days": MAX_WINDOW_DAYS}, field="start"
        )
    return Window(start_at, end_at)


def window_last_days(days: int, *, now: datetime | None = None) -> Window:
    now = now or timezone.now()
    return Window(now - timedelta(days=days), now)


def year_window(year: int) -> Window:
    """The local calendar year [1 January, next 1 January)."""
    return Window(local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1)))


def parse_year(value: str | None, *, now: datetime | None = None) -> int:
    """A four-digit year; empty means the current year (so far, annualised), where the data is."""
    if not value:
        return timezone.localtime(now or timezone.now()).year
    if not value.strip().isdigit() or not YEAR_MIN <= int(value) <= YEAR_MAX:
        raise DomainValidationError(
            _("year must be a year between %(low)s and %(high)s.") % {"low": YEAR_MIN, "high": YEAR_MAX}, field="year"
        )
    return int(value)


def parse_days(value: str | None) -> int:
    if not value:
        return DEFAULT_WINDOW_DAYS
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_IDLE_DAYS:
        raise DomainValidationError(
            _("days must be a whole number from 1 to %(max)s.") % {"max": MAX_IDLE_DAYS}, field="days"
        )
    return int(value)


def parse_threshold(value: str | None, default: float = 0.1) -> float:
    if not value:
        return default
    try:
        threshold = float(value)
    except ValueError:
        threshold = -1.0
    if not 0 <= threshold <= 1:
        raise DomainValidationError(
            _("threshold must be a fraction between 0 and 1 (0.1 means 10%)."), field="threshold"
        )
    return threshold
