"""Writes for people's accounts: registration with e-mail confirmation, and API tokens."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .error_codes import AccountErrorCode

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

EMAIL_CONFIRM_SALT = "accounts.email-confirm"
EMAIL_CONFIRM_MAX_AGE = timedelta(days=3)


def email_in_use(email: str, *, exclude_user_id: int | None = None) -> bool:
    """Whether an account already uses this address (case-insensitively); the database holds the same rule."""
    rows = get_user_model().objects.filter(email__iexact=email.strip())
    if exclude_user_id is not None:
        rows = rows.exclude(pk=exclude_user_id)
    return bool(email.strip()) and rows.exists()


def user_register(*, username: str, email: str, password: str, site_url: str) -> User:
    """Create an active user whose e-mail address waits for confirmation, and mail that address.

    The answer must not tell whether the address belongs to someone: the account is created the
    same way either way, without an address, and the message goes to the address: a confirmation link when it
    is free, a notice to its owner when an account already uses it. Only the username's uniqueness is
    reported, since signing up needs it. `site_url` is the absolute root of the site, for the link.
    """
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).strip()
    try:
        with transaction.atomic():
            user = user_model(username=username, email="")
            user.set_password(password)
            user.save()
            transaction.on_commit(lambda: _registration_mail_send(user=user, email=email, site_url=site_url))
    except IntegrityError:
        raise DomainValidationError(
            _("A user with that username already exists."), field="username", code=AccountErrorCode.DUPLICATE
        ) from None
    return user


def email_confirm_token(*, user: User, email: str) -> str:
    """A signed, expiring token naming the account and the address (nothing is stored)."""
    return signing.dumps({"user": user.pk, "email": email}, salt=EMAIL_CONFIRM_SALT, compress=True)


def _registration_mail_send(*, user: User, email: str, site_url: str) -> None:
    """After commit. A mail outage must not turn a created account into an error: the failure is logged."""
    site_url = site_url.rstrip("/")
    owner = get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk).first()
    context: dict[str, object] = {"username": user.get_username(), "site_url": site_url}
    if owner is None:
        token = email_confirm_token(user=user, email=email)
        context["link"] = site_url + reverse("email-confirm", args=[token])
        context["days"] = EMAIL_CONFIRM_MAX_AGE.days
        subject = _("Confirm your e-mail address")
        template = "registration/email/confirm_body.txt"
    else:
        context["owner"] = owner.get_username()
        context["login_link"] = site_url + reverse("login")
        subject = _("Someone tried to sign up with your e-mail address")
        template = "registration/email/address_in_use_body.txt"
    try:
        send_mail(subject, render_to_string(template, context), None, [email])
    except Exception:
        logger.exception("could not send the registration mail of user %s", user.pk)


def email_confirm(*, token: str) -> User:
    """Attach the address the token names to its account, if it is still free. Idempotent."""
    try:
        payload = signing.loads(token, salt=EMAIL_CONFIRM_SALT, max_age=EMAIL_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainValidationError(
            _("This confirmation link has expired. Sign up again to get a new one."), code=AccountErrorCode.LINK_EXPIRED
        ) from None
    except signing.BadSignature:
        raise DomainValidationError(
            _("This confirmation link is not valid."), code=AccountErrorCode.LINK_INVALID
        ) from None
    user_model = get_user_model()
    email = payload["email"]
    try:
        with transaction.atomic():
            user = user_model.objects.select_for_update().filter(pk=payload["user"], is_active=True).first()
            if user is None:
                raise DomainValidationError(
                    _("This confirmation link is not valid."), code=AccountErrorCode.LINK_INVALID
                )
            if user.email.lower() == email.lower():
                return user
            if email_in_use(email, exclude_user_id=user.pk):
                raise DomainConflictError(
                    _("Another account has confirmed this e-mail address in the meantime."),
                    code=AccountErrorCode.EMAIL_TAKEN,
                )
            user.email = email
            user.save(update_fields=["email"])
    except IntegrityError:
        raise DomainConflictError(
            _("Another account has confirmed this e-mail address in the meantime."), code=AccountErrorCode.EMAIL_TAKEN
        ) from None
    return user


def api_token_create(*, user: User) -> tuple[AuthToken, str]:
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
