"""Email notifications of the booking lifecycle: request, decision, cancellation and the day-before reminder.

`render` builds the messages (recipients, context, subject and body; no side effects); `tasks` sends
them (the Celery tasks, the reminder sweep, and the receiver of ``booking_changed`` that queues a
mail for each change); `credit_warnings` mails a credit warning (the receiver of ``credit_warning_issued``).
Importing this package, as ``BookingsConfig.ready()`` does, connects the
receiver. The names below are the package's surface (billing's statement mails reuse the rendering
helpers and task options).
"""

from ..models import REMINDER_ACTION
from .credit_warnings import send_credit_warning
from .render import (
    Recipient,
    booking_context,
    change_messages,
    message_render,
    notification_languages,
    provider_recipients,
    reminder_messages,
    requester_recipients,
    site_url,
)
from .tasks import (
    SENT_MARKER_TTL,
    TASK_OPTIONS,
    mail_once,
    reminder_claim,
    send_booking_reminder,
    send_change_notifications,
    send_reminders,
)

__all__ = [
    "REMINDER_ACTION",
    "SENT_MARKER_TTL",
    "TASK_OPTIONS",
    "Recipient",
    "booking_context",
    "change_messages",
    "mail_once",
    "message_render",
    "notification_languages",
    "provider_recipients",
    "reminder_claim",
    "reminder_messages",
    "requester_recipients",
    "send_booking_reminder",
    "send_change_notifications",
    "send_credit_warning",
    "send_reminders",
    "site_url",
]
