"""Who may do what with charges, statements and payments. Plain predicates and the matching querysets.

Provider side: the provider unit's admins and instrument managers (they bill). Payer side: the
paying unit's admins (they settle the unit's bills). Platform admins may do both. A requester sees
the charges of their own bookings.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from instruments.models import Instrument, Membership, Unit
from instruments.permissions import can_manage_instrument, is_platform_admin

PROVIDER_ROLES = Membership.MANAGING_ROLES  # those who bill are those who manage the unit's instruments
PAYER_ROLES = (Membership.Role.ADMIN,)  # those who settle bills are those who administer the unit


def _unit_id(unit: Unit | int) -> int:
    return unit.pk if isinstance(unit, Unit) else int(unit)


def provider_unit_ids(user) -> QuerySet:
    """Units this user bills for (as a subquery)."""
    return Membership.objects.managed_unit_ids(user)


def payer_unit_ids(user) -> QuerySet:
    """Units whose bills this user settles (as a subquery)."""
    return Membership.objects.administered_unit_ids(user)


def can_bill_for(user, unit: Unit | int) -> bool:
    """Issue statements, record and confirm payments, correct charges of this provider unit."""
    if not user.is_authenticated:
        return False
    if is_platform_admin(user):
        return True
    return Membership.objects.managing(user).filter(unit_id=_unit_id(unit)).exists()


def can_pay_for(user, unit: Unit | int | None) -> bool:
    """See what this unit owes and declare its payments."""
    if unit is None or not user.is_authenticated:
        return False
    if is_platform_admin(user):
        return True
    return Membership.objects.administering(user).filter(unit_id=_unit_id(unit)).exists()


def can_set_provider_terms(user, unit: Unit) -> bool:
    """Due days and monthly statements: the unit's admins (and platform admins)."""
    if not user.is_authenticated:
        return False
    return is_platform_admin(user) or Membership.objects.administering(user).filter(unit=unit).exists()


def can_set_instrument_billing(user, instrument: Instrument) -> bool:
    return can_manage_instrument(user, instrument)


def can_view_statement(user, statement) -> bool:
    return can_bill_for(user, statement.provider_unit_id) or can_pay_for(user, statement.payer_unit_id)


def charge_visibility(user) -> Q:
    """Charges this user may read: their units' as provider or payer, and those of their own bookings."""
    return (
        Q(provider_unit_id__in=provider_unit_ids(user))
        | Q(payer_unit_id__in=payer_unit_ids(user))
        | Q(booking__requester=user)
    )


def statement_visibility(user) -> Q:
    return Q(provider_unit_id__in=provider_unit_ids(user)) | Q(payer_unit_id__in=payer_unit_ids(user))
