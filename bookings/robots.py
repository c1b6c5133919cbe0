"""Booking decisions and reminders for the group robots (WeCom, DingTalk) of the requester and their unit.

Decisions hook into ``booking_changed`` (sent after commit, like the mails); reminders are queued by
``notifications.reminder_claim`` in the same transaction that marks the booking as reminded.
"""

from __future__ import annotations

from django.dispatch import receiver

from notifications.models import RobotEvent
from notifications.services import in_each_language, robot_notify

from .models import Booking
from .notifications.render import booking_context
from .signals import booking_changed


def robot_context(booking: Booking) -> dict:
    mail = booking_context(booking)
    requester_unit = booking.requester_unit
    return {
        "instrument": in_each_language(lambda: booking.instrument.display_name),
        "provider_unit": in_each_language(lambda: booking.instrument.unit.display_name),
        "location": mail["location"],
        "start": mail["start_text"],
        "end": mail["end_text"],
        "requester": mail["requester_name"],
        "requester_unit": in_each_language(lambda: requester_unit.display_name) if requester_unit is not None else "",
        "url": mail["booking_url"],
    }


def _recipients(booking: Booking) -> dict:
    return {
        "user_ids": [booking.requester_id],
        "unit_ids": [booking.requester_unit_id] if booking.requester_unit_id else [],
    }


def booking_reminder_robots(booking: Booking) -> None:
    """The day-before reminder, to the requester's and their unit's robots (inside the claiming transaction)."""
    robot_notify(
        event=RobotEvent.REMINDER,
        dedup_key=f"booking:{booking.pk}:reminder",
        context=robot_context(booking),
        **_recipients(booking),
    )


@receiver(booking_changed, dispatch_uid="bookings.robots.booking_changed")
def booking_decided(sender, booking_id: int, action: str, actor_id: int | None = None, **kwargs) -> None:
    if action not in {"approved", "refused"}:
        return
    booking = (
        Booking.objects.select_related("instrument__unit", "requester", "requester_unit").filter(pk=booking_id).first()
    )
    if booking is None:
        return
    context = robot_context(booking) | {
        "decision": action,
        "reason": booking.refusal_reason if action == "refused" else "",
    }
    robot_notify(
        event=RobotEvent.BOOKING_DECISION,
        dedup_key=f"booking:{booking.pk}:{action}",
        context=context,
        **_recipients(booking),
    )
