"""How billing learns what to charge: bookings' signals, sent inside the booking's own transaction,
so a charge exists exactly when the completion, late cancellation or recorded no-show that caused it commits.

A no-show is one-sided and can be contested (issue 18.1): it is billed when it is recorded (its window passed
uncontested, or an admin upheld it), never while it is pending, and credited if an admin dismisses it."""

from django.dispatch import receiver

from bookings.signals import (
    booking_cancelled_late,
    booking_completed,
    booking_hours_corrected,
    no_show_dismissed,
    no_show_recorded,
)

from .models import Charge
from .services import charge_correct_usage, charge_credit_dismissed_no_show, charge_for_booking


@receiver(booking_completed, dispatch_uid="billing-booking-completed")
def charge_completed_booking(sender, *, booking, at, **kwargs) -> None:
    """Checked out or completed: the hours used (or booked) at the booking's rate."""
    charge_for_booking(booking=booking, kind=Charge.Kind.USAGE, at=at)


@receiver(booking_hours_corrected, dispatch_uid="billing-booking-hours-corrected")
def correct_usage_charge(sender, *, booking, actor, at, reason, **kwargs) -> None:
    """The provider corrected the hours used: the use charge follows by an adjustment line (or is written now
    when the old hours cost nothing)."""
    charge_correct_usage(booking=booking, actor=actor, at=at, reason=reason)


@receiver(no_show_recorded, dispatch_uid="billing-no-show-recorded")
def charge_no_show(sender, *, booking, at, **kwargs) -> None:
    """The no-show stands: by the instrument's no-show rule, less the forfeited deposit, incurred now."""
    charge_for_booking(booking=booking, kind=Charge.Kind.NO_SHOW, at=at)


@receiver(no_show_dismissed, dispatch_uid="billing-no-show-dismissed")
def credit_dismissed_no_show(sender, *, booking, actor, at, **kwargs) -> None:
    """The no-show was dismissed: whatever was charged for it is taken off by a negative adjustment line."""
    charge_credit_dismissed_no_show(booking=booking, actor=actor, at=at)


@receiver(booking_cancelled_late, dispatch_uid="billing-booking-cancelled-late")
def charge_late_cancellation(sender, *, booking, at, **kwargs) -> None:
    """By the instrument's late-cancellation rule, less the forfeited deposit."""
    charge_for_booking(booking=booking, kind=Charge.Kind.LATE_CANCELLATION, at=at)
