"""Plain predicates for who may do what with units and instruments. Views and services share them."""

from __future__ import annotations

from .models import Instrument, Membership, Unit


def is_platform_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def membership_role(user, unit: Unit) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, unit=unit).values_list("role", flat=True).first()


def is_unit_member(user, unit: Unit) -> bool:
    return membership_role(user, unit) is not None


def can_administer_unit(user, unit: Unit) -> bool:
    """Unit admins manage members; platform admins may always step in."""
    return is_platform_admin(user) or membership_role(user, unit) == Membership.Role.ADMIN


def can_manage_unit_instruments(user, unit: Unit) -> bool:
    """Instrument managers and unit admins of a verified unit (platform admins too)."""
    if is_platform_admin(user):
        return True
    if not unit.is_verified:
        return False
    return membership_role(user, unit) in Membership.MANAGING_ROLES


def can_manage_instrument(user, instrument: Instrument) -> bool:
    return can_manage_unit_instruments(user, instrument.unit)
