"""Idle instruments: listed, but used under a threshold of their open hours (where money lies idle)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from instruments.models import Instrument, Unit
from instruments.permissions import is_platform_admin

from .. import indicators
from ..windows import Window, window_last_days
from .usage import Usage, open_hours_by_instrument, usage_by_instrument

if TYPE_CHECKING:
    from django.contrib.auth.models import User

IDLE_DEFAULT_DAYS = 90
IDLE_DEFAULT_THRESHOLD = 0.1


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
    if is_platform_admin(user):
        return None
    return Unit.objects.managed_by(user)


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
