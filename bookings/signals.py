"""Signals other parts of the app (notifications, feeds, webhooks, billing) listen to."""

from django.dispatch import Signal

# Sent after the transaction that changed a booking commits.
# kwargs: booking_id (int), action (str: "requested", "approved", "refused", "cancelled", "moved",
# "checked_in", "checked_out", "no_show", "completed"), actor_id (int | None).
booking_changed = Signal()

# The three signals below are sent INSIDE the transaction that made the change, with the booking row
# locked and already saved, so that a receiver's writes (billing's charges) commit or roll back with
# it. A receiver that raises makes the change fail. kwargs: booking (Booking, with instrument,
# instrument.unit and requester_unit loaded), actor (user or None for the system), at (datetime).

booking_completed = Signal()
"""A booking was completed (checked out, or completed by the provider): actual_hours is set."""

booking_no_show = Signal()
"""A booking was marked a no-show (by the provider or automatically); a held deposit is now forfeited."""

booking_cancelled_late = Signal()
"""The requester cancelled an approved booking inside the notice window; a held deposit is now forfeited."""
