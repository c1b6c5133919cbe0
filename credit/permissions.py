"""Who may see and act on a subject's credit: the subject itself, its unit admins, platform admins."""

from __future__ import annotations

from instruments.models import Unit
from instruments.permissions import can_administer_unit, is_platform_admin


def can_act_for_subject(user, subject) -> bool:
    """The person themselves, or an admin of the unit (platform admins may always step in)."""
    if not user.is_authenticated:
        return False
    if isinstance(subject, Unit):
        return can_administer_unit(user, subject)
    return is_platform_admin(user) or user.pk == subject.pk


def can_moderate(user) -> bool:
    return is_platform_admin(user)
