"""Writes for group robots: add and remove them (a unit's admins, or a person for themselves), and queue
messages. robot_notify is what the other apps call, inside their own transaction:

    from notifications.services import robot_notify
    robot_notify(event=RobotEvent.STATEMENT_OVERDUE, dedup_key=f"statement:{statement.pk}:overdue",
                 context={...}, unit_ids=[statement.paying_unit_id])

Context values are plain JSON; a value given per language ({"zh-hans": ..., "en": ...}, see
in_each_language) is shown in each robot's language. It writes one RobotMessage per robot that wants
the event (at most once per fact: dedup_key) in the caller's transaction and queues the Celery task
on commit, so a rolled-back change sends nothing.

robot_notify_told sends a follow-up of a fact to the robots that were told the fact (by its dedup_key), not to
whoever wants the event now: a list entry's end goes to the robots told of its publication
(credit.services.list_ends).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.permissions import can_administer_unit, is_platform_admin
from sharing_platform import outbox
from sharing_platform.errors import DomainPermissionError, DomainValidationError
from sharing_platform.secret_box import SecretUnavailableError, secret_decrypt, secret_encrypt

from .models import RobotEvent, RobotMessage, RobotWebhook
from .robots import message_render, post_message, url_problem

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from instruments.models import Unit

logger = logging.getLogger(__name__)


def in_each_language(make: Callable[[], str]) -> dict[str, str]:
    """{"zh-hans": make(), "en": make()} with each language active (names that follow the language)."""
    from django.utils import translation

    values = {}
    for language in RobotWebhook.Language.values:
        with translation.override(language):
            values[language] = make()
    return values


def site_url(path: str) -> str:
    """An absolute link for a message read outside the platform (SITE_URL, as the mails use)."""
    return f"{getattr(settings, 'SITE_URL', 'http://localhost:8000').rstrip('/')}{path}"


def _can_manage(actor, *, unit=None, user=None) -> bool:
    if not actor.is_authenticated:
        return False
    if unit is not None:
        return can_administer_unit(actor, unit)
    return is_platform_admin(actor) or actor.pk == getattr(user, "pk", None)


def robot_webhook_create(
    *,
    actor: User,
    service: str,
    name: str,
    url: str,
    events: Iterable[str],
    unit: Unit | None = None,
    user: User | None = None,
    secret: str = "",
    language: str = RobotWebhook.Language.CHINESE,
) -> RobotWebhook:
    """A unit's admins add a robot for the unit; a person adds one for themselves."""
    if (unit is None) == (user is None):
        raise DomainValidationError(_("A robot belongs to a unit or to a person."))
    if not _can_manage(actor, unit=unit, user=user):
        raise DomainPermissionError(
            _("Only this unit's administrators add its robots.") if unit else _("You can only add robots for yourself.")
        )
    if service not in RobotWebhook.Service.values:
        raise DomainValidationError(_("Choose WeCom or DingTalk."), field="service")
    name = (name or "").strip()
    if not name:
        raise DomainValidationError(_("Give the robot a name."), field="name")
    url = (url or "").strip()
    problem = url_problem(service, url)
    if problem:
        raise DomainValidationError(problem, field="url")
    events = sorted(set(events or []))
    if not events or any(event not in RobotEvent.values for event in events):
        raise DomainValidationError(_("Choose at least one kind of message."), field="events")
    secret = (secret or "").strip()
    if service == RobotWebhook.Service.DINGTALK and not secret.startswith("SEC"):
        raise DomainValidationError(
            _("Turn on the DingTalk robot's additional signature and paste its secret (it starts with SEC)."),
            field="secret",
        )
    if language not in RobotWebhook.Language.values:
        raise DomainValidationError(_("Unknown language."), field="language")
    with transaction.atomic():
        return RobotWebhook.objects.create(
            unit=unit,
            user=user,
            service=service,
            name=name[:100],
            url=url,
            secret_encrypted=secret_encrypt(secret) if service == RobotWebhook.Service.DINGTALK else "",
            events=events,
            language=language,
            created_by=actor,
        )


def robot_settings_checked(*, name: str, events: Iterable[str], language: str) -> tuple[str, list[str]]:
    """A robot's changeable settings, checked (DomainValidationError) and normalised: the name and the events."""
    name = (name or "").strip()
    if not name:
        raise DomainValidationError(_("Give the robot a name."), field="name")
    events = sorted(set(events or []))
    if not events or any(event not in RobotEvent.values for event in events):
        raise DomainValidationError(_("Choose at least one kind of message."), field="events")
    if language not in RobotWebhook.Language.values:
        raise DomainValidationError(_("Unknown language."), field="language")
    return name, events


def robot_webhook_update(
    *, actor: User, webhook: RobotWebhook, name: str, events: Iterable[str], language: str, enabled: bool
) -> RobotWebhook:
    """Rename a robot, change its messages or language, switch it off or on (its address and secret stay)."""
    if not _can_manage(actor, unit=webhook.unit, user=webhook.user):
        raise DomainPermissionError(_("You cannot change this robot."))
    name, events = robot_settings_checked(name=name, events=events, language=language)
    webhook.name, webhook.events, webhook.language, webhook.enabled = name[:100], events, language, enabled
    with transaction.atomic():
        webhook.save(update_fields=["name", "events", "language", "enabled"])
    return webhook


def robot_webhook_delete(*, actor: User, webhook: RobotWebhook) -> None:
    if not _can_manage(actor, unit=webhook.unit, user=webhook.user):
        raise DomainPermissionError(_("You cannot remove this robot."))
    with transaction.atomic():
        RobotWebhook.objects.filter(pk=webhook.pk).delete()


def robot_notify(
    *,
    event: str,
    dedup_key: str,
    context: dict,
    unit_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
) -> list[RobotMessage]:
    """Queue one message per enabled robot of these units and people that wants this event (see module doc)."""
    unit_ids, user_ids = list(unit_ids), list(user_ids)
    if event not in RobotEvent.values or not (unit_ids or user_ids):
        return []
    robots = RobotWebhook.objects.filter(enabled=True).filter(Q(unit_id__in=unit_ids) | Q(user_id__in=user_ids))
    return _messages_create(robots, event=event, dedup_key=dedup_key, context=context)


def robot_notify_told(*, told_key: str, event: str, dedup_key: str, context: dict) -> list[RobotMessage]:
    """A follow-up of a fact (a list entry's end after its publication) to the robots that were told that fact
    (a message under `told_key` that did not fail), still enabled and still wanting the event, once per robot
    (dedup_key). A robot added since was never told, and is not told the follow-up either."""
    if event not in RobotEvent.values:
        return []
    told = RobotMessage.objects.filter(dedup_key=told_key[:120]).exclude(status=RobotMessage.Status.FAILED)
    robots = RobotWebhook.objects.filter(enabled=True, pk__in=told.values("webhook_id"))
    return _messages_create(robots, event=event, dedup_key=dedup_key, context=context)


def _messages_create(robots, *, event: str, dedup_key: str, context: dict) -> list[RobotMessage]:
    """One RobotMessage per robot that wants the event and has not had this fact, queued on commit."""
    context = json.loads(json.dumps(context, default=str))  # plain JSON, rendered later in each robot's language
    created = []
    with transaction.atomic():
        # The event list per robot is short; filtering it in Python keeps SQLite and PostgreSQL alike.
        for robot in robots.order_by("pk"):
            if event not in robot.events:
                continue
            try:
                with transaction.atomic():
                    created.append(
                        RobotMessage.objects.create(
                            webhook=robot, event=event, dedup_key=dedup_key[:120], context=context
                        )
                    )
            except IntegrityError:
                continue  # this fact already went to this robot
        if created:
            from .tasks import deliver_robot_message  # tasks import these services

            for message in created:
                outbox.enqueue(deliver_robot_message, message.pk)
    return created


def robot_messages_queue(message_ids: list[int]) -> None:
    """Queue a delivery attempt for each message (the resume sweep); a broker failure leaves it pending."""
    from .tasks import deliver_robot_message

    for message_id in message_ids:
        try:
            deliver_robot_message.delay(message_id)
        except Exception:  # the message stays pending; resume_robot_messages picks it up
            logger.exception("could not queue robot message %s", message_id)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff: base, 2 x base, 4 x base ... after attempt 1, 2, 3 ..., at most an hour."""
    base = float(getattr(settings, "NOTIFICATIONS_ROBOT_RETRY_SECONDS", 30))
    return timedelta(seconds=min(base * 2 ** (attempt - 1), 3600))


def robot_message_attempt(message_id: int) -> RobotMessage | None:
    """Send one message once and record the outcome (status, attempts, next_retry_at). Idempotent."""
    with transaction.atomic():
        message = (
            RobotMessage.objects.select_for_update(of=("self",)).select_related("webhook").filter(pk=message_id).first()
        )
        if message is None or message.status in {RobotMessage.Status.SENT, RobotMessage.Status.FAILED}:
            return None
        webhook = message.webhook
        message.attempts += 1
        if not webhook.enabled:
            message.status, message.last_error = RobotMessage.Status.FAILED, "robot disabled"
            message.save(update_fields=["status", "attempts", "last_error"])
            return message
        try:
            secret = secret_decrypt(webhook.secret_encrypted) if webhook.secret_encrypted else ""
        except SecretUnavailableError as error:
            message.status, message.last_error = RobotMessage.Status.FAILED, str(error)
            message.save(update_fields=["status", "attempts", "last_error"])
            return message
        result = post_message(webhook, message_render(message), secret=secret)
        now = timezone.now()
        max_attempts = int(getattr(settings, "NOTIFICATIONS_ROBOT_MAX_ATTEMPTS", 6))
        if result.ok:
            message.status, message.sent_at, message.next_retry_at, message.last_error = (
                RobotMessage.Status.SENT, now, None, "",
            )  # fmt: skip
        elif result.retryable and message.attempts < max_attempts:
            message.status, message.last_error = RobotMessage.Status.RETRYING, result.error
            message.next_retry_at = now + retry_delay(message.attempts)
        else:
            message.status, message.last_error, message.next_retry_at = RobotMessage.Status.FAILED, result.error, None
        message.save(update_fields=["status", "attempts", "last_error", "next_retry_at", "sent_at"])
    if message.status == RobotMessage.Status.FAILED:
        logger.warning(
            "robot message %s failed after %s attempts: %s", message.pk, message.attempts, message.last_error
        )
    return message


def robot_messages_overdue(*, now: datetime | None = None) -> list[int]:
    """Pending or retrying messages whose attempt is due but was lost (a broker outage): for the sweep."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=5)
    return list(
        RobotMessage.objects.filter(
            Q(status=RobotMessage.Status.RETRYING, next_retry_at__lte=stale)
            | Q(status=RobotMessage.Status.PENDING, created_at__lte=stale)
        ).values_list("pk", flat=True)[:1000]
    )
