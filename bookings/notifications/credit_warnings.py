"""Mail about a credit warning (issue 18.8): the warned person and the admins of their units, or a warned
unit's admins, are told before any black-list proposal can follow.

Credit announces ``credit.signals.credit_warning_issued`` through the outbox once the warning has committed;
it does not know that mail exists. The receiver here queues the task in the announcement's transaction, and
the task marks each recipient as mailed (``mail_once``), so a retry mails nobody twice.
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.urls import reverse

from credit import selectors as credit_selectors
from credit.signals import credit_warning_issued
from instruments.models import Membership
from sharing_platform import outbox

from .render import Recipient, _user_name, message_render, site_url
from .tasks import TASK_OPTIONS, mail_once

KIND_CREDIT_WARNING = "credit_warning"


def _recipients_of(users) -> list[Recipient]:
    return [Recipient(email=user.email, name=_user_name(user)) for user in users if user.is_active and user.email]


def warning_recipients(warning) -> list[tuple[Recipient, bool]]:
    """(recipient, is an admin of the subject's unit): the person and their units' admins, or the unit's admins."""
    people = get_user_model().objects.exclude(email="").order_by("pk")
    if warning.subject_unit_id is not None:
        admins = people.filter(pk__in=Membership.objects.admins_of([warning.subject_unit_id]).values("user_id"))
        return [(recipient, True) for recipient in _recipients_of(admins)]
    person = warning.subject_user
    units = Membership.objects.filter(user_id=person.pk).values("unit_id")
    admins = people.filter(pk__in=Membership.objects.admins_of(units).values("user_id")).exclude(pk=person.pk)
    return [(recipient, False) for recipient in _recipients_of([person])] + [
        (recipient, True) for recipient in _recipients_of(admins)
    ]


@shared_task(name="bookings.notifications.send_credit_warning", **TASK_OPTIONS)
def send_credit_warning(warning_id: int) -> int:
    """Mail one warning to its subject and the admins concerned. Idempotent."""
    warning = credit_selectors.credit_warning_get(warning_id)
    if warning is None:
        return 0
    unit, person = warning.subject_unit, warning.subject_user
    names = {"subject_name": (unit.name, unit.name_en)} if unit is not None else {}
    messages = []
    for recipient, for_admin in warning_recipients(warning):
        context = {
            "recipient_name": recipient.name,
            "subject_name": _user_name(person),
            "names_by_language": names,
            "for_admin": for_admin,
            "is_unit": unit is not None,
            "violations": warning.violations,
            "serious_damage": warning.serious_damage,
            "bookings": warning.bookings,
            "url": site_url(reverse("credit:mine"))
            + (f"?unit={warning.subject_unit_id}" if warning.subject_unit_id else ""),
        }
        title, body = message_render(KIND_CREDIT_WARNING, context)
        messages.append((recipient, title, body))
    return mail_once(f"credit:warning-mail-sent:{warning.pk}", messages)


@receiver(credit_warning_issued, dispatch_uid="bookings.notifications.credit_warning_issued")
def credit_warning_received(sender, warning_id: int, **kwargs) -> None:
    """Queue the mail in the transaction that announces the warning (once per warning)."""
    outbox.enqueue(send_credit_warning, warning_id)
