"""A booking's history: the append-only BookingEvent rows every change leaves, with actor and reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from sharing_platform import outbox

from ..models import REMINDER_ACTION, Booking, BookingEvent, BookingState
from ..signals import announce_booking_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def record_change(
    booking: Booking, *, actor: User | None, action: str, from_state: str, reason: str = "", at: datetime
) -> None:
    """Write the change's history row and announce it after commit (booking_changed's receivers: mail,
    webhooks, robots)."""
    BookingEvent.objects.create(
        booking=booking,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=from_state,
        to_state=booking.state,
        reason=reason,
        at=at,
    )
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    outbox.enqueue(announce_booking_changed, booking.pk, action, actor_id)


def booking_history_note(
    *, booking: Booking, action: str, at: datetime, actor: User | None = None, reason: str = ""
) -> BookingEvent:
    """A line in the booking's history that changes no state and is announced to no one (the reminder
    sweep's "reminder_sent" claim, an incident report); inside the caller's transaction."""
    return BookingEvent.objects.create(
        booking=booking,
        actor=actor,
        action=action,
        from_state=booking.state,
        to_state=booking.state,
        reason=reason,
        at=at,
    )


def booking_reminder_claim(*, booking_id: int, now: datetime, lead: timedelta) -> Booking | None:
    """Claim an approved booking starting within `lead` for its reminder: a "reminder_sent" history line,
    written under the booking's row lock, is the durable marker. None when it is not due or already
    claimed. The caller sends the reminder in the same transaction (through the outbox)."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .filter(pk=booking_id, state=BookingState.APPROVED, start__gt=now, start__lte=now + lead)
            .first()
        )
        if booking is None or BookingEvent.objects.filter(booking=booking, action=REMINDER_ACTION).exists():
            return None
        booking_history_note(booking=booking, action=REMINDER_ACTION, at=now)
    return booking
