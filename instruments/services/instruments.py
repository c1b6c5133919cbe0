"""Writes to the instrument registry: create, update and retire one instrument.

Each service checks the actor's right with the shared predicates, validates the whole row with
`full_clean()` (field validators and the model's constraints) and saves in one transaction, so a
refused write changes nothing. Instruments are never deleted: retiring keeps their history
(bookings, credit events) intact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.api.exceptions import validation_error
from sharing_platform.errors import (
    DomainConflictError,
    DomainPermissionError,
    DomainValidationError,
)

from ..error_codes import InstrumentErrorCode
from ..models import Instrument, Unit
from ..permissions import can_manage_unit_instruments
from ..signals import instrument_retiring

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What a manager may set, in the order forms and exports show it; unit, retirement and timestamps
# are the services' business. The API serializer and the page form take their fields from here.
INSTRUMENT_EDITABLE_FIELDS = (
    "category",
    "asset_number",
    "name",
    "name_en",
    "model_number",
    "manufacturer",
    "country_of_origin",
    "purchase_date",
    "original_value",
    "location",
    "location_en",
    "status",
    "description",
    "description_en",
    "specifications",
    "specifications_en",
    "services",
    "services_en",
    "hourly_rate_internal",
    "hourly_rate_external",
    "deposit",
    "requires_approval",
    "requires_qualification",
    "min_credit_score",
    "contact_name",
    "contact_phone",
    "contact_email",
)
EDITABLE_FIELDS = frozenset(INSTRUMENT_EDITABLE_FIELDS)
SETTABLE_STATUSES = frozenset({Instrument.Status.AVAILABLE, Instrument.Status.MAINTENANCE})


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - EDITABLE_FIELDS)
    if unknown:
        raise DomainValidationError(
            _("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(unknown)}, field=unknown[0]
        )
    if "status" in fields and fields["status"] not in SETTABLE_STATUSES:
        raise DomainValidationError(
            _("Status must be “available” or “maintenance”; use retire to take an instrument out of service."),
            field="status",
        )


def _require_manager(actor, unit: Unit) -> None:
    if not can_manage_unit_instruments(actor, unit):
        if not unit.is_verified:
            raise DomainPermissionError(_("Only a verified unit can list instruments; this unit is not verified."))
        raise DomainPermissionError(_("Only the unit's instrument managers and unit admins may do this."))


def _duplicate_asset_number_error(instrument: Instrument) -> DomainValidationError:
    message = _("This unit already has an instrument with asset number %(number)s.") % {
        "number": instrument.asset_number
    }
    return DomainValidationError(message, field="asset_number", errors=[{"field": "asset_number", "message": message}])


def _save(instrument: Instrument) -> Instrument:
    duplicate = (
        Instrument.objects.filter(unit_id=instrument.unit_id, asset_number=instrument.asset_number)
        .exclude(pk=instrument.pk)
        .exists()
    )
    if duplicate:
        raise _duplicate_asset_number_error(instrument)
    try:
        instrument.full_clean()
    except ValidationError as error:
        raise validation_error(error) from None
    try:
        instrument.save()
    except IntegrityError:
        # A concurrent write took the same asset number between our check and our insert.
        conflict = _duplicate_asset_number_error(instrument)
        raise DomainConflictError(conflict.message, field="asset_number", errors=conflict.errors) from None
    return instrument


def instrument_create(*, actor: User, unit: Unit, **fields: Any) -> Instrument:
    """List a new instrument for `unit`. Managers and unit admins of a verified unit only."""
    _check_fields(fields)
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_manager(actor, unit)
        instrument = Instrument(unit=unit, **fields)
        return _save(instrument)


def instrument_update(*, actor: User, instrument: Instrument, **fields: Any) -> Instrument:
    """Change an instrument's description, prices or rules. Retired instruments are frozen."""
    _check_fields(fields)
    with transaction.atomic():
        locked = Instrument.objects.select_for_update().select_related("unit").get(pk=instrument.pk)
        _require_manager(actor, locked.unit)
        if locked.status == Instrument.Status.RETIRED:
            raise DomainConflictError(
                _("This instrument is retired and can no longer be edited."), code=InstrumentErrorCode.RETIRED
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        return _save(locked)


def instrument_retire(*, actor: User, instrument: Instrument) -> Instrument:
    """Take an instrument out of the catalogue for good. Nothing is deleted."""
    with transaction.atomic():
        locked = Instrument.objects.select_for_update().select_related("unit").get(pk=instrument.pk)
        _require_manager(actor, locked.unit)
        if locked.status == Instrument.Status.RETIRED:
            raise DomainConflictError(_("This instrument is already retired."), code=InstrumentErrorCode.RETIRED)
        problems = [
            problem
            for _receiver, answer in instrument_retiring.send(sender=Instrument, instrument=locked)
            for problem in answer or ()
        ]
        if problems:
            raise DomainConflictError(
                " ".join(str(problem) for problem in problems), code=InstrumentErrorCode.RETIRE_BLOCKED
            )
        locked.status = Instrument.Status.RETIRED
        locked.retired_at = timezone.now()
        locked.save(update_fields=["status", "retired_at", "updated_at"])
        return locked
