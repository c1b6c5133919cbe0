"""Reads for member units and memberships, with their joins stated. Shared by pages and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sharing_platform.api.exceptions import validation_error
from sharing_platform.errors import DomainNotFoundError, DomainValidationError

from ..error_codes import InstrumentErrorCode
from ..models import Instrument, Membership, Region, Unit, name_order

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Longer digit strings would overflow a 64-bit key in PostgreSQL.
MAX_ID_DIGITS = 18


class RegionFilter(django_filters.CharFilter):
    """A region by primary key or by its six-digit division code; a province includes its cities and their
    districts and counties, a city its districts and counties."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in (None, ""):
            return qs
        value = str(value).strip()
        if len(value) == 6 and value.isdigit():
            condition = Q(region__code=value) | Q(region__parent__code=value) | Q(region__parent__parent__code=value)
        elif value.isdigit() and len(value) <= MAX_ID_DIGITS:
            region_id = int(value)
            condition = Q(region_id=region_id) | Q(region__parent_id=region_id) | Q(region__parent__parent_id=region_id)
        else:
            return qs.none()
        return qs.filter(condition)


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    status = django_filters.ChoiceFilter(choices=Unit.Status.choices, label=gettext_lazy("Status"))
    kind = django_filters.ChoiceFilter(choices=Unit.Kind.choices, label=gettext_lazy("Type"))
    region = RegionFilter(label=gettext_lazy("Region (id or six-digit code)"))

    class Meta:
        model = Unit
        fields = ["q", "status", "kind", "region"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(name_en__icontains=value) | Q(credit_code__iexact=value.replace(" ", ""))
        )


def _with_instrument_count(queryset: QuerySet[Unit]) -> QuerySet[Unit]:
    """Listed (non-retired) instruments per unit, as a subquery so joins elsewhere cannot multiply it."""
    counts = (
        Instrument.objects.filter(unit=OuterRef("pk"))
        .exclude(status=Instrument.Status.RETIRED)
        .order_by()
        .values("unit")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return queryset.annotate(instrument_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))


def unit_list(*, user: User | AnonymousUser, filters: dict | None = None) -> QuerySet[Unit]:
    """Units the user may see (verified for everyone), filtered; one query per page. Bad filters are a 400."""
    queryset = _with_instrument_count(Unit.objects.visible_to(user).select_related("region"))
    if filters:
        filterset = UnitFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            raise validation_error(filterset.errors)
        queryset = filterset.qs
    return queryset.order_by(name_order(), "id")


def unit_get(*, user: User | AnonymousUser, unit_id: int | str) -> Unit:
    """A unit the user may see, or not found (invisible units are not admitted to exist)."""
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        raise DomainNotFoundError(_("No such unit.")) from None
    if not 0 < unit_id < 2**63:
        raise DomainNotFoundError(_("No such unit."))
    unit = (
        _with_instrument_count(Unit.objects.visible_to(user))
        .select_related("region__parent__parent", "status_changed_by")
        .filter(pk=unit_id)
        .first()
    )
    if unit is None:
        raise DomainNotFoundError(_("No such unit."))
    return unit


def unit_verification_queue() -> QuerySet[Unit]:
    """Units waiting for a platform admin, oldest first, with who registered them."""
    admins = Membership.objects.filter(role=Membership.Role.ADMIN).select_related("user").order_by("created_at")
    return (
        Unit.objects.filter(status=Unit.Status.PENDING)
        .select_related("region")
        .prefetch_related(Prefetch("memberships", queryset=admins, to_attr="admin_memberships"))
        .order_by("created_at", "id")
    )


def unit_membership_list(*, unit: Unit) -> QuerySet[Membership]:
    return Membership.objects.filter(unit=unit).select_related("user").order_by("role", "user__username")


def membership_get(*, unit: Unit, user_id: int | str) -> Membership:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise DomainNotFoundError(_("This person is not a member of the unit.")) from None
    if not 0 < user_id < 2**63:
        raise DomainNotFoundError(_("This person is not a member of the unit."))
    membership = Membership.objects.select_related("user", "unit").filter(unit=unit, user_id=user_id).first()
    if membership is None:
        raise DomainNotFoundError(_("This person is not a member of the unit."))
    return membership


def user_membership_list(*, user: User | AnonymousUser) -> QuerySet[Membership]:
    """The signed-in user's units and roles, one query."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("unit", "unit__region")
        .order_by(name_order(en_field="unit__name_en", zh_field="unit__name"), "unit_id")
    )


def user_role_in_unit(*, user: User | AnonymousUser, unit: Unit) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, unit=unit).values_list("role", flat=True).first()


def region_resolve(value: int | str) -> Region:
    """A region given as its primary key or as its six-digit division code."""
    raw = str(value).strip() if value is not None else ""
    region = None
    if len(raw) == 6 and raw.isdigit():
        region = Region.objects.filter(code=raw).first()
    elif raw.isdigit() and len(raw) <= MAX_ID_DIGITS:
        region = Region.objects.filter(pk=int(raw)).first()
    if region is None:
        raise DomainValidationError(
            _("Unknown region %(value)s: give a region id or a six-digit division code.") % {"value": raw or '""'},
            field="region",
            code=InstrumentErrorCode.UNKNOWN_REGION,
        )
    return region


def region_choices() -> QuerySet[Region]:
    return Region.objects.select_related("parent").order_by("code")
