"""Reads for institutional sign-on. credit reads person verification from here (it sits above identity)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainNotFoundError

from .models import IdentityProvider, PersonAccount, PersonVouch, ReRegistrationFlag, SignInEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def identity_provider_list() -> QuerySet[IdentityProvider]:
    """Every provider with its unit (admin list, API): one query."""
    return IdentityProvider.objects.select_related("unit").order_by("unit__name", "display_name", "pk")


def identity_provider_get(*, provider_id: int) -> IdentityProvider:
    provider = IdentityProvider.objects.select_related("unit").filter(pk=provider_id).first()
    if provider is None:
        raise DomainNotFoundError(_("No such identity provider."))
    return provider


def identity_provider_sign_in_list() -> list[IdentityProvider]:
    """The enabled providers the sign-in page offers, by unit name."""
    return list(identity_provider_list().filter(enabled=True))


def users_verified_by_institution(user_ids: Iterable[int]) -> dict[int, int]:
    """{user id: provider id} for the accounts whose person an enabled provider's institution has verified.

    One query. A provider that has been disabled no longer vouches for anybody.
    """
    rows = PersonAccount.objects.filter(
        user_id__in=list(user_ids), person__verified_by__isnull=False, person__verified_by__enabled=True
    ).values_list("user_id", "person__verified_by_id")
    return dict(rows)


def sign_in_event_list(*, provider: IdentityProvider | None = None) -> QuerySet[SignInEvent]:
    events = SignInEvent.objects.select_related("provider", "user")
    return events.filter(provider=provider) if provider is not None else events


# --- the person behind accounts ---------------------------------------------------------------


def person_sibling_user_ids(user_ids: Iterable[int]) -> dict[int, list[int]]:
    """{user id: the other accounts of the same person} for the given accounts that share a person (one query)."""
    ids = list(user_ids)
    if not ids:
        return {}
    people = PersonAccount.objects.filter(user_id__in=ids).values("person_id")
    by_person: dict[int, list[int]] = defaultdict(list)
    for user_id, person_id in PersonAccount.objects.filter(person_id__in=people).values_list("user_id", "person_id"):
        by_person[person_id].append(user_id)
    wanted = set(ids)
    return {
        user_id: sorted(other for other in accounts if other != user_id)
        for accounts in by_person.values()
        if len(accounts) > 1
        for user_id in accounts
        if user_id in wanted
    }


@dataclass(frozen=True)
class PersonOfAccount:
    """What the account holder may see of the person their account belongs to."""

    display_name: str
    verified_by: str  # the institution's sign-on that verified them, or ""
    vouched_by_units: tuple[str, ...]
    other_accounts: int


def person_of_account(user: User) -> PersonOfAccount | None:
    """The person behind the account, or None (two queries)."""
    account = PersonAccount.objects.select_related("person__verified_by").filter(user=user).first()
    if account is None:
        return None
    person = account.person
    vouches = PersonVouch.objects.filter(person=person).select_related("unit").order_by("created_at", "pk")
    units = tuple(dict.fromkeys(vouch.unit.display_name for vouch in vouches))
    return PersonOfAccount(
        display_name=person.display_name,
        verified_by=person.verified_by.name if person.verified_by else "",
        vouched_by_units=units,
        other_accounts=PersonAccount.objects.filter(person=person).exclude(user=user).count(),
    )


def person_vouch_list(*, unit_ids: Iterable[int] | QuerySet) -> QuerySet[PersonVouch]:
    """The vouchings of the given units (ids, or a subquery of them), newest first, with who and for whom."""
    return PersonVouch.objects.filter(unit_id__in=unit_ids).select_related("user", "unit", "vouched_by")


def reregistration_flag_list(*, status: str | None = ReRegistrationFlag.Status.OPEN) -> QuerySet[ReRegistrationFlag]:
    """Possible re-registrations for platform admins (open ones by default), with both accounts (one query)."""
    rows = ReRegistrationFlag.objects.select_related("account", "other_account", "decided_by")
    return rows.filter(status=status) if status else rows


def reregistration_flag_get(*, flag_id: int) -> ReRegistrationFlag:
    flag = ReRegistrationFlag.objects.filter(pk=flag_id).first()
    if flag is None:
        raise DomainNotFoundError(_("No such flag."))
    return flag
