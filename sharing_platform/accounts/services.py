"""Writes for people's accounts: registration and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from sharing_platform.errors import DomainPermissionError, DomainValidationError

from .error_codes import AccountErrorCode


def user_register(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """Create an active user; input is validated by the caller (form or serializer), the database has the last word."""
    user_model = get_user_model()
    try:
        with transaction.atomic():
            user = user_model(username=username, email=user_model.objects.normalize_email(email))
            user.set_password(password)
            user.save()
    except IntegrityError:
        raise DomainValidationError(
            _("A user with that username already exists."), field="username", code=AccountErrorCode.DUPLICATE
        ) from None
    return user


def api_token_create(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """A new hashed, expiring knox token; refuses when the user already holds the configured maximum."""
    limit = settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    now = timezone.now()
    with transaction.atomic():
        # Expired tokens are useless; dropping them keeps the limit about live sessions.
        AuthToken.objects.filter(user=user, expiry__lte=now).delete()
        if limit is not None:
            live = AuthToken.objects.filter(user=user).filter(Q(expiry__gt=now) | Q(expiry__isnull=True)).count()
            if live >= limit:
                raise DomainPermissionError(
                    _("You already hold %(limit)d active tokens. Log out of another session first.") % {"limit": limit},
                    code=AccountErrorCode.TOKEN_LIMIT,
                )
        return AuthToken.objects.create(user=user)
