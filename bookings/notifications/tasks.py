"""Sending the booking mails: the Celery tasks, the day-before reminder sweep, and the hook that queues a
mail for each lifecycle change.

How it hooks in: ``bookings.signals.booking_changed`` (booking id, action, actor id) is announced
through the transactional outbox after each change commits. The receiver here, connected when
``BookingsConfig.ready()`` imports ``bookings.notifications``, queues one mail task with
``outbox.enqueue`` in the announcement's transaction: a refused or rolled-back change never mails
anybody, a committed one is mailed even if the broker was down at the time, and the services need
not know that mail exists.

Tasks take ids, read the rows again, and are safe to run twice: a task whose outbox message was
handled already is skipped (``sharing_platform.outbox``), and each mail is marked as sent per
(action, booking, recipient) in Django's cache before the next one goes out (each of these changes
happens at most once per booking), so a retry after a partial failure does not mail the same person
twice. Transient SMTP and network failures are retried with exponential backoff, a bounded number of
times.

Reminders must never go out twice for one booking, across beat runs, worker restarts and
concurrent workers, so their marker has to be durable and queryable: the sweep claims a booking
through the service ``booking_reminder_claim`` (a ``reminder_sent`` history line written under a
row lock) and writes the mail task to the outbox in the same transaction. The audit trail thereby
also shows when the requester was reminded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from sharing_platform import outbox

from ..models import Booking, BookingState, ContestableFact
from ..selectors import bookings_due_for_reminder
from ..services.history import booking_reminder_claim
from ..signals import booking_changed
from .render import Recipient, change_messages, fact_pending_messages, reminder_messages

logger = logging.getLogger(__name__)

REMINDER_LEAD = timedelta(hours=24)
REMINDER_BATCH = 1000
# How long a per-message "sent" marker is remembered; retries happen within minutes.
SENT_MARKER_TTL = 7 * 24 * 3600
RETRY_ON = (SMTPException, OSError)  # OSError covers ConnectionError, timeouts, refused sockets
TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": RETRY_ON,
    "retry_backoff": 30,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 5,
}


def mail_once(scope: str, messages: Iterable[tuple[Recipient, str, str]]) -> int:
    """Send each (recipient, subject, body) unless its (scope, recipient) marker says it already went, so a
    retried task never mails anyone twice; returns the count sent. Billing's statement mails use it too."""
    sent = 0
    with get_connection() as connection:
        for recipient, subject, body in messages:
            marker = f"{scope}:{recipient.email.lower()}"
            if cache.get(marker):
                continue
            EmailMessage(
                subject=subject,
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[recipient.email],
                connection=connection,
            ).send()
            cache.set(marker, True, SENT_MARKER_TTL)
            sent += 1
    return sent


def _booking_with_relations(booking_id: int) -> Booking | None:
    return Booking.objects.select_related("instrument__unit", "requester").filter(pk=booking_id).first()


@shared_task(name="bookings.notifications.send_change_notifications", **TASK_OPTIONS)
def send_change_notifications(booking_id: int, action: str, actor_id: int | None = None) -> int:
    """Mail the parties about one lifecycle change (request, decision, cancellation). Idempotent."""
    booking = _booking_with_relations(booking_id)
    if booking is None:
        return 0
    # Each of these changes happens at most once per booking, so (action, booking) names the mail.
    messages = change_messages(booking, action=action, actor_id=actor_id)
    return mail_once(f"bookings:mail-sent:{action}:{booking.pk}", [message[1:] for message in messages])


@shared_task(name="bookings.notifications.send_booking_reminder", **TASK_OPTIONS)
def send_booking_reminder(booking_id: int) -> int:
    """Mail the requester the day-before reminder (claimed by ``send_reminders``)."""
    booking = _booking_with_relations(booking_id)
    if booking is None or booking.state != BookingState.APPROVED:
        return 0  # cancelled or started since the claim: nothing to remind of
    return mail_once(
        f"bookings:mail-sent:reminder:{booking.pk}", [message[1:] for message in reminder_messages(booking)]
    )


@shared_task(name="bookings.notifications.send_fact_pending", **TASK_OPTIONS)
def send_fact_pending(fact_id: int) -> int:
    """Mail the requester that a no-show or overrun about them is pending and may be contested. Idempotent."""
    fact = ContestableFact.objects.select_related("booking__instrument__unit", "booking__requester").filter(pk=fact_id)
    found = fact.first()
    if found is None:
        return 0
    # Once per statement of the fact: a provider's correction of the hours restates it with a new window.
    marker = f"bookings:mail-sent:fact:{found.pk}:{int(found.contestable_until.timestamp())}"
    return mail_once(marker, [message[1:] for message in fact_pending_messages(found)])


def reminder_claim(*, booking_id: int, now: datetime) -> bool:
    """Mark one booking as reminded and queue its mail and robot messages with it; False if it is not due or
    already claimed."""
    with transaction.atomic():
        booking = booking_reminder_claim(booking_id=booking_id, now=now, lead=REMINDER_LEAD)
        if booking is None:
            return False
        outbox.enqueue(send_booking_reminder, booking.pk)
        from ..robots import booking_reminder_robots  # robots imports the rendering, and so this package

        booking_reminder_robots(
            Booking.objects.select_related("instrument__unit", "requester", "requester_unit").get(pk=booking.pk)
        )
    return True


@shared_task(name="bookings.notifications.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Beat task: remind of every approved booking starting in the next 24 hours, once.

    Each run claims at most REMINDER_BATCH bookings (well inside the task time limit); whatever is
    left stays due and is claimed by the next run.
    """
    now = timezone.now()
    claimed = 0
    due = bookings_due_for_reminder(now=now, lead=REMINDER_LEAD).values_list("pk", flat=True)
    for booking_id in list(due[:REMINDER_BATCH]):
        if reminder_claim(booking_id=booking_id, now=now):
            claimed += 1
    if claimed:
        logger.info("booking reminders claimed: %s", claimed)
    return claimed


# --- the hook into the lifecycle -------------------------------------------------------------

NOTIFIED_ACTIONS = frozenset({"requested", "approved", "refused", "cancelled", "moved"})


@receiver(booking_changed, dispatch_uid="bookings.notifications.booking_changed")
def booking_changed_received(sender, booking_id: int, action: str, actor_id: int | None = None, **kwargs) -> None:
    """Queue the mail for a lifecycle change, in the transaction that announces it (once per change)."""
    if action not in NOTIFIED_ACTIONS:
        return
    outbox.enqueue(send_change_notifications, booking_id, action, actor_id)
