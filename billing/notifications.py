"""E-mail about statements: a new statement to the paying unit's admins; an overdue one to them and to the
requesters whose bookings it bills. Same style as bookings/notifications.py: the services queue one
task through the outbox (`services._queue_statement_mail`), the task reads the rows again, renders every site
language the catalogue translates, and marks each (statement, kind, recipient) as sent in the cache
so that a retry does not mail a person twice.
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from bookings.notifications import TASK_OPTIONS, Recipient, mail_once, notification_languages, site_url
from instruments.models import Membership

from .models import Statement

KINDS = ("issued", "overdue")


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def payer_admins(statement: Statement) -> list[Recipient]:
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, memberships__unit_id=statement.payer_unit_id, memberships__role=Membership.Role.ADMIN
        )
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    return [Recipient(email=user.email, name=_name(user)) for user in users]


def requesters(statement: Statement) -> list[Recipient]:
    """The people whose bookings the statement bills."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            bookings__charges__statement_lines__statement=statement,
            bookings__charges__statement_lines__voided=False,
        )
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    return [Recipient(email=user.email, name=_name(user)) for user in users]


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: set[str] = set()
    out = []
    for recipient in recipients:
        key = recipient.email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(recipient)
    return out


def statement_context(statement: Statement) -> dict:
    return {
        "reference": statement.reference,
        "provider_name": statement.provider_unit.display_name,
        "payer_name": statement.payer_unit.display_name,
        "total": f"{statement.total:.2f}",
        "balance": f"{statement.balance:.2f}",
        "due_date": statement.due_date.isoformat(),
        "period_end": statement.period_end.isoformat(),
        "statement_url": site_url(reverse("billing:statement", args=[statement.pk])),
    }


def message_render(kind: str, context: dict) -> tuple[str, str]:
    """(subject, body) in every notification language whose catalogue translates the subject."""
    safe = {key: mark_safe(value) if isinstance(value, str) else value for key, value in context.items()}  # noqa: S308 - plain-text mail
    subjects: list[str] = []
    bodies: list[str] = []
    for language in notification_languages():
        with translation.override(language):
            subject = " ".join(render_to_string(f"billing/email/{kind}_subject.txt", safe).split())
            if subject in subjects:
                continue
            body = render_to_string(f"billing/email/{kind}_body.txt", safe).strip()
        subjects.append(subject)
        bodies.append(body)
    return " / ".join(subjects), "\n\n\n".join(bodies) + "\n"


def statement_messages(statement: Statement, kind: str) -> list[tuple[Recipient, str, str]]:
    recipients = payer_admins(statement)
    if kind == "overdue":
        recipients += requesters(statement)
    context = statement_context(statement)
    messages = []
    for recipient in _unique(recipients):
        subject, body = message_render(kind, context | {"recipient_name": recipient.name or recipient.email})
        messages.append((recipient, subject, body))
    return messages


@shared_task(name="billing.notifications.send_statement_notifications", **TASK_OPTIONS)
def send_statement_notifications(statement_id: int, kind: str) -> int:
    """Mail the people concerned about a new or an overdue statement. Idempotent per recipient."""
    if kind not in KINDS:
        return 0
    statement = Statement.objects.select_related("provider_unit", "payer_unit").filter(pk=statement_id).first()
    if statement is None or statement.status == Statement.Status.CANCELLED:
        return 0
    return mail_once(f"billing:mail-sent:{kind}:{statement.pk}", statement_messages(statement, kind))
