"""Writes for institutional sign-on: providers (platform admins), sign-ins, links, single log-out, the audit trail.

A sign-in is one transaction: find or create the account keyed by (provider, external id), record
that the institution vouched for the person, add the unit membership the provider asks for. A
refusal raises before anything is written and is recorded by sign_in_event_record, outside the
refused transaction, so the audit row survives.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.error_codes import IdentityErrorCode
from instruments.permissions import is_platform_admin
from instruments.services.units import membership_ensure_member
from sharing_platform.api.exceptions import error_items
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError
from sharing_platform.secret_box import secret_encrypt

from .models import CasSession, ExternalIdentity, IdentityProvider, Person, SignInEvent
from .persons import person_for_sign_on
from .protocols import ExternalProfile, SignInRefusedError
from .signals import person_verified

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger("identity.sign_in")

PROVIDER_FIELDS = (
    "unit",
    "display_name",
    "display_name_en",
    "protocol",
    "enabled",
    "auto_membership",
    "server_url",
    "timeout_seconds",
    "cas_version",
    "ldap_tls",
    "ldap_tls_verify",
    "ldap_ca_certificate",
    "ldap_bind_mode",
    "ldap_user_dn_template",
    "ldap_bind_dn",
    "ldap_search_base",
    "ldap_search_filter",
    "oidc_client_id",
    "oidc_scopes",
    "secret_env_var",
    "attribute_map",
)


# --- providers (platform admins) --------------------------------------------------------------


def _require_platform_admin(actor) -> None:
    if not is_platform_admin(actor):
        raise DomainPermissionError(_("Only platform administrators manage identity providers."))


def _full_clean(provider: IdentityProvider) -> None:
    try:
        provider.full_clean()
    except ValidationError as error:
        errors = {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
        field, messages = next(iter(errors.items()))
        raise DomainValidationError(
            messages[0] if field == "__all__" else f"{field}: {messages[0]}",
            field=None if field == "__all__" else field,
            errors=error_items(error),
        ) from None


def _apply(provider: IdentityProvider, values: dict[str, Any], secret: str | None) -> None:
    unknown = set(values) - set(PROVIDER_FIELDS)
    if unknown:
        raise DomainValidationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in values.items():
        setattr(provider, name, value)
    if secret is not None and values.get("secret_env_var"):
        raise DomainValidationError(
            _("Give the secret or the name of the environment variable that holds it, not both."), field="secret"
        )
    if secret is not None:
        provider.secret_encrypted = secret_encrypt(secret) if secret else ""
        if secret:
            provider.secret_env_var = ""
    elif values.get("secret_env_var"):
        provider.secret_encrypted = ""


def identity_provider_create(*, actor: User, values: dict[str, Any], secret: str | None = None) -> IdentityProvider:
    """Register a unit's sign-on server. `secret` (LDAP service password, OIDC client secret) is stored encrypted."""
    _require_platform_admin(actor)
    provider = IdentityProvider()
    _apply(provider, values, secret)
    _full_clean(provider)
    with transaction.atomic():
        provider.save()
    logger.info("identity provider %s created by %s", provider.pk, actor.pk)
    return provider


def identity_provider_update(
    *, actor: User, provider: IdentityProvider, changes: dict[str, Any], secret: str | None = None
) -> IdentityProvider:
    _require_platform_admin(actor)
    with transaction.atomic():
        locked = IdentityProvider.objects.select_for_update().get(pk=provider.pk)
        if "protocol" in changes and changes["protocol"] != locked.protocol and locked.identities.exists():
            raise DomainConflictError(
                _("People already sign in through this provider; its protocol cannot change. Register a new one."),
                field="protocol",
                code=IdentityErrorCode.PROVIDER_IN_USE,
            )
        _apply(locked, changes, secret)
        _full_clean(locked)
        locked.save()
    return locked


def identity_provider_delete(*, actor: User, provider: IdentityProvider) -> None:
    """Only a provider nobody has signed in through can go; otherwise disable it (accounts keep their link)."""
    _require_platform_admin(actor)
    try:
        with transaction.atomic():
            IdentityProvider.objects.select_for_update().get(pk=provider.pk).delete()
    except ProtectedError:
        raise DomainConflictError(
            _("People have signed in through this provider, so it cannot be deleted. Disable it instead."),
            code=IdentityErrorCode.PROVIDER_IN_USE,
        ) from None


# --- the audit trail -------------------------------------------------------------------------


def sign_in_event_record(
    *,
    outcome: str,
    provider: IdentityProvider | None = None,
    protocol: str = "",
    code: str = "",
    detail: str = "",
    external_id: str = "",
    user: User | None = None,
    ip_address: str | None = None,
) -> SignInEvent:
    """One audit row and one log line per sign-in outcome (its own transaction: refusals are kept too)."""
    level = logging.WARNING if outcome == SignInEvent.Outcome.REFUSED else logging.INFO
    logger.log(
        level,
        "sign-in %s provider=%s protocol=%s code=%s external_id=%s user=%s ip=%s detail=%s",
        outcome,
        provider.pk if provider else None,
        protocol or (provider.protocol if provider else ""),
        code,
        external_id,
        user.pk if user else None,
        ip_address,
        detail,
    )
    with transaction.atomic():
        return SignInEvent.objects.create(
            outcome=outcome,
            provider=provider if provider and provider.pk else None,
            protocol=protocol or (provider.protocol if provider else ""),
            code=code[:40],
            detail=detail[:2000],
            external_id=external_id[:255],
            user=user,
            ip_address=ip_address,
        )


# --- signing in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInOutcome:
    """Either the account to log in (user), or an existing account to confirm with its password first."""

    user: User | None = None
    link_candidate: User | None = None
    created: bool = False


def provider_usable(provider: IdentityProvider | None) -> IdentityProvider:
    if provider is None:
        raise SignInRefusedError(_("That sign-in service is not known here."), code=IdentityErrorCode.PROVIDER_UNKNOWN)
    if not provider.enabled:
        raise SignInRefusedError(
            _("Signing in with %(provider)s is turned off on this platform. Use another way to sign in.")
            % {"provider": provider.name},
            code=IdentityErrorCode.PROVIDER_DISABLED,
        )
    return provider


def _verified_email(profile: ExternalProfile) -> str:
    if not (profile.email and profile.email_verified):
        return ""
    try:
        validate_email(profile.email)
    except ValidationError:
        return ""
    return get_user_model().objects.normalize_email(profile.email)


def _username_for(profile: ExternalProfile) -> str:
    user_model = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", profile.external_id)[:140] or "user"
    candidate, n = base, 1
    while user_model.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _person_verify(*, user, provider: IdentityProvider, profile: ExternalProfile, now) -> bool:
    """Record that the provider's institution vouched for the person; True when it is news. The person is the
    account's own, else the one the staff number names at the provider's unit (identity/persons.py)."""
    person, _joined = person_for_sign_on(
        user=user, unit=provider.unit, staff_number=profile.staff_number, display_name=profile.display_name
    )
    news = person.verified_by_id != provider.pk
    person.verified_by, person.verified_at = provider, now
    if profile.display_name and not person.display_name:
        person.display_name = profile.display_name
    person.save(update_fields=["verified_by", "verified_at", "display_name"])
    return news


def _identity_refresh(identity: ExternalIdentity, profile: ExternalProfile, now) -> None:
    identity.email = _verified_email(profile) or profile.email[:254]
    identity.display_name = profile.display_name
    identity.staff_number = profile.staff_number
    identity.department = profile.department
    identity.attributes = profile.attributes
    identity.last_sign_in_at = now


def _after_sign_in(*, user, provider: IdentityProvider, profile: ExternalProfile, now) -> None:
    if _person_verify(user=user, provider=provider, profile=profile, now=now):
        # Sent inside the transaction: receivers queue their work through the outbox, so it is
        # written with the verification and sent only once it commits.
        person_verified.send(sender=Person, user_id=user.pk, provider_id=provider.pk)
    if provider.auto_membership:
        membership_ensure_member(unit=provider.unit, user=user)


def _linked_elsewhere_error(user, identity: ExternalIdentity, provider: IdentityProvider) -> SignInRefusedError:
    return SignInRefusedError(
        _(
            "The account %(username)s is already linked to %(other)s. Sign in with %(other)s, "
            "or ask a platform administrator to move the link to %(provider)s."
        )
        % {"username": user.get_username(), "other": identity.provider.name, "provider": provider.name},
        code=IdentityErrorCode.LINKED_TO_ANOTHER_PROVIDER,
        detail=f"account {user.pk} linked to provider {identity.provider_id}",
    )


def external_sign_in(*, provider: IdentityProvider, profile: ExternalProfile) -> SignInOutcome:
    """The account for what the provider said: the linked one, a new one, or one to confirm by password."""
    provider_usable(provider)
    now = timezone.now()
    user_model = get_user_model()
    try:
        with transaction.atomic():
            identity = (
                ExternalIdentity.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(provider=provider, external_id=profile.external_id)
                .first()
            )
            if identity is not None:
                user = identity.user
                if not user.is_active:
                    raise SignInRefusedError(
                        _("Your account on this platform is disabled. Contact a platform administrator."),
                        code=IdentityErrorCode.ACCOUNT_DISABLED,
                    )
                _identity_refresh(identity, profile, now)
                identity.save()
                _after_sign_in(user=user, provider=provider, profile=profile, now=now)
                return SignInOutcome(user=user)
            email = _verified_email(profile)
            existing = user_model.objects.filter(email__iexact=email).order_by("pk").first() if email else None
            if existing is not None:
                linked = ExternalIdentity.objects.select_related("provider").filter(user=existing).first()
                if linked is not None:
                    raise _linked_elsewhere_error(existing, linked, provider)
                return SignInOutcome(link_candidate=existing)
            user = user_model(username=_username_for(profile), email=email, first_name=profile.display_name[:150])
            user.set_unusable_password()
            user.save()
            identity = ExternalIdentity(provider=provider, external_id=profile.external_id, user=user)
            _identity_refresh(identity, profile, now)
            identity.save()
            _after_sign_in(user=user, provider=provider, profile=profile, now=now)
            return SignInOutcome(user=user, created=True)
    except IntegrityError:
        # A concurrent first sign-in of the same person created the link first: that one stands.
        raise SignInRefusedError(
            _("You were signed in twice at the same moment. Start the sign-in again."),
            code=IdentityErrorCode.CONCURRENT_SIGN_IN,
        ) from None


class LinkPasswordRefusedError(DomainValidationError):
    """The account's owner typed a wrong password while linking; the page counts the attempts."""


def external_identity_link(*, provider: IdentityProvider, profile: ExternalProfile, user: User, password: str) -> User:
    """Link an existing account to the provider once its owner has proved it with the account's password."""
    provider_usable(provider)
    if not password or not user.check_password(password):
        raise LinkPasswordRefusedError(
            _("That is not the password of this account."), field="password", code=IdentityErrorCode.WRONG_PASSWORD
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = user.__class__.objects.select_for_update().get(pk=user.pk)
            if not locked.is_active:
                raise SignInRefusedError(
                    _("Your account on this platform is disabled. Contact a platform administrator."),
                    code=IdentityErrorCode.ACCOUNT_DISABLED,
                )
            linked = ExternalIdentity.objects.select_related("provider").filter(user=locked).first()
            if linked is not None:
                raise _linked_elsewhere_error(locked, linked, provider)
            if ExternalIdentity.objects.filter(provider=provider, external_id=profile.external_id).exists():
                raise SignInRefusedError(
                    _("This %(provider)s identity is already linked to another account.") % {"provider": provider.name},
                    code=IdentityErrorCode.IDENTITY_TAKEN,
                )
            identity = ExternalIdentity(provider=provider, external_id=profile.external_id, user=locked)
            _identity_refresh(identity, profile, now)
            identity.save()
            _after_sign_in(user=locked, provider=provider, profile=profile, now=now)
    except IntegrityError:
        raise SignInRefusedError(
            _("This %(provider)s identity is already linked to another account.") % {"provider": provider.name},
            code=IdentityErrorCode.IDENTITY_TAKEN,
        ) from None
    return locked


# --- CAS single log-out ----------------------------------------------------------------------


def cas_session_remember(*, provider: IdentityProvider, ticket: str, session_key: str, user: User) -> None:
    """Remember which session a service ticket opened; old rows (older than a session can live) go."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with transaction.atomic():
        CasSession.objects.filter(created_at__lt=cutoff).delete()
        CasSession.objects.update_or_create(
            ticket=ticket[:256], defaults={"provider": provider, "session_key": session_key, "user": user}
        )


def cas_single_logout(*, provider: IdentityProvider | None, ticket: str) -> tuple[IdentityProvider, Any] | None:
    """End the platform session the ticket opened (a CAS single log-out request): (provider, user), or None."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        rows = CasSession.objects.select_for_update(of=("self",)).select_related("provider", "user")
        row = rows.filter(ticket=ticket, **({"provider": provider} if provider else {})).first()
        if row is None:
            return None
        store(session_key=row.session_key).delete()
        row.delete()
    return row.provider, row.user
