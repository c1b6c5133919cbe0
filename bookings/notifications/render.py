"""What the booking mails say and to whom: recipients, template context, subject and body in every site
language. No side effects: the tasks (`bookings.notifications.tasks`) send what these build.

Language: a user's preferred language is not stored, so each message carries every language the
site offers (``settings.LANGUAGES``, the default one first) whose catalogue translates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from instruments.models import Membership

from ..models import Booking, BookingState

KIND_REQUESTED = "requested"
KIND_APPROVED = "approved"
KIND_REFUSED = "refused"
KIND_CANCELLED = "cancelled"
KIND_REMINDER = "reminder"
KIND_FACT_PENDING = "fact_pending"


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
            pk__in=Membership.objects.managers_of(instrument.unit_id).values("user_id"),
        )
        .exclude(email="")
        .order_by("pk")
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


def fact_pending_messages(fact) -> list[tuple[str, Recipient, str, str]]:
    """To the requester: a one-sided fact about them is pending, what it says, and until when to contest it."""
    booking = fact.booking
    context = booking_context(booking) | {
        "fact_kind": fact.kind,
        "fact_reason": fact.reason,
        "actual_hours": fact.details.get("actual_hours", ""),
        "booked_hours": fact.details.get("booked_hours", ""),
        "contestable_until_text": _local(fact.contestable_until).strftime("%Y-%m-%d %H:%M"),
    }
    messages = []
    for recipient in requester_recipients(booking):
        name = recipient.name or recipient.email
        subject, body = message_render(KIND_FACT_PENDING, context | {"recipient_name": name})
        messages.append((KIND_FACT_PENDING, recipient, subject, body))
    return messages
