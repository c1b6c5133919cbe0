"""Reads for group robots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from instruments.models import Membership, Unit
from instruments.permissions import is_platform_admin
from sharing_platform.errors import DomainNotFoundError

from .models import RobotMessage, RobotWebhook

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def units_administered(user: User) -> QuerySet[Unit]:
    return Unit.objects.administered_by(user).order_by("name")


def robot_webhook_list(*, user: User) -> QuerySet[RobotWebhook]:
    """The person's own robots and those of the units they administer (platform admins: all). One query."""
    robots = RobotWebhook.objects.select_related("unit", "user").order_by("pk")
    if is_platform_admin(user):
        return robots
    administered = Membership.objects.administered_unit_ids(user)
    return robots.filter(Q(user=user) | Q(unit_id__in=administered))


def robot_webhook_get(*, user: User, webhook_id: int) -> RobotWebhook:
    robot = robot_webhook_list(user=user).filter(pk=webhook_id).first()
    if robot is None:
        from django.utils.translation import gettext as _

        raise DomainNotFoundError(_("No such robot."))
    return robot


def robot_dedup_keys_told(keys: list[str]) -> set[str]:
    """Which of these facts (dedup keys) some robot was told, or is being told (its message has not failed)."""
    return set(
        RobotMessage.objects.filter(dedup_key__in=keys)
        .exclude(status=RobotMessage.Status.FAILED)
        .values_list("dedup_key", flat=True)
        .distinct()
    )
