"""Reads for the catalogue and the instrument registry: which instruments a person may see, with their joins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainNotFoundError

from ..models import Instrument, InstrumentCategory, Membership, Unit, name_order

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

CATALOGUE_JOINS = ("unit__region", "category__parent")


def instrument_catalogue_queryset() -> QuerySet[Instrument]:
    """What the public catalogue lists: not retired, offered by a verified unit; by name in the active language
    (an index serves each language's order)."""
    return Instrument.objects.active().select_related(*CATALOGUE_JOINS).order_by(name_order(), "id")


def instrument_visible_queryset(*, user: User | AnonymousUser) -> QuerySet[Instrument]:
    """The catalogue, plus every instrument of the units the user manages; platform admins see all."""
    queryset = Instrument.objects.select_related(*CATALOGUE_JOINS)
    if user.is_authenticated and user.is_staff:
        return queryset
    visible = Q(status__in=[Instrument.Status.AVAILABLE, Instrument.Status.MAINTENANCE]) & Q(
        unit__status=Unit.Status.VERIFIED
    )
    if user.is_authenticated:
        managed_units = Membership.objects.filter(
            user=user, role__in=[Membership.Role.MANAGER, Membership.Role.ADMIN]
        ).values("unit_id")
        visible |= Q(unit_id__in=managed_units)
    return queryset.filter(visible)


def instrument_get_visible(*, user: User | AnonymousUser, pk: int) -> Instrument:
    instrument = instrument_visible_queryset(user=user).filter(pk=pk).first()
    if instrument is None:
        raise DomainNotFoundError(_("No such instrument, or it is not listed."))
    return instrument


def catalogue_page(*, queryset: QuerySet, page_number: int, page_size: int) -> tuple[list, bool]:
    """One page without COUNT(*): fetch one row more than the page to know whether a next page exists."""
    offset = (page_number - 1) * page_size
    rows = list(queryset[offset : offset + page_size + 1])
    return rows[:page_size], len(rows) > page_size


def category_tree() -> list[InstrumentCategory]:
    """Top-level categories with their children: two queries, whatever the size of the tree."""
    return list(InstrumentCategory.objects.filter(parent__isnull=True).prefetch_related("children"))


def unit_for_instrument_create(*, pk: int) -> Unit:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise DomainNotFoundError(_("No such unit."))
    return unit


def units_where_user_lists_instruments(*, user: User | AnonymousUser) -> list[Unit]:
    """Verified units in which the user may list instruments (for the 'list an instrument' links)."""
    if not user.is_authenticated:
        return []
    return list(
        Unit.objects.verified().filter(
            memberships__user=user, memberships__role__in=[Membership.Role.MANAGER, Membership.Role.ADMIN]
        )
    )
