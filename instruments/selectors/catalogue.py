"""Reads for the catalogue and the instrument registry: which instruments a person may see, with their joins."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainNotFoundError

from ..models import Instrument, InstrumentCategory, Membership, Unit, language_is_chinese, name_order
from ..permissions import is_platform_admin
from .photos import media_url

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

CATALOGUE_JOINS = ("unit__region", "category__parent")


def provider_credit_first() -> OrderBy:
    """The default order's first key (issue 18.6): the provider's credit, best first, unscored providers last, so
    trustworthy providers get more opportunities. The credit layer keeps Unit.credit_score current and replaces the
    catalogue's cache generation when it changes."""
    return F("unit__credit_score").desc(nulls_last=True)


def instrument_catalogue_queryset() -> QuerySet[Instrument]:
    """What the public catalogue lists: not retired, offered by a verified unit; by provider credit, then by name in
    the active language (a search puts relevance first: instruments.filters)."""
    return (
        Instrument.objects.active()
        .select_related(*CATALOGUE_JOINS)
        .order_by(provider_credit_first(), name_order(), "id")
    )


def instrument_visible_queryset(*, user: User | AnonymousUser) -> QuerySet[Instrument]:
    """The catalogue, plus every instrument of the units the user manages; platform admins see all."""
    queryset = Instrument.objects.select_related(*CATALOGUE_JOINS)
    if is_platform_admin(user):
        return queryset
    visible = Q(status__in=[Instrument.Status.AVAILABLE, Instrument.Status.MAINTENANCE]) & Q(
        unit__status=Unit.Status.VERIFIED
    )
    if user.is_authenticated:
        visible |= Q(unit_id__in=Membership.objects.managed_unit_ids(user))
    return queryset.filter(visible)


def instrument_get_visible(*, user: User | AnonymousUser, pk: int) -> Instrument:
    instrument = instrument_visible_queryset(user=user).filter(pk=pk).first()
    if instrument is None:
        raise DomainNotFoundError(_("No such instrument, or it is not listed."))
    return instrument


# --- The lean catalogue row (issue 14.1) ---------------------------------------------------------------------
# A catalogue page is read with values() (no model instances) and shaped by one function, row_from_values(),
# for both the API and the page. The API's InstrumentListSerializer still documents the shape (schema tests
# compare the two). To add a column: name it in CATALOGUE_COLUMNS and give it its key in row_from_values().

CATALOGUE_COLUMNS = (
    "id",
    "name",
    "name_en",
    "model_number",
    "manufacturer",
    "status",
    "location",
    "location_en",
    "original_value",
    "hourly_rate_internal",
    "hourly_rate_external",
    "deposit",
    "requires_approval",
    "requires_qualification",
    "min_credit_score",
    "created_at",
    "cover_thumbnail",
    "unit_id",
    "unit__name",
    "unit__name_en",
    "unit__status",
    "unit__credit_score",
    "unit__credit_tier",
    "unit__region_id",
    "unit__region__code",
    "unit__region__name_zh",
    "unit__region__name_en",
    "category_id",
    "category__code",
    "category__name_zh",
    "category__name_en",
    "category__parent_id",
    "category__parent__code",
    "category__parent__name_zh",
    "category__parent__name_en",
)

CENTS = Decimal("0.01")


def _money(value: Decimal) -> str:
    """As the API's DecimalField writes it: two decimals, as text."""
    return format(value.quantize(CENTS), "f")


def _moment(value) -> str:
    """As the API's DateTimeField writes it: ISO 8601 in the current time zone."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class RowShaper:
    """Turns values() rows into catalogue rows for one request: the language is read once, labels once."""

    def __init__(self):
        chinese = language_is_chinese()
        self.pick = (lambda zh, en: zh or en) if chinese else (lambda zh, en: en or zh)
        self.status_labels = {value: str(label) for value, label in Instrument.Status.choices}

    def __call__(self, row: dict) -> dict:
        pick = self.pick
        parent = None
        if row["category__parent_id"] is not None:
            parent = {
                "id": row["category__parent_id"],
                "code": row["category__parent__code"],
                "name": pick(row["category__parent__name_zh"], row["category__parent__name_en"]),
            }
        return {
            "id": row["id"],
            "display_name": pick(row["name"], row["name_en"]),
            "name": row["name"],
            "name_en": row["name_en"],
            "model_number": row["model_number"],
            "manufacturer": row["manufacturer"],
            "unit": {
                "id": row["unit_id"],
                "name": pick(row["unit__name"], row["unit__name_en"]),
                "name_zh": row["unit__name"],  # for the page's marked fallback; the API leaves both out
                "name_en": row["unit__name_en"],
                "status": row["unit__status"],
                "region": {
                    "id": row["unit__region_id"],
                    "code": row["unit__region__code"],
                    "name": pick(row["unit__region__name_zh"], row["unit__region__name_en"]),
                    "name_zh": row["unit__region__name_zh"],
                    "name_en": row["unit__region__name_en"],
                },
                "credit_score": row["unit__credit_score"],
                "credit_tier": row["unit__credit_tier"],
            },
            "category": {
                "id": row["category_id"],
                "code": row["category__code"],
                "name": pick(row["category__name_zh"], row["category__name_en"]),
                "name_zh": row["category__name_zh"],
                "name_en": row["category__name_en"],
                "parent": parent,
            },
            "status": row["status"],
            "status_display": self.status_labels.get(row["status"], row["status"]),
            "location": row["location"],
            "location_en": row["location_en"],
            "original_value": _money(row["original_value"]),
            "hourly_rate_internal": _money(row["hourly_rate_internal"]),
            "hourly_rate_external": _money(row["hourly_rate_external"]),
            "deposit": _money(row["deposit"]),
            "requires_approval": row["requires_approval"],
            "requires_qualification": row["requires_qualification"],
            "min_credit_score": row["min_credit_score"],
            "created_at": _moment(row["created_at"]),
            "thumbnail_url": media_url(row["cover_thumbnail"]),
        }


def catalogue_rows(*, queryset: QuerySet, offset: int, page_size: int) -> tuple[list[dict], bool]:
    """One page of lean catalogue rows (one query, no COUNT): the rows, and whether a next page exists."""
    values = list(queryset.values(*CATALOGUE_COLUMNS)[offset : offset + page_size + 1])
    shape = RowShaper()
    return [shape(row) for row in values[:page_size]], len(values) > page_size


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
    return list(Unit.objects.verified().managed_by(user))
