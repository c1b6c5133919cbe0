"""Signals other parts of the app (notifications, feeds, webhooks) listen to."""

from django.dispatch import Signal

# Sent after the transaction that changed a booking commits.
# kwargs: booking_id (int), action (str: "requested", "approved", "refused", "cancelled", "moved",
# "checked_in", "checked_out", "no_show", "completed"), actor_id (int | None).
booking_changed = Signal()
