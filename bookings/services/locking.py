"""Row locks for the bookings app's writes, taken in one order, and the re-check made under them.

Lock order (never deadlocks): the instrument row first, then the booking row, then the booking's
incident and dispute. On PostgreSQL the instrument lock serialises bookings of one instrument and
the exclusion constraint is the last guard; on SQLite every atomic block is an IMMEDIATE
transaction, which serialises all writers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from instruments.models import Instrument

if TYPE_CHECKING:
    from django.contrib.auth.models import User
from instruments.permissions import can_manage_instrument
from sharing_platform.errors import DomainConflictError, DomainNotFoundError, DomainPermissionError

from ..error_codes import BookingErrorCode
from ..models import Booking, Incident


def lock_instrument(instrument_id: int) -> Instrument:
    instrument = (
        Instrument.objects.select_for_update(of=("self",)).select_related("unit").filter(pk=instrument_id).first()
    )
    if instrument is None:
        raise DomainNotFoundError(_("No such instrument."), field="instrument")
    return instrument


def lock_instrument_to_manage(actor: User, instrument: Instrument | int) -> Instrument:
    """Lock the instrument row, then check the actor may manage its booking rules (under the lock)."""
    instrument_id = instrument.pk if isinstance(instrument, Instrument) else instrument
    locked = Instrument.objects.select_for_update(of=("self",)).select_related("unit").filter(pk=instrument_id).first()
    if locked is None:
        raise DomainNotFoundError(_("No such instrument."))
    if not (actor is not None and actor.is_authenticated and can_manage_instrument(actor, locked)):
        raise DomainPermissionError(_("Only the instrument's managers can change its booking rules."))
    return locked


def lock_booking(booking_id: int) -> Booking:
    """Lock the booking's instrument, then the booking itself, and return it with its joins."""
    instrument_id = Booking.objects.filter(pk=booking_id).values_list("instrument_id", flat=True).first()
    if instrument_id is None:
        raise DomainNotFoundError(_("No such booking."))
    lock_instrument(instrument_id)
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("instrument", "instrument__unit", "requester", "requester_unit")
        .get(pk=booking_id)
    )


def lock_incident(incident_id: int) -> Incident:
    """Lock the incident's booking (and so its instrument), then the incident."""
    booking_id = Incident.objects.filter(pk=incident_id).values_list("booking_id", flat=True).first()
    if booking_id is None:
        raise DomainNotFoundError(_("No such incident."))
    booking = lock_booking(booking_id)
    incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
    incident.booking = booking
    return incident


def require_state(booking: Booking, allowed: Iterable[str], action: str) -> None:
    """Re-check, under the lock, that the booking is in a state the action starts from."""
    if booking.state not in set(allowed):
        raise DomainConflictError(
            _("This booking is %(state)s; it cannot be %(action)s now.")
            % {"state": booking.get_state_display().lower(), "action": action},
            code=BookingErrorCode.WRONG_STATE,
        )
