"""Writes for member units and their memberships: register, verify, suspend, edit, members.

Every write owns one transaction, locks the unit row first (so concurrent membership changes of
one unit serialise and the "at least one unit admin" rule holds), re-checks, then writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.api.exceptions import validation_error
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

from ..error_codes import InstrumentErrorCode
from ..models import Membership, Region, Unit
from ..permissions import can_administer_unit, is_platform_admin
from ..validators import uscc_normalise, uscc_problem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Fields a unit admin may change at any time (contacts and presentation).
UNIT_CONTACT_FIELDS = (
    "name_en",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
    "accreditations",
    "description",
    "description_en",
)
# Identity fields: fixed once a platform admin has verified them (a platform admin may still correct them).
UNIT_IDENTITY_FIELDS = ("name", "kind", "credit_code", "region")
UNIT_EDITABLE_FIELDS = UNIT_CONTACT_FIELDS + UNIT_IDENTITY_FIELDS
# From which states a verification decision may be taken.
VERIFIABLE_STATUSES = (Unit.Status.PENDING, Unit.Status.SUSPENDED)


def credit_code_clean(raw: str) -> str:
    """Normalise as people type codes, then say exactly what is wrong, if anything."""
    code = uscc_normalise(raw or "")
    problem = uscc_problem(code)
    if problem:
        raise DomainValidationError(problem, field="credit_code", code=InstrumentErrorCode.INVALID_CREDIT_CODE)
    return code


def _credit_code_taken_error() -> DomainValidationError:
    return DomainValidationError(
        _("A unit with this unified social credit code is already registered."),
        field="credit_code",
        code=InstrumentErrorCode.DUPLICATE_CREDIT_CODE,
    )


def accreditations_clean(values: Iterable[Any]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise DomainValidationError(
                _("Each accreditation must be a non-empty text, for example CMA or CNAS."), field="accreditations"
            )
        if value.strip() not in cleaned:
            cleaned.append(value.strip())
    return cleaned


def _full_clean(unit: Unit) -> None:
    """Model validation as a domain error naming the first field at fault."""
    try:
        unit.full_clean(exclude=["credit_code"] if unit.credit_code else None, validate_unique=False)
    except ValidationError as error:
        raise validation_error(error) from None


def _unit_lock(unit_id: int) -> Unit:
    try:
        return Unit.objects.select_for_update().get(pk=unit_id)
    except Unit.DoesNotExist:
        raise DomainNotFoundError(_("No such unit.")) from None


def unit_register(
    *,
    actor: User | AnonymousUser,
    name: str,
    kind: str,
    credit_code: str,
    region: Region,
    name_en: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    website: str = "",
    accreditations: Iterable[str] = (),
    description: str = "",
    description_en: str = "",
) -> Unit:
    """Register a unit as pending verification; the registering user becomes its unit admin."""
    if not actor.is_authenticated:
        raise DomainPermissionError(_("Log in to register a unit."))
    code = credit_code_clean(credit_code)
    unit = Unit(
        name=(name or "").strip(),
        name_en=(name_en or "").strip(),
        kind=kind,
        credit_code=code,
        region=region,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        website=website,
        accreditations=accreditations_clean(accreditations),
        description=description,
        description_en=description_en,
        status=Unit.Status.PENDING,
    )
    _full_clean(unit)
    if Unit.objects.filter(credit_code=code).exists():
        raise _credit_code_taken_error()
    try:
        with transaction.atomic():
            unit.save()
            Membership.objects.create(user=actor, unit=unit, role=Membership.Role.ADMIN)
    except IntegrityError:
        # Two registrations of the same code at once: the unique index decides.
        unit.pk = None
        raise _credit_code_taken_error() from None
    return unit


def unit_verify(*, actor: User, unit: Unit, approved: bool, reason: str = "") -> Unit:
    """A platform admin's decision on a pending (or suspended) unit. Rejecting needs a reason."""
    if not is_platform_admin(actor):
        raise DomainPermissionError(_("Only platform administrators verify units."))
    reason = (reason or "").strip()
    if not approved and not reason:
        raise DomainValidationError(
            _("Give a reason when rejecting a unit."), field="reason", code=InstrumentErrorCode.REASON_REQUIRED
        )
    with transaction.atomic():
        locked = _unit_lock(unit.pk)
        if locked.status not in VERIFIABLE_STATUSES:
            raise DomainConflictError(
                _("Only pending or suspended units can be verified or rejected; this unit is %(status)s.")
                % {"status": locked.get_status_display().lower()},
                code=InstrumentErrorCode.WRONG_STATUS,
            )
        locked.status = Unit.Status.VERIFIED if approved else Unit.Status.REJECTED
        locked.status_reason = reason
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = actor
        locked.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by", "updated_at"])
    return locked


def unit_suspend(*, actor: User, unit: Unit, reason: str) -> Unit:
    """A platform admin suspends a verified unit (it leaves the public lists); a reason is required."""
    if not is_platform_admin(actor):
        raise DomainPermissionError(_("Only platform administrators suspend units."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            _("Give a reason for the suspension."), field="reason", code=InstrumentErrorCode.REASON_REQUIRED
        )
    with transaction.atomic():
        locked = _unit_lock(unit.pk)
        if locked.status != Unit.Status.VERIFIED:
            raise DomainConflictError(
                _("Only verified units can be suspended; this unit is %(status)s.")
                % {"status": locked.get_status_display().lower()},
                code=InstrumentErrorCode.WRONG_STATUS,
            )
        locked.status = Unit.Status.SUSPENDED
        locked.status_reason = reason
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = actor
        locked.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by", "updated_at"])
    return locked


def unit_update(*, actor: User, unit: Unit, changes: dict[str, Any]) -> Unit:
    """A unit admin edits contacts; identity fields (name, kind, code, region) only until verified.

    A rejected unit that is edited by its own admin is resubmitted: it returns to pending.
    """
    if not can_administer_unit(actor, unit):
        raise DomainPermissionError(_("Only this unit's administrators may edit it."))
    unknown = sorted(set(changes) - set(UNIT_EDITABLE_FIELDS))
    if unknown:
        raise DomainValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)},
            field=unknown[0],
            code=InstrumentErrorCode.READ_ONLY,
        )
    with transaction.atomic():
        locked = _unit_lock(unit.pk)
        identity_changes = [
            field for field in UNIT_IDENTITY_FIELDS if field in changes and changes[field] != getattr(locked, field)
        ]
        if identity_changes and locked.status == Unit.Status.VERIFIED and not is_platform_admin(actor):
            raise DomainPermissionError(
                _("A verified unit's %(fields)s can only be changed by a platform administrator.")
                % {"fields": ", ".join(identity_changes)},
                field=identity_changes[0],
                code=InstrumentErrorCode.VERIFIED_IDENTITY,
            )
        if "credit_code" in changes:
            changes = {**changes, "credit_code": credit_code_clean(changes["credit_code"])}
            if Unit.objects.filter(credit_code=changes["credit_code"]).exclude(pk=locked.pk).exists():
                raise _credit_code_taken_error()
        if "accreditations" in changes:
            changes = {**changes, "accreditations": accreditations_clean(changes["accreditations"])}
        for field, value in changes.items():
            setattr(
                locked,
                field,
                value.strip() if isinstance(value, str) and not field.startswith("description") else value,
            )
        if locked.status == Unit.Status.REJECTED and changes and not is_platform_admin(actor):
            # A rejected unit that corrects its data goes back to the verification queue.
            locked.status = Unit.Status.PENDING
            locked.status_reason = ""
            locked.status_changed_at = timezone.now()
            locked.status_changed_by = actor
        _full_clean(locked)
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise _credit_code_taken_error() from None
    return locked


def _membership_guard(actor, unit: Unit) -> None:
    if not can_administer_unit(actor, unit):
        raise DomainPermissionError(_("Only this unit's administrators manage its members."))


def _admin_count(unit: Unit) -> int:
    return Membership.objects.filter(unit=unit, role=Membership.Role.ADMIN).count()


def _last_admin_error() -> DomainConflictError:
    return DomainConflictError(
        _("A unit must keep at least one unit administrator. Make someone else an administrator first."),
        code=InstrumentErrorCode.LAST_ADMIN,
    )


def membership_add(*, actor: User, unit: Unit, user: User, role: str) -> Membership:
    """A unit admin adds a person as member, instrument manager or unit admin."""
    _membership_guard(actor, unit)
    if role not in Membership.Role.values:
        raise DomainValidationError(_("Unknown role."), field="role")
    if not user.is_active:
        raise DomainValidationError(_("This account is disabled."), field="user")
    with transaction.atomic():
        locked = _unit_lock(unit.pk)
        existing = Membership.objects.filter(unit=locked, user=user).first()
        if existing:
            raise DomainConflictError(
                _("%(user)s is already a member of this unit (%(role)s).")
                % {"user": user.get_username(), "role": existing.get_role_display().lower()},
                code=InstrumentErrorCode.ALREADY_MEMBER,
            )
        try:
            with transaction.atomic():
                membership = Membership.objects.create(unit=locked, user=user, role=role)
        except IntegrityError:
            raise DomainConflictError(
                _("%(user)s is already a member of this unit.") % {"user": user.get_username()},
                code=InstrumentErrorCode.ALREADY_MEMBER,
            ) from None
    return membership


def membership_role_change(*, actor: User, membership: Membership, role: str) -> Membership:
    _membership_guard(actor, membership.unit)
    if role not in Membership.Role.values:
        raise DomainValidationError(_("Unknown role."), field="role")
    with transaction.atomic():
        locked_unit = _unit_lock(membership.unit_id)
        locked = Membership.objects.filter(pk=membership.pk, unit=locked_unit).select_related("user").first()
        if locked is None:
            raise DomainNotFoundError(_("This person is not a member of the unit."))
        if locked.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN and _admin_count(locked_unit) <= 1:
            raise _last_admin_error()
        locked.role = role
        locked.save(update_fields=["role"])
    return locked


def membership_remove(*, actor: User, membership: Membership) -> None:
    """Unit admins remove members; anyone may leave a unit. The last unit admin cannot go."""
    if actor.pk != membership.user_id:
        _membership_guard(actor, membership.unit)
    with transaction.atomic():
        locked_unit = _unit_lock(membership.unit_id)
        locked = Membership.objects.filter(pk=membership.pk, unit=locked_unit).first()
        if locked is None:
            raise DomainNotFoundError(_("This person is not a member of the unit."))
        if locked.role == Membership.Role.ADMIN and _admin_count(locked_unit) <= 1:
            raise _last_admin_error()
        locked.delete()


def membership_ensure_member(*, unit: Unit, user: User) -> Membership:
    """The system (institutional sign-on) makes a person a member of a unit; an existing role is left alone.

    No actor: the unit chose this when its identity provider was registered with automatic membership.
    """
    with transaction.atomic():
        locked = _unit_lock(unit.pk)
        membership = Membership.objects.filter(unit=locked, user=user).first()
        if membership is None:
            membership = Membership.objects.create(unit=locked, user=user, role=Membership.Role.MEMBER)
    return membership
