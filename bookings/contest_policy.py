"""Pure rules of one-sided facts (issue 18.1): how long the affected side has to contest them, and when a
provider's hours are a correction of the measured ones (which needs a reason). No writes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from credit.policy import add_working_days

# The requester has this many working days (Monday to Friday) after a one-sided fact to contest it; until
# then the fact is pending and moves no score.
CONTEST_WINDOW_WORKING_DAYS = 5

# Hours that differ from the measured ones (check-in to check-out) by less than this are no correction.
HOURS_TOLERANCE = Decimal("0.25")


def contestable_until(occurred_at: datetime) -> datetime:
    """The same local time of day, CONTEST_WINDOW_WORKING_DAYS working days after the fact."""
    local = timezone.localtime(occurred_at)
    day = add_working_days(local.date(), CONTEST_WINDOW_WORKING_DAYS)
    return local.replace(year=day.year, month=day.month, day=day.day)


def measured_hours(checked_in_at: datetime | None, until: datetime) -> Decimal | None:
    """The hours from check-in to `until` (check-out, or the booked end if that came first: a use nobody
    checked out of ends with its slot), or None when nobody checked in."""
    if checked_in_at is None:
        return None
    seconds = Decimal(max(0.0, (until - checked_in_at).total_seconds()))
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"))


def is_hours_correction(*, stated: Decimal | None, measured: Decimal | None) -> bool:
    """Hours a provider states that differ from the measured ones: a correction, which needs a reason."""
    return stated is not None and measured is not None and abs(stated - measured) >= HOURS_TOLERANCE
