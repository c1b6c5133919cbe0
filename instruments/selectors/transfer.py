"""Reads for import and export: the unit a person may transfer for, and a unit's instruments in file order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainNotFoundError, DomainPermissionError, DomainValidationError

from ..models import Instrument, Unit
from ..permissions import can_manage_unit_instruments

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def transfer_unit_get(*, user: User, unit_id: int | str) -> Unit:
    """The unit named by `unit_id`, if the user may import or export its instruments.

    Units the user cannot even see are "not found"; visible ones they cannot manage are refused.
    """
    if unit_id in (None, ""):
        raise DomainValidationError(_("Say which unit: the unit parameter is required."), field="unit")
    try:
        unit_pk = int(str(unit_id))
    except ValueError:
        raise DomainValidationError(_("unit must be a unit id (a whole number)."), field="unit") from None
    unit = Unit.objects.visible_to(user).filter(pk=unit_pk).first()
    if unit is None:
        raise DomainNotFoundError(_("No such unit."), field="unit")
    if not can_manage_unit_instruments(user, unit):
        raise DomainPermissionError(
            _("Only instrument managers and administrators of this verified unit may import or export its instruments.")
        )
    return unit


def instrument_export_list(*, unit: Unit) -> QuerySet[Instrument]:
    """Every instrument of the unit, retired ones included, with its category, by asset number."""
    return Instrument.objects.filter(unit=unit).select_related("category").order_by("asset_number", "id")
