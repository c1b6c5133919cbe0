"""Who may see which figures (plain predicates shared by the API and the pages).

- machine hours and before-you-buy: anyone, for listed instruments (not retired, verified unit);
  the unit's own members and platform admins also for the others;
- a unit's evaluation: that unit's members (any role) and platform admins;
- idle instruments: platform admins for the whole platform; instrument managers and unit admins
  for their own units only;
- the platform dashboard: platform admins.
"""

from __future__ import annotations

from django.db.models import QuerySet

from instruments.models import Instrument, Membership, Unit
from instruments.permissions import is_platform_admin, is_unit_member

from .selectors.idle import idle_scope_for


def instrument_for_hours(user, pk: int) -> Instrument | None:
    """The instrument if the user may see its hours, else None (answer 404: do not reveal it)."""
    instrument = Instrument.objects.select_related("unit").filter(pk=pk).first()
    if instrument is None:
        return None
    if Instrument.objects.active().filter(pk=pk).exists():
        return instrument
    if is_platform_admin(user) or is_unit_member(user, instrument.unit):
        return instrument
    return None


def can_view_unit_evaluation(user, unit: Unit) -> bool:
    return is_platform_admin(user) or is_unit_member(user, unit)


def idle_units_for(user) -> QuerySet[Unit] | None:
    """None: the whole platform. Otherwise the units whose idle list the user may see (may be empty)."""
    return idle_scope_for(user)


def can_view_idle(user) -> bool:
    if not user.is_authenticated:
        return False
    return is_platform_admin(user) or Membership.objects.managing(user).exists()


def can_view_platform(user) -> bool:
    return is_platform_admin(user)
