"""Writes of the partners app. Bookings and credit are changed only through their own services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Booking
from bookings.services import booking_cancel, booking_create
from credit.models import ExternalCreditReport
from credit.services import external_report_create
from instruments.models import Unit
from instruments.validators import uscc_normalise
from sharing_platform.accounts.error_codes import AccountErrorCode
from sharing_platform.accounts.services import email_in_use
from sharing_platform.errors import DomainConflictError, DomainNotFoundError, DomainValidationError

from . import selectors, webhooks
from .error_codes import PartnerErrorCode
from .models import (
    IdempotencyRecord,
    Partner,
    PartnerCreditReport,
    PartnerKey,
    PartnerUser,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

# A report dated this far in the future is refused (clocks differ a little, not by days).
REPORT_CLOCK_SKEW = timedelta(minutes=5)


# --- Partners and keys ------------------------------------------------------------------------


def _scopes_check(scopes: list[str]) -> None:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise DomainValidationError(
            _("Unknown scopes: %(scopes)s. Known: %(known)s.")
            % {"scopes": ", ".join(unknown), "known": ", ".join(Scope.values)},
            field="scopes",
        )


def partner_key_issue(
    *, partner: Partner, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[PartnerKey, str]:
    """A new key for a partner. Returns the row and the raw key, which is shown once and never stored."""
    _scopes_check(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainValidationError(_("The expiry must be in the future."), field="expires_at")
    with transaction.atomic():
        return PartnerKey.objects.create_key(  # type: ignore[return-value]  # the library types it as AbstractAPIKey
            partner=partner, name=name[:50], scopes=sorted(set(scopes)), expiry_date=expires_at
        )


def partner_key_update(
    *, key: PartnerKey, partner: Partner, name: str, scopes: list[str], expires_at: datetime | None
) -> PartnerKey:
    """Change a key's label, partner, scopes or expiry (the admin's change form). A changed expiry must lie in
    the future; a revoked key keeps its partner and scopes (the admin shows them read-only)."""
    _scopes_check(scopes)
    if expires_at is not None and expires_at != key.expiry_date and expires_at <= timezone.now():
        raise DomainValidationError(_("The expiry must be in the future."), field="expires_at")
    key.partner, key.name, key.scopes, key.expiry_date = partner, name[:50], sorted(set(scopes)), expires_at
    with transaction.atomic():
        key.save(update_fields=["partner", "name", "scopes", "expiry_date"])
    return key


def partner_key_revoke(*, key: PartnerKey) -> PartnerKey:
    """Revoke for good (the library refuses to un-revoke)."""
    PartnerKey.objects.filter(pk=key.pk).update(revoked=True)
    key.refresh_from_db()
    return key


# --- Users on behalf of the partner -----------------------------------------------------------


def partner_user_upsert(
    *, partner: Partner, external_id: str, email: str = "", name: str = ""
) -> tuple[PartnerUser, bool]:
    """Map the partner's external_id to a platform user, creating the user the first time.

    The user is always a new account owned by this partner: an email that matches an existing
    account is not linked to it (that would let a partner act as someone else), and is refused with
    409: another account's address, in any case, stays that account's alone, so unit
    admins can still add its owner by it. The database holds the same rule (accounts migration 0001).
    """
    external_id = (external_id or "").strip()
    if not external_id:
        raise DomainValidationError(_("Give the user's external_id."), field="external_id")
    user_model = get_user_model()
    email = (email or "").strip()
    first, _sep, last = (name or "").strip().partition(" ")
    try:
        return _partner_user_write(
            partner=partner, external_id=external_id, email=email, first=first, last=last, user_model=user_model
        )
    except IntegrityError:
        # Two requests claiming one address at once: the database's unique e-mail index decides.
        if email and email_in_use(email):
            raise _email_taken_error() from None
        raise


def _email_taken_error() -> DomainConflictError:
    return DomainConflictError(
        _(
            "Another account already uses this e-mail address. A partner cannot give it to one of its users; "
            "leave the e-mail empty, or ask the person to sign in with their own account."
        ),
        field="email",
        code=AccountErrorCode.EMAIL_TAKEN,
    )


def _partner_user_write(
    *, partner: Partner, external_id: str, email: str, first: str, last: str, user_model
) -> tuple[PartnerUser, bool]:
    with transaction.atomic():
        existing = (
            PartnerUser.objects.select_for_update()
            .select_related("user")
            .filter(partner=partner, external_id=external_id)
            .first()
        )
        if email and email_in_use(email, exclude_user_id=existing.user_id if existing else None):
            raise _email_taken_error()
        if existing is not None:
            user = existing.user
            changed = {"email": email or user.email, "first_name": first[:150] or user.first_name,
                       "last_name": last[:150] or user.last_name}  # fmt: skip
            if any(getattr(user, field) != value for field, value in changed.items()):
                for field, value in changed.items():
                    setattr(user, field, value)
                user.save(update_fields=list(changed))
            return existing, False
        user = user_model(
            username=f"partner{partner.pk}-{uuid.uuid4().hex[:16]}",
            email=email,
            first_name=first[:150],
            last_name=last[:150],
        )
        user.set_unusable_password()
        user.save()
        try:
            with transaction.atomic():
                link = PartnerUser.objects.create(partner=partner, external_id=external_id, user=user)
        except IntegrityError:
            raise DomainConflictError(
                _("A user with this external_id is being created by another request; retry."), field="external_id"
            ) from None
    return link, True


def _partner_user_require(partner: Partner, external_id: str) -> PartnerUser:
    link = selectors.partner_user_get(partner=partner, external_id=external_id)
    if link is None:
        raise DomainValidationError(
            _("No user with external_id '%(id)s' for your organisation; create it at /api/v1/partner/users/ first.")
            % {"id": external_id},
            field="external_id",
            code=AccountErrorCode.UNKNOWN_USER,
        )
    return link


def partner_booking_create(
    *,
    partner: Partner,
    external_id: str,
    instrument_id: int,
    start: datetime,
    end: datetime,
    purpose: str,
    project_code: str = "",
    operator_assisted: bool = False,
) -> Booking:
    """Book as the partner's user: the bookings service applies every rule as for that user."""
    link = _partner_user_require(partner, external_id)
    booking = booking_create(
        instrument=instrument_id,
        requester=link.user,
        start=start,
        end=end,
        purpose=purpose,
        project_code=project_code,
        operator_assisted=operator_assisted,
    )
    return _booking_reread(partner, booking.pk)


def partner_booking_cancel(*, partner: Partner, booking_id: int, reason: str = "") -> Booking:
    """Cancel as the requester (the partner's user). Another partner's booking is simply not found."""
    booking = selectors.partner_booking_get(partner=partner, pk=booking_id)
    if booking is None:
        raise DomainNotFoundError(_("No such booking for your organisation."))
    booking_cancel(booking_id=booking.pk, actor=booking.requester, reason=reason)
    return _booking_reread(partner, booking.pk)


def _booking_reread(partner: Partner, pk: int) -> Booking:
    booking = selectors.partner_booking_get(partner=partner, pk=pk)
    if booking is None:  # cannot happen: the partner's own booking, just written
        raise DomainNotFoundError(_("No such booking for your organisation."))
    return booking


# --- Webhooks ---------------------------------------------------------------------------------


def webhook_endpoint_create(*, partner: Partner, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    """Register a receiver. Its secret is returned on this object and shown to the partner once."""
    problem = webhooks.url_problem(url)
    if problem:
        raise DomainValidationError(problem, field="url", code=PartnerErrorCode.URL_REFUSED)
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events or unknown:
        raise DomainValidationError(
            _("Choose events among: %(known)s.") % {"known": ", ".join(WebhookEvent.values)}, field="events"
        )
    endpoint = WebhookEndpoint(
        partner=partner,
        url=url,
        events=sorted(set(events)),
        secret=webhooks.secret_generate(),
        description=description,
    )
    try:
        endpoint.full_clean()
    except ValidationError as error:
        raise DomainValidationError(" ".join(error.messages), field="url") from error
    with transaction.atomic():
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, partner: Partner, endpoint_id: int) -> None:
    """Stop sending to an endpoint. The row stays (inactive) so its delivery log survives for admins."""
    with transaction.atomic():
        updated = WebhookEndpoint.objects.filter(partner=partner, pk=endpoint_id, is_active=True).update(
            is_active=False
        )
    if not updated:
        raise DomainNotFoundError(_("No such webhook endpoint."))


# --- External credit reports ------------------------------------------------------------------


def _report_subject(*, partner: Partner, unit_credit_code: str, user_id: int | None, user_external_id: str):
    given = [bool(unit_credit_code), user_id is not None, bool(user_external_id)]
    if sum(given) != 1:
        raise DomainValidationError(
            _("Name exactly one subject: unit_credit_code, user_id or user_external_id."), field="subject"
        )
    if unit_credit_code:
        unit = Unit.objects.filter(credit_code=uscc_normalise(unit_credit_code)).first()
        if unit is None:
            raise DomainValidationError(
                _("No unit with this unified social credit code."),
                field="unit_credit_code",
                code=PartnerErrorCode.UNKNOWN_SUBJECT,
            )
        return unit
    if user_external_id:
        return _partner_user_require(partner, user_external_id).user
    if user_id is None:  # cannot happen: exactly one subject was named
        raise DomainValidationError(_("Name exactly one subject: unit_credit_code, user_id or user_external_id."))
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DomainValidationError(_("No such user."), field="user_id", code=PartnerErrorCode.UNKNOWN_SUBJECT)
    return user


def partner_credit_report_submit(
    *,
    partner: Partner,
    source: str,
    score: Decimal,
    range_min: Decimal,
    range_max: Decimal,
    reported_at: datetime,
    expires_at: datetime,
    unit_credit_code: str = "",
    user_id: int | None = None,
    user_external_id: str = "",
    reference: str = "",
    now: datetime | None = None,
) -> ExternalCreditReport:
    """Validate, store through credit's service (which normalises the score into the external dimension
    and queues the subject's recompute on commit), and remember which partner sent it."""
    now = now or timezone.now()
    subject = _report_subject(
        partner=partner, unit_credit_code=unit_credit_code, user_id=user_id, user_external_id=user_external_id
    )
    if range_max <= range_min:
        raise DomainValidationError(_("range_max must be greater than range_min."), field="range_max")
    if not range_min <= score <= range_max:
        raise DomainValidationError(
            _("The score %(score)s lies outside the range %(min)s..%(max)s.")
            % {"score": score, "min": range_min, "max": range_max},
            field="score",
            code=PartnerErrorCode.SCORE_OUT_OF_RANGE,
        )
    if expires_at <= reported_at:
        raise DomainValidationError(_("expires_at must be after reported_at."), field="expires_at")
    if reported_at > now + REPORT_CLOCK_SKEW:
        raise DomainValidationError(_("reported_at lies in the future."), field="reported_at")
    if expires_at <= now:
        raise DomainValidationError(_("This report has already expired."), field="expires_at")
    with transaction.atomic():
        report = external_report_create(
            subject=subject,
            source=source,
            score=score,
            range_min=range_min,
            range_max=range_max,
            reported_at=reported_at,
            expires_at=expires_at,
            reference=reference,
        )
        PartnerCreditReport.objects.create(partner=partner, report=report)
    return report


# --- Housekeeping -----------------------------------------------------------------------------


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Forget Idempotency-Keys older than their time to live."""
    from .idempotency import idempotency_ttl

    now = now or timezone.now()
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=now - idempotency_ttl()).delete()
    return deleted


def webhook_deliveries_overdue(*, now: datetime | None = None, grace: timedelta = timedelta(minutes=5)) -> list[int]:
    """Deliveries whose next attempt is long overdue (its queued message was lost): to be queued again."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
        )
        .filter(Q(next_retry_at__lt=now - grace) | Q(next_retry_at__isnull=True, created_at__lt=now - grace))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
