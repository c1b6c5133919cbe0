"""Signals other parts of the app (notifications, feeds, webhooks, billing) listen to, and the task that sends them."""

from celery import shared_task
from django.db import DatabaseError
from django.dispatch import Signal

from sharing_platform import outbox

from .models import Booking

# Sent after the transaction that changed a booking commits, by ``announce_booking_changed``: the
# services write that task to the outbox in the transaction of the change, so a committed change is
# always announced (after a broker outage, later) and a rolled-back one never is. With a broker the
# receivers run in a Celery worker; without one, in-process right after the commit.
# Receivers write rows and queue their side effects with ``outbox.enqueue``: their writes commit in
# one transaction with the announcement (once per change). Wrap your writes in ``transaction.atomic()``
# so a failure of yours rolls back only your part.
# kwargs: booking_id (int), action (str: "requested", "approved", "refused", "cancelled", "moved",
# "checked_in", "checked_out", "no_show", "completed"), actor_id (int | None).
booking_changed = Signal()


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def announce_booking_changed(self, booking_id: int, action: str, actor_id: int | None = None) -> int:
    """Send booking_changed for one committed change, once per outbox message."""
    calls = [{"booking_id": booking_id, "action": action, "actor_id": actor_id}]
    return outbox.signal_send_once(self.request.id, booking_changed, sender=Booking, calls=calls)


# The signals below are sent INSIDE the transaction that made the change, with the booking row
# locked and already saved, so that a receiver's writes (billing's charges) commit or roll back with
# it. A receiver that raises makes the change fail. kwargs: booking (Booking, with instrument,
# instrument.unit and requester_unit loaded), actor (user or None for the system), at (datetime).

booking_completed = Signal()
"""A booking was completed (checked out, or completed by the provider): actual_hours is set."""

booking_no_show = Signal()
"""A booking was marked a no-show (by the provider or automatically). The no-show is one-sided and pending
(a ContestableFact): nothing is forfeited or billed yet; `no_show_recorded` or `no_show_dismissed` follows."""

booking_hours_corrected = Signal()
"""The provider corrected the used hours of a completed booking within the window (actual_hours is the new
value); billing corrects the use charge. Extra kwargs: previous_hours (Decimal), reason (str)."""

no_show_recorded = Signal()
"""A pending no-show stands: its window passed uncontested, or an admin upheld it in a dispute. A held deposit
is now forfeited (billing charges the no-show now). Extra kwarg: fact (ContestableFact)."""

no_show_dismissed = Signal()
"""A contested no-show was dismissed by an admin: the deposit is refunded, and anything billed for it must be
credited (billing writes a negative adjustment line). actor: the admin who decided. Extra kwarg: fact."""

booking_cancelled_late = Signal()
"""The requester cancelled an approved booking inside the notice window; a held deposit is now forfeited."""
