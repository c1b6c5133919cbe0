"""How billing learns what to charge: bookings' signals, sent inside the booking's own transaction,
so a charge exists exactly when the completion, no-show or late cancellation that caused it commits."""

from django.dispatch import receiver

from bookings.signals import booking_cancelled_late, booking_completed, booking_no_show

from .models import Charge
from .services import charge_for_booking


@receiver(booking_completed, dispatch_uid="billing-booking-completed")
def charge_completed_booking(sender, *, booking, at, **kwargs) -> None:
    """Checked out or completed: the hours used (or booked) at the booking's rate."""
    charge_for_booking(booking=booking, kind=Charge.Kind.USAGE, at=at)


@receiver(booking_no_show, dispatch_uid="billing-booking-no-show")
def charge_no_show(sender, *, booking, at, **kwargs) -> None:
    """By the instrument's no-show rule, less the forfeited deposit."""
    charge_for_booking(booking=booking, kind=Charge.Kind.NO_SHOW, at=at)


@receiver(booking_cancelled_late, dispatch_uid="billing-booking-cancelled-late")
def charge_late_cancellation(sender, *, booking, at, **kwargs) -> None:
    """By the instrument's late-cancellation rule, less the forfeited deposit."""
    charge_for_booking(booking=booking, kind=Charge.Kind.LATE_CANCELLATION, at=at)
