"""Platform statistics: a fixed handful of set-based aggregate queries, whatever the size of the tables."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from ..models import Instrument, InstrumentCategory, Region, Unit

LISTED = Q(instruments__status__in=[Instrument.Status.AVAILABLE, Instrument.Status.MAINTENANCE])
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=2))


@dataclass(frozen=True)
class CategoryFigure:
    id: int
    code: str
    name: str
    instruments: int
    original_value: Decimal


@dataclass(frozen=True)
class RegionFigure:
    id: int
    code: str
    name: str
    units: int
    instruments: int
    original_value: Decimal


@dataclass(frozen=True)
class PlatformStats:
    verified_units: int
    active_instruments: int
    total_original_value: Decimal
    by_category: list[CategoryFigure]
    by_region: list[RegionFigure]

    @property
    def largest_category_count(self) -> int:
        return max((figure.instruments for figure in self.by_category), default=0)

    @property
    def largest_region_count(self) -> int:
        return max((figure.instruments for figure in self.by_region), default=0)


def _money(value) -> Decimal:
    return (value or Decimal("0")).quantize(Decimal("0.01"))


def platform_stats() -> PlatformStats:
    """Verified units, active instruments and their value, by top-level category and by province.

    Six queries: two totals, two grouped aggregates, and the names of the groups.
    """
    active = Instrument.objects.active().order_by()
    verified_units = Unit.objects.verified().count()
    totals = active.aggregate(count=Count("id"), value=Coalesce(Sum("original_value"), ZERO))

    # A child category counts towards its parent; a top-level category towards itself.
    by_top_category = (
        active.annotate(top=Coalesce("category__parent_id", "category_id"))
        .values("top")
        .annotate(count=Count("id"), value=Coalesce(Sum("original_value"), ZERO))
    )
    category_rows = {row["top"]: row for row in by_top_category}
    categories = InstrumentCategory.objects.filter(pk__in=category_rows).only("id", "code", "name_en", "name_zh")
    by_category = sorted(
        (
            CategoryFigure(
                id=category.pk,
                code=category.code,
                name=category.name,
                instruments=category_rows[category.pk]["count"],
                original_value=_money(category_rows[category.pk]["value"]),
            )
            for category in categories
        ),
        key=lambda figure: (-figure.instruments, figure.code),
    )

    # Regions are provinces, cities and districts (up to three levels): group by the province.
    province = Coalesce("region__parent__parent_id", "region__parent_id", "region_id")
    by_province = (
        Unit.objects.verified()
        .order_by()
        .annotate(province=province)
        .values("province")
        .annotate(
            units=Count("id", distinct=True),
            instrument_count=Count("instruments", filter=LISTED),
            value=Coalesce(Sum("instruments__original_value", filter=LISTED), ZERO),
        )
    )
    region_rows = {row["province"]: row for row in by_province}
    regions = Region.objects.filter(pk__in=region_rows).only("id", "code", "name_en", "name_zh")
    by_region = sorted(
        (
            RegionFigure(
                id=region.pk,
                code=region.code,
                name=region.name,
                units=region_rows[region.pk]["units"],
                instruments=region_rows[region.pk]["instrument_count"],
                original_value=_money(region_rows[region.pk]["value"]),
            )
            for region in regions
        ),
        key=lambda figure: (-figure.instruments, figure.code),
    )
    return PlatformStats(
        verified_units=verified_units,
        active_instruments=totals["count"],
        total_original_value=_money(totals["value"]),
        by_category=by_category,
        by_region=by_region,
    )
