"""Receivers through which bookings takes part in the lower layers' actions."""

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from instruments.signals import instrument_retiring

from .models import Booking, BookingState

PENDING_OR_HELD = (BookingState.REQUESTED, BookingState.APPROVED, BookingState.IN_USE)


@receiver(instrument_retiring, dispatch_uid="bookings-instrument-retiring")
def refuse_retiring_with_open_bookings(sender, *, instrument, **kwargs) -> list[str]:
    """People who hold or await a slot must be answered first: retiring would strand their bookings."""
    open_ids = list(
        Booking.objects.filter(instrument=instrument, state__in=PENDING_OR_HELD, end__gt=timezone.now())
        .order_by("start", "id")
        .values_list("id", flat=True)[:6]
    )
    if not open_ids:
        return []
    shown = ", ".join(f"#{pk}" for pk in open_ids[:5]) + (", ..." if len(open_ids) > 5 else "")
    return [
        ngettext(
            "This instrument still has an open or upcoming booking (%(ids)s).",
            "This instrument still has open or upcoming bookings (%(ids)s).",
            len(open_ids),
        )
        % {"ids": shown},
        _("Refuse, cancel or move them before retiring it."),
    ]
