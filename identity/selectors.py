"""Reads for institutional sign-on. credit reads person verification from here (it sits above identity)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainNotFoundError

from .models import IdentityProvider, PersonAccount, SignInEvent


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
