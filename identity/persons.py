"""Writes about the person behind accounts: a unit admin's vouching, accounts joining a person, re-registration flags.

An account joins a person when an institution says who it is: its sign-on (identity/services.py) or a unit
admin of a unit the account is a member of (person_vouch). Staff numbers and national ids are kept only as
keyed digests (PersonIdentifier). Where no identity proves two accounts are one person but they look
alike (the same e-mail address once normalised), a ReRegistrationFlag asks a platform admin to judge.

Joining sends `person_account_joined` inside the transaction; credit answers it in the same transaction
(the person's black-list entries and negative facts follow the account), so a refused join changes nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from instruments.models import Membership, Unit
from instruments.permissions import is_platform_admin
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .error_codes import IdentityErrorCode
from .models import Person, PersonAccount, PersonIdentifier, PersonVouch, ReRegistrationFlag
from .signals import person_account_joined

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DIGEST_SALT = "identity.person-identifier"
GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def person_identifier_digest(kind: str, value: str) -> str:
    """The keyed digest of a staff number or national id (case, spaces and dashes do not count)."""
    normalised = re.sub(r"[\s\-]", "", value or "").upper()
    return salted_hmac(DIGEST_SALT, f"{kind}:{normalised}", algorithm="sha256").hexdigest()


def _identifiers(unit: Unit, staff_number: str, national_id: str) -> list[tuple[str, Unit | None, str]]:
    rows: list[tuple[str, Unit | None, str]] = []
    if staff_number.strip():
        kind = PersonIdentifier.Kind.STAFF_NUMBER
        rows.append((kind, unit, person_identifier_digest(kind, staff_number)))
    if national_id.strip():
        if not re.fullmatch(r"[0-9A-Za-z]{6,32}", re.sub(r"[\s\-]", "", national_id)):
            raise DomainValidationError(
                _("A national identity number has 6 to 32 letters and digits."),
                field="national_id",
                code=IdentityErrorCode.IDENTIFIER_INVALID,
            )
        kind = PersonIdentifier.Kind.NATIONAL_ID
        rows.append((kind, None, person_identifier_digest(kind, national_id)))
    return rows


def _people_holding(identifiers: list[tuple[str, Unit | None, str]]) -> set[int]:
    found: set[int] = set()
    for kind, unit, digest in identifiers:
        found.update(
            PersonIdentifier.objects.filter(kind=kind, unit=unit, digest=digest).values_list("person_id", flat=True)
        )
    return found


def _identifiers_add(person: Person, identifiers: list[tuple[str, Unit | None, str]]) -> None:
    for kind, unit, digest in identifiers:
        PersonIdentifier.objects.get_or_create(person=person, kind=kind, unit=unit, digest=digest)


def person_account_join(*, user: User, person: Person) -> PersonAccount:
    """Make `user` an account of `person` (the caller holds the transaction and checked it has no person)."""
    account = PersonAccount.objects.create(person=person, user=user)
    person_account_joined.send(sender=Person, user_id=user.pk, person_id=person.pk)
    return account


def person_vouch(
    *, actor: User, user: User, unit: Unit, display_name: str, staff_number: str = "", national_id: str = ""
) -> PersonVouch:
    """A unit admin says who one of the unit's members is; the account joins that person (found by identifier)."""
    if not Membership.objects.administering(actor).filter(unit=unit).exists():
        raise DomainPermissionError(
            _("Only an administrator of %(unit)s can vouch for its members.") % {"unit": unit.display_name},
            code=IdentityErrorCode.NOT_UNIT_ADMIN,
        )
    if not Membership.objects.filter(user=user, unit=unit).exists():
        raise DomainValidationError(
            _("%(user)s is not a member of %(unit)s: vouch only for your unit's members.")
            % {"user": user.get_username(), "unit": unit.display_name},
            field="user",
            code=IdentityErrorCode.NOT_A_MEMBER,
        )
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainValidationError(_("Give the person's name."), field="display_name")
    identifiers = _identifiers(unit, staff_number, national_id)
    if not identifiers:
        raise DomainValidationError(
            _("Give the person's staff number at the unit or their national identity number."),
            field="staff_number",
            code=IdentityErrorCode.IDENTIFIER_MISSING,
        )
    try:
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one vouching at a time
            if PersonVouch.objects.filter(user=user, unit=unit).exists():
                raise DomainConflictError(
                    _("%(unit)s has already vouched for %(user)s.")
                    % {"unit": unit.display_name, "user": user.get_username()},
                    code=IdentityErrorCode.ALREADY_VOUCHED,
                )
            holders = _people_holding(identifiers)
            if len(holders) > 1:
                raise DomainConflictError(
                    _("The staff number and the national identity number belong to two different people."),
                    code=IdentityErrorCode.IDENTITY_CONFLICT,
                )
            current = PersonAccount.objects.select_related("person").filter(user=user).first()
            if current is not None and holders and current.person_id not in holders:
                raise DomainConflictError(
                    _(
                        "%(user)s already belongs to another person than the one these identifiers name. "
                        "Check the numbers, or ask a platform administrator."
                    )
                    % {"user": user.get_username()},
                    code=IdentityErrorCode.IDENTITY_CONFLICT,
                )
            if current is not None:
                person = current.person
            elif holders:
                person = Person.objects.get(pk=holders.pop())
            else:
                person = Person.objects.create(display_name=display_name)
            if not person.display_name:
                person.display_name = display_name
                person.save(update_fields=["display_name"])
            _identifiers_add(person, identifiers)
            vouch = PersonVouch.objects.create(person=person, user=user, unit=unit, vouched_by=actor)
            if current is None:
                person_account_join(user=user, person=person)
    except IntegrityError:
        raise DomainConflictError(
            _("Someone vouched for this account at the same moment. Reload and check."),
            code=IdentityErrorCode.ALREADY_VOUCHED,
        ) from None
    return vouch


# --- sign-on: the institution's staff number names the person ------------------------------------


def person_for_sign_on(*, user: User, unit: Unit, staff_number: str, display_name: str) -> tuple[Person, bool]:
    """The person of an account that signed on (inside the sign-in's transaction): the account's own, else the
    one holding the staff number at the unit, else a new one. Returns (person, joined now). An account whose
    person differs from the staff number's holder keeps its person and is flagged for a platform admin."""
    identifiers = _identifiers(unit, staff_number, "") if staff_number else []
    holders = _people_holding(identifiers)
    current = PersonAccount.objects.select_related("person").filter(user=user).first()
    if current is not None:
        if holders and current.person_id not in holders:
            other = PersonAccount.objects.filter(person_id__in=holders).order_by("pk").first()
            if other is not None:
                _flag(user, other.user, ReRegistrationFlag.Signal.IDENTITY_CONFLICT, "staff number at the unit")
        else:
            _identifiers_add(current.person, identifiers)
        return current.person, False
    person = Person.objects.get(pk=min(holders)) if holders else Person.objects.create(display_name=display_name)
    _identifiers_add(person, identifiers)
    person_account_join(user=user, person=person)
    return person, True


# --- re-registration where no identity proves it -----------------------------------------------


def email_canonical(email: str) -> str:
    """The address as a mailbox: case ignored, a +tag dropped, and for Gmail the dots of the local part."""
    local, _sep, domain = (email or "").strip().lower().rpartition("@")
    if not local or not domain:
        return ""
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _flag(account: User, other: User, signal: str, detail: str) -> ReRegistrationFlag | None:
    try:
        with transaction.atomic():
            flag, _created = ReRegistrationFlag.objects.get_or_create(
                account=account, other_account=other, signal=signal, defaults={"detail": detail[:300]}
            )
    except IntegrityError:
        return None
    return flag


def _mailbox_pattern(canonical: str) -> str:
    """A regular expression for every address that is this mailbox (tags, and Gmail's dots, allowed)."""
    local, _sep, domain = canonical.rpartition("@")
    if domain == "gmail.com":
        letters = r"\.?".join(re.escape(char) for char in local)
        return rf"^\.?{letters}\.?(\+.*)?@(gmail|googlemail)\.com$"
    return rf"^{re.escape(local)}(\+.*)?@{re.escape(domain)}$"


def reregistration_check(*, user: User) -> list[ReRegistrationFlag]:
    """Flag the earlier accounts whose e-mail address is the same mailbox as this account's, unless they are
    the same person already (one query for the candidates, matched by a regular expression in the database)."""
    canonical = email_canonical(user.email)
    if not canonical:
        return []
    own_person = PersonAccount.objects.filter(user=user).values_list("person_id", flat=True).first()
    candidates = get_user_model().objects.filter(pk__lt=user.pk, email__iregex=_mailbox_pattern(canonical))
    flags = []
    for other in candidates.only("pk", "email").order_by("pk"):
        if email_canonical(other.email) != canonical:
            continue
        if own_person is not None and PersonAccount.objects.filter(user=other, person_id=own_person).exists():
            continue
        flag = _flag(user, other, ReRegistrationFlag.Signal.EMAIL, canonical)
        if flag is not None:
            flags.append(flag)
    return flags


def reregistration_flag_decide(
    *, flag: ReRegistrationFlag, admin: User, same_person: bool, reason: str
) -> ReRegistrationFlag:
    """A platform admin judges a flag: the same person (the accounts join one person) or different people."""
    if not is_platform_admin(admin):
        raise DomainPermissionError(_("Only platform administrators judge possible re-registrations."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(_("A reason is required."), field="reason")
    with transaction.atomic():
        flag = ReRegistrationFlag.objects.select_for_update().select_related("account", "other_account").get(pk=flag.pk)
        if flag.status != ReRegistrationFlag.Status.OPEN:
            raise DomainConflictError(_("This flag has already been decided."), code=IdentityErrorCode.ALREADY_DECIDED)
        if same_person:
            _accounts_join(flag.account, flag.other_account)
        flag.status = ReRegistrationFlag.Status.LINKED if same_person else ReRegistrationFlag.Status.DISMISSED
        flag.decided_by, flag.decided_at, flag.decision_reason = admin, timezone.now(), reason
        flag.save()
    return flag


def _accounts_join(account: User, other: User) -> None:
    persons = dict(PersonAccount.objects.filter(user__in=[account, other]).values_list("user_id", "person_id"))
    mine, theirs = persons.get(account.pk), persons.get(other.pk)
    if mine is not None and theirs is not None:
        if mine == theirs:
            return
        raise DomainConflictError(
            _("Both accounts already belong to different people; they cannot be joined here."),
            code=IdentityErrorCode.IDENTITY_CONFLICT,
        )
    if theirs is not None:
        person_account_join(user=account, person=Person.objects.get(pk=theirs))
    elif mine is not None:
        person_account_join(user=other, person=Person.objects.get(pk=mine))
    else:
        person = Person.objects.create(display_name=other.get_full_name() or other.get_username())
        person_account_join(user=other, person=person)
        person_account_join(user=account, person=person)
