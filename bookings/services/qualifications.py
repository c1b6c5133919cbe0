"""Qualifications: who may use an instrument unassisted. Granted and revoked by its managers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.models import Instrument
from instruments.permissions import can_manage_instrument
from sharing_platform.accounts.error_codes import AccountErrorCode
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

from ..error_codes import BookingErrorCode
from ..models import Qualification
from .locking import lock_instrument_to_manage

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def qualification_grant(
    *, instrument: Instrument, user: User, actor: User, now: datetime | None = None
) -> Qualification:
    now = now or timezone.now()
    if not can_manage_instrument(actor, instrument):
        raise DomainPermissionError(_("Only the instrument's managers can grant qualifications."))
    with transaction.atomic():
        qualification, _created = Qualification.objects.update_or_create(
            instrument=instrument,
            user=user,
            defaults={"granted_by": actor, "granted_at": now, "last_used_at": None, "revoked_at": None},
        )
    return qualification


def _user_for_qualification(*, user_id=None, username: str | None = None):
    user_model = get_user_model()
    queryset = user_model.objects.filter(is_active=True)
    if user_id not in (None, ""):
        try:
            found = queryset.filter(pk=int(user_id)).first()
        except (TypeError, ValueError):
            found = None
    elif username and username.strip():
        name = username.strip()
        found = queryset.filter(username=name).first() or (
            queryset.filter(email__iexact=name).first() if "@" in name else None
        )
    else:
        raise DomainValidationError(_("Name the user to qualify (username or e-mail)."), field="user")
    if found is None:
        raise DomainValidationError(
            _("No active user with that name."), field="user", code=AccountErrorCode.UNKNOWN_USER
        )
    return found


def qualification_grant_to(
    *,
    instrument: Instrument | int,
    actor: User,
    user_id: int | None = None,
    username: str | None = None,
    now: datetime | None = None,
) -> Qualification:
    """Grant (or renew) a user's qualification on the instrument; a revoked one is granted again."""
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        user = _user_for_qualification(user_id=user_id, username=username)
        return qualification_grant(instrument=locked, user=user, actor=actor, now=now)


def qualification_revoke(
    *, instrument: Instrument | int, actor: User, qualification_id: int, now: datetime | None = None
) -> Qualification:
    """Revoke a qualification: the user can then only book with operator assistance (where offered)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        qualification = (
            Qualification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(instrument=locked, pk=qualification_id)
            .first()
        )
        if qualification is None:
            raise DomainNotFoundError(_("No such qualification on this instrument."))
        if qualification.revoked_at is not None:
            raise DomainConflictError(
                _("This qualification is already revoked."), code=BookingErrorCode.ALREADY_REVOKED
            )
        qualification.revoked_at = now
        qualification.save(update_fields=["revoked_at"])
    return qualification
