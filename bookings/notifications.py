"""Email notifications of the booking lifecycle: request, decision, cancellation and the day-before reminder.

How it hooks in: ``bookings.signals.booking_changed`` (booking id, action, actor id) is announced
through the transactional outbox after each change commits. The receiver here, connected when
``BookingsConfig.ready()`` imports this module, queues one mail task with ``outbox.enqueue`` in the
announcement's transaction: a refused or rolled-back change never mails anybody, a committed one is
mailed even if the broker was down at the time, and the services need not know that mail exists.

Tasks take ids, read the rows again, and are safe to run twice: a task whose outbox message was
handled already is skipped (``sharing_platform.outbox``), and each mail is marked as sent per
(action, booking, recipient) in Django's cache before the next one goes out (each of these changes
happens at most once per booking), so a retry after a partial failure does not mail the same person
twice. Transient SMTP and network failures are retried with exponential backoff, a bounded number of
times.

Reminders must never go out twice for one booking, across beat runs, worker restarts and
concurrent workers, so their marker has to be durable and queryable: the reminder sweep claims a
booking by appending a ``BookingEvent`` with action ``reminder_sent`` (from_state == to_state, the
state is unchanged) under a row lock, and writes the mail task to the outbox in the same
transaction. The audit trail thereby also shows when the requester was reminded. No model or column
is added for it.

Language: a user's preferred language is not stored, so each message carries every language the
site offers (``settings.LANGUAGES``, the default one first) whose catalogue translates it; until the
translation pass the mails are simply in the default language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from instruments.models import Membership
from sharing_platform import outbox

from .models import Booking, BookingEvent, BookingState
from .signals import booking_changed

logger = logging.getLogger(__name__)

REMINDER_ACTION = "reminder_sent"
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

KIND_REQUESTED = "requested"
KIND_APPROVED = "approved"
KIND_REFUSED = "refused"
KIND_CANCELLED = "cancelled"
KIND_REMINDER = "reminder"


# --- building messages (no side effects) -----------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


def notification_languages() -> list[str]:
    """Every site language, the default first."""
    codes = [code for code, _name in settings.LANGUAGES]
    default = settings.LANGUAGE_CODE
    return [default, *[code for code in codes if code != default]]


def site_url(path: str) -> str:
    base = getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")
    return f"{base}{path}"


def _url_or_blank(name: str, *args) -> str:
    try:
        return site_url(reverse(name, args=args))
    except NoReverseMatch:
        return ""


def _user_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def booking_context(booking: Booking) -> dict:
    """Plain values for the templates, so they do not depend on model field names."""
    start, end = _local(booking.start), _local(booking.end)
    end_format = "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"
    instrument = booking.instrument
    return {
        "booking_id": booking.pk,
        "instrument_name": instrument.display_name,
        "unit_name": instrument.unit.display_name,
        # (Chinese, English): message_render names them in each message language, not the sender's.
        "names_by_language": {
            "instrument_name": (instrument.name, instrument.name_en),
            "unit_name": (instrument.unit.name, instrument.unit.name_en),
        },
        "location": instrument.location,
        "start_text": start.strftime("%Y-%m-%d %H:%M"),
        "start_time_text": start.strftime("%H:%M"),
        "end_text": end.strftime(end_format),
        "time_zone": settings.TIME_ZONE,
        "requester_name": _user_name(booking.requester),
        "purpose": booking.purpose,
        "booking_url": _url_or_blank("bookings:detail", booking.pk),
        "queue_url": _url_or_blank("bookings:provider-queue"),
    }


def _render(template: str, context: dict) -> str:
    return render_to_string(template, context).strip()


def message_render(kind: str, context: dict) -> tuple[str, str]:
    """(subject, body) in every notification language whose catalogue translates this message.

    A language is left out when its subject comes out the same as the default language's, so a
    half-translated body (Django's own catalogue translates a word or two) never doubles the mail.
    """
    # Plain-text mail: nothing is HTML-escaped.
    safe = {key: mark_safe(value) if isinstance(value, str) else value for key, value in context.items()}  # noqa: S308
    subjects: list[str] = []
    bodies: list[str] = []
    names = context.get("names_by_language") or {}
    for language in notification_languages():
        with translation.override(language):
            chinese = language.lower().startswith("zh")
            for key, (zh, en) in names.items():
                safe[key] = mark_safe((zh or en) if chinese else (en or zh))  # noqa: S308 - plain-text mail
            subject = " ".join(_render(f"bookings/email/{kind}_subject.txt", safe).split())
            if subject in subjects:
                continue
            body = _render(f"bookings/email/{kind}_body.txt", safe)
        subjects.append(subject)
        bodies.append(body)
    return " / ".join(subjects), "\n\n\n".join(bodies) + "\n"


def provider_recipients(booking: Booking) -> list[Recipient]:
    """The instrument's managers and its unit's admins, plus the instrument's contact address."""
    instrument = booking.instrument
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__unit_id=instrument.unit_id,
            memberships__role__in=[Membership.Role.MANAGER, Membership.Role.ADMIN],
        )
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    recipients = [Recipient(email=user.email, name=_user_name(user)) for user in users]
    if instrument.contact_email:
        recipients.append(Recipient(email=instrument.contact_email, name=instrument.contact_name))
    return _unique(recipients)


def requester_recipients(booking: Booking) -> list[Recipient]:
    requester = booking.requester
    if not requester.is_active or not requester.email:
        return []
    return [Recipient(email=requester.email, name=_user_name(requester))]


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: set[str] = set()
    unique = []
    for recipient in recipients:
        key = recipient.email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            unique.append(recipient)
    return unique


def _is_provider_side(user_id: int | None, booking: Booking) -> bool:
    """Anyone but the requester: the provider's staff, a platform admin, or the system (no actor)."""
    return user_id is None or user_id != booking.requester_id


def _event_reason(booking: Booking, action: str) -> str:
    event = booking.events.filter(action=action).order_by("-at", "-id").first()
    return event.reason if event is not None else ""


def change_messages(booking: Booking, *, action: str, actor_id: int | None) -> list[tuple[str, Recipient, str, str]]:
    """What one lifecycle change should send: (kind, recipient, subject, body) per recipient.

    The services report an automatic approval as "requested" (by the requester) followed by
    "approved" (by nobody); a move as "moved" on the old booking and "requested" (and maybe
    "approved") on its successor.
    """
    plan: list[tuple[str, list[Recipient], dict]] = []
    if action == "requested":
        moved_by_provider = Booking.objects.filter(moved_to=booking).exists() and _is_provider_side(actor_id, booking)
        if not moved_by_provider:  # a provider's own move needs no request mail to the provider
            auto = booking.state != BookingState.REQUESTED and booking.decided_by_id is None
            plan.append((KIND_REQUESTED, provider_recipients(booking), {"auto_approved": auto}))
    elif action == "approved":
        plan.append((KIND_APPROVED, requester_recipients(booking), {"auto_approved": actor_id is None}))
    elif action == "refused":
        reason = booking.refusal_reason or _event_reason(booking, action)
        plan.append((KIND_REFUSED, requester_recipients(booking), {"reason": reason}))
    elif action in {"cancelled", "moved"}:
        # The other side hears of it: the provider when the requester cancels (or withdraws a
        # request), the requester when the provider, an admin or the system cancels.
        by_provider = _is_provider_side(actor_id, booking)
        recipients = requester_recipients(booking) if by_provider else provider_recipients(booking)
        extra = {
            "cancelled_by_provider": by_provider,
            "late": booking.cancellation_late,
            "reason": _event_reason(booking, action) if action == "cancelled" else "",
            "moved_to_id": booking.moved_to_id,
        }
        plan.append((KIND_CANCELLED, recipients, extra))
    context = booking_context(booking)
    messages = []
    for kind, recipients, extra in plan:
        for recipient in recipients:
            name = recipient.name or recipient.email
            subject, body = message_render(kind, context | extra | {"recipient_name": name})
            messages.append((kind, recipient, subject, body))
    return messages


def reminder_messages(booking: Booking) -> list[tuple[str, Recipient, str, str]]:
    context = booking_context(booking)
    messages = []
    for recipient in requester_recipients(booking):
        subject, body = message_render(KIND_REMINDER, context | {"recipient_name": recipient.name or recipient.email})
        messages.append((KIND_REMINDER, recipient, subject, body))
    return messages


# --- sending ---------------------------------------------------------------------------------


def _sent_marker(scope: str, recipient: Recipient) -> str:
    return f"bookings:mail-sent:{scope}:{recipient.email.lower()}"


def _send_once(scope: str, messages: list[tuple[str, Recipient, str, str]]) -> int:
    """Send each message unless its (scope, recipient) marker says it already went; returns the count sent."""
    sent = 0
    with get_connection() as connection:
        for _kind, recipient, subject, body in messages:
            marker = _sent_marker(scope, recipient)
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
    return _send_once(f"{action}:{booking.pk}", change_messages(booking, action=action, actor_id=actor_id))


@shared_task(name="bookings.notifications.send_booking_reminder", **TASK_OPTIONS)
def send_booking_reminder(booking_id: int) -> int:
    """Mail the requester the day-before reminder (claimed by ``send_reminders``)."""
    booking = _booking_with_relations(booking_id)
    if booking is None or booking.state != BookingState.APPROVED:
        return 0  # cancelled or started since the claim: nothing to remind of
    return _send_once(f"reminder:{booking.pk}", reminder_messages(booking))


def reminder_claim(*, booking_id: int, now: datetime) -> bool:
    """Mark one booking as reminded and queue its mail with it; False if it is not due or already claimed."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .filter(
                pk=booking_id,
                state=BookingState.APPROVED,
                start__gt=now,
                start__lte=now + REMINDER_LEAD,
            )
            .first()
        )
        if booking is None or BookingEvent.objects.filter(booking=booking, action=REMINDER_ACTION).exists():
            return False
        from .services.history import booking_history_note  # services announce changes that this module mails

        booking_history_note(booking=booking, action=REMINDER_ACTION, at=now)
        outbox.enqueue(send_booking_reminder, booking.pk)
        from .robots import booking_reminder_robots  # robots imports this module

        booking_reminder_robots(
            Booking.objects.select_related("instrument__unit", "requester", "requester_unit").get(pk=booking.pk)
        )
    return True


def reminders_due(*, now: datetime):
    """Approved bookings starting within the lead time that have not been reminded yet."""
    reminded = BookingEvent.objects.filter(booking=OuterRef("pk"), action=REMINDER_ACTION)
    return (
        Booking.objects.filter(state=BookingState.APPROVED, start__gt=now, start__lte=now + REMINDER_LEAD)
        .filter(~Exists(reminded))
        .order_by("start", "pk")
    )


@shared_task(name="bookings.notifications.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Beat task: remind of every approved booking starting in the next 24 hours, once.

    Each run claims at most REMINDER_BATCH bookings (well inside the task time limit); whatever is
    left stays due and is claimed by the next run.
    """
    now = timezone.now()
    claimed = 0
    for booking_id in list(reminders_due(now=now).values_list("pk", flat=True)[:REMINDER_BATCH]):
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
