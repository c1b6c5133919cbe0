"""The demo city platform: Baotou, 47 verified units, 945 instruments worth 350,000,000.00 CNY.

The figures are those of the city platform the product is modelled on. Its units sit in Baotou's
districts and counties: Inner Mongolia's universities, institutes, metrology and inspection centres,
hospitals and enterprises. The institutions are named after real ones in Baotou (and a few invented
where a district needed one); every credit code, contact, address detail and instrument list is
fictitious, generated here. Instrument types, makes and specifications come from demo_catalogue/.

Everything is drawn from a seeded random.Random, so every run produces the same data; writing is keyed
on credit codes, (unit, asset number) and usernames, so a second run adds nothing.
"""

# ruff: noqa: S311 - a seeded PRNG makes demo data deterministic; nothing here is security-related
# ruff: noqa: RUF001 - Chinese text uses full-width punctuation

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from .category_data import CATEGORY_TREE
from .demo_catalogue import APPLICATIONS, SERVICES, TEMPLATES, InstrumentTemplate
from .demo_units import BIG_UNIT_NAME, BUILDINGS, DISTRICTS, FOCUS, GIVEN, PROFILES, SHARING, SURNAMES, UNITS
from .models import Instrument, InstrumentCategory, Membership, Region, Unit
from .validators import USCC_ALPHABET, uscc_build

SEED = 20260401
UNIT_COUNT = 47
INSTRUMENT_COUNT = 945
TOTAL_VALUE = Decimal("350000000.00")
BIG_UNIT_INSTRUMENTS = 130
# A unit owns at most this many instruments of one type (each of a different make where the type has several).
MAX_COPIES = 4
WEIGHT_EXPONENT = 0.15
# How many instruments of one type the platform lists at most: a city has a few XPS or TEMs, more HPLCs.
# (upper end of the type's price range in 10,000 CNY, at most): 38 dear, 66 middling and 79 cheaper types.
PLATFORM_MAX = [(300, 4), (100, 7), (0, 9)]

TOP_OF = {child[0]: top[0] for top in CATEGORY_TREE for child in top[3]}


@dataclass
class UnitSpec:
    index: int
    fields: dict
    profile: str
    weight: float


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _round_to(value: float, step: int) -> Decimal:
    return Decimal(round(value / step) * step).quantize(Decimal("0.01"))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"0472-{rng.randrange(2100000, 6999999)}"


def _unit_specs(rng: random.Random) -> list[UnitSpec]:
    specs = []
    for index, (name, name_en, kind, district, profile, accreditations, weight) in enumerate(UNITS):
        district_zh, district_en, streets = DISTRICTS[district]
        authority = "91" if kind == Unit.Kind.ENTERPRISE else "12"
        organisation = f"{rng.randrange(10**6):06d}{index:02d}{rng.choice(USCC_ALPHABET)}"
        domain = f"demo-unit-{index + 1:02d}.example.cn"
        focus_zh, focus_en = FOCUS[profile]
        specs.append(
            UnitSpec(
                index=index,
                profile=profile,
                weight=weight,
                fields={
                    "name": name,
                    "name_en": name_en,
                    "kind": kind,
                    "credit_code": uscc_build(f"{authority}{district}{organisation}"),
                    "region_code": district,
                    "address": f"内蒙古自治区包头市{district_zh}{rng.choice(streets)}{rng.randrange(1, 300)}号",
                    "contact_name": _person(rng),
                    "contact_phone": _phone(rng),
                    "contact_email": f"share@{domain}",
                    "website": f"https://www.{domain}/",
                    "accreditations": accreditations,
                    "description": (
                        f"{name}位于包头市{district_zh}，{focus_zh}，"
                        "通过包头市大型科研仪器开放共享平台向社会提供仪器共享与检测服务。"
                    ),
                    "description_en": (
                        f"{name_en}, in {district_en} of Baotou, {focus_en}. It offers its instruments and testing "
                        "services to other users through the Baotou platform for sharing large instruments."
                    ),
                },
            )
        )
    return specs


def _instrument_counts(specs: list[UnitSpec]) -> list[int]:
    """Instruments per unit, proportional to weight, the big institute fixed, summing to the total exactly."""
    big = next(spec.index for spec in specs if spec.fields["name"] == BIG_UNIT_NAME)
    remaining = INSTRUMENT_COUNT - BIG_UNIT_INSTRUMENTS
    total_weight = sum(spec.weight for spec in specs if spec.index != big)
    shares = [0.0 if spec.index == big else remaining * spec.weight / total_weight for spec in specs]
    counts = [max(1, math.floor(share)) for share in shares]
    counts[big] = BIG_UNIT_INSTRUMENTS
    order = sorted(
        (i for i in range(len(specs)) if i != big), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True
    )
    position = 0
    while sum(counts) != INSTRUMENT_COUNT:
        step = 1 if sum(counts) < INSTRUMENT_COUNT else -1
        index = order[position % len(order)]
        if counts[index] + step >= 1:
            counts[index] += step
        position += 1
    return counts


def _weight(template: InstrumentTemplate) -> float:
    """Cheaper instruments are more common than million-yuan ones, as on real city platforms."""
    low, high = template.value_range
    return (low * high) ** -WEIGHT_EXPONENT


def platform_max(template: InstrumentTemplate) -> int:
    return next(most for price, most in PLATFORM_MAX if template.value_range[1] >= price)


def _pick_templates(
    rng: random.Random, candidates: list[InstrumentTemplate], count: int, platform: Counter[str]
) -> list[InstrumentTemplate]:
    """A unit's instruments: different types first (weighted sampling without replacement), then a few more of
    the cheaper types, never more than MAX_COPIES of one; types already common on the platform (PLATFORM_MAX)
    come last, so that no type fills the catalogue's pages."""

    def common(template: InstrumentTemplate) -> bool:
        return platform[template.name_en] >= platform_max(template)

    keyed = sorted(
        candidates, key=lambda template: (not common(template), rng.random() ** (1 / _weight(template))), reverse=True
    )
    chosen = keyed[:count]
    copies = Counter(template.name_en for template in chosen)
    platform.update(copies)
    while len(chosen) < count:
        open_ = [template for template in candidates if copies[template.name_en] < MAX_COPIES]
        open_ = [template for template in open_ if not common(template)] or open_
        template = rng.choices(open_, weights=[_weight(t) ** 2 for t in open_])[0]
        chosen.append(template)
        copies[template.name_en] += 1
        platform[template.name_en] += 1
    return chosen


def _instrument_fields(
    rng: random.Random, spec: UnitSpec, template: InstrumentTemplate, make_index: int, sequence: int
):
    make = template.makes[make_index % len(template.makes)]
    low, high = template.value_range
    value = math.exp(rng.uniform(math.log(low), math.log(high))) * 10_000
    purchased = date(2008, 1, 1) + timedelta(days=rng.randrange((date(2025, 12, 31) - date(2008, 1, 1)).days))
    application_zh, application_en = rng.choice(APPLICATIONS[template.category])
    sharing_zh, sharing_en = rng.choice(SHARING)
    services_zh, services_en = rng.choice(SERVICES[TOP_OF[template.category]])
    building_zh, building_en = rng.choice(BUILDINGS[spec.fields["kind"]])
    room = f"{rng.choice('ABCD')}{rng.randrange(1, 6)}{rng.randrange(1, 30):02d}"
    fields = {
        "asset_number": f"{purchased.year}-{sequence:04d}",
        "category_code": template.category,
        "name": template.name_zh,
        "name_en": template.name_en,
        "model_number": make.model,
        "manufacturer": make.manufacturer,
        "country_of_origin": make.country,
        "purchase_date": purchased,
        "location": f"{building_zh} {room}室",
        "location_en": f"{building_en}, room {room}",
        "status": Instrument.Status.MAINTENANCE if rng.random() < 0.04 else Instrument.Status.AVAILABLE,
        "description": (
            f"{template.name_zh}（{make.manufacturer} {make.model}），{purchased.year}年购置，"
            f"主要用于{application_zh}。{sharing_zh}"
        ),
        "description_en": (
            f"{template.name_en} ({make.manufacturer} {make.model}), purchased in {purchased.year}, used mainly for "
            f"{application_en}. {sharing_en}"
        ),
        "specifications": template.spec_zh,
        "specifications_en": template.spec_en,
        "services": services_zh,
        "services_en": services_en,
        "requires_approval": rng.random() < 0.85,
        "min_credit_score": rng.choice([None, None, None, None, 600, 600, 650]),
        "contact_name": _person(rng),
        "contact_phone": _phone(rng),
    }
    return fields, value


def _instrument_specs(rng: random.Random, specs: list[UnitSpec]) -> list[tuple[int, dict]]:
    """(unit index, instrument fields) for every demo instrument, values scaled to the platform total exactly."""
    counts = _instrument_counts(specs)
    platform: Counter[str] = Counter()  # instruments of each type on the platform so far
    raw: list[tuple[int, dict, float]] = []
    for spec, count in zip(specs, counts, strict=True):
        profile = set(PROFILES[spec.profile])
        candidates = [template for template in TEMPLATES if template.category in profile]
        # A second instrument of one type is of the next make, so a unit lists identical ones only when it owns
        # more of a type than there are makes.
        next_make: dict[str, int] = {}
        for sequence, template in enumerate(_pick_templates(rng, candidates, count, platform), start=1):
            make_index = next_make.setdefault(template.name_en, rng.randrange(len(template.makes)))
            next_make[template.name_en] += 1
            fields, value = _instrument_fields(rng, spec, template, make_index, sequence)
            raw.append((spec.index, fields, value))
    scale = float(TOTAL_VALUE) / sum(value for _index, _fields, value in raw)
    result = []
    for unit_index, fields, value in raw:
        original = _round_to(value * scale, 100)
        external = min(max(math.sqrt(float(original)) * rng.uniform(0.2, 0.3), 30), 3000)
        fields.update(
            original_value=original,
            hourly_rate_external=_round_to(external, 10),
            hourly_rate_internal=_round_to(external * rng.uniform(0.45, 0.7), 10),
            requires_qualification=original >= 1_000_000 and rng.random() < 0.6,
        )
        result.append((unit_index, fields))
    # Rounding to whole hundreds leaves a remainder: the most valuable instrument absorbs it, so the
    # platform total is exactly TOTAL_VALUE.
    largest = max(result, key=lambda row: row[1]["original_value"])[1]
    largest["original_value"] += TOTAL_VALUE - sum(fields["original_value"] for _index, fields in result)
    for _index, fields in result:
        original = fields["original_value"]
        fields["deposit"] = (
            _round_to(min(max(float(original) * 0.0005, 500), 20000), 100) if original >= 500_000 else _money(0)
        )
    return result


@dataclass
class SeedSummary:
    units_created: int
    instruments_created: int
    users_created: int
    units_total: int
    instruments_total: int
    value_total: Decimal

    def line(self) -> str:
        return (
            f"Demo city platform (Baotou): {self.units_total} units, {self.instruments_total} instruments, "
            f"{self.value_total:,.2f} CNY in total (created now: {self.units_created} units, "
            f"{self.instruments_created} instruments, {self.users_created} accounts)."
        )


DEMO_ACCOUNTS = [
    # (username, password, is_staff/superuser, unit index, role)
    ("admin", "admin-demo-2026", True, None, None),
    ("provider", "demo-2026", False, 0, Membership.Role.ADMIN),  # Inner Mongolia University of Science and Technology
    ("researcher", "demo-2026", False, 1, Membership.Role.MEMBER),  # Baotou Medical College
]


def _seed_units(specs: list[UnitSpec], status_date: datetime) -> tuple[list[Unit], int]:
    regions = {region.code: region for region in Region.objects.filter(code__in=list(DISTRICTS))}
    if len(regions) != len(DISTRICTS):
        raise RuntimeError("Baotou's districts are missing: run `python manage.py migrate` first.")
    codes = [spec.fields["credit_code"] for spec in specs]
    existing = {unit.credit_code: unit for unit in Unit.objects.filter(credit_code__in=codes)}
    missing = []
    for spec in specs:
        if spec.fields["credit_code"] in existing:
            continue
        fields = dict(spec.fields)
        region = regions[fields.pop("region_code")]
        unit = Unit(**fields, region=region, status=Unit.Status.VERIFIED, status_changed_at=status_date)
        unit.full_clean(validate_unique=False, validate_constraints=False)
        missing.append(unit)
    Unit.objects.bulk_create(missing)
    by_code = {unit.credit_code: unit for unit in Unit.objects.filter(credit_code__in=codes)}
    return [by_code[code] for code in codes], len(missing)


def _seed_instruments(units: list[Unit], instrument_specs: list[tuple[int, dict]]) -> int:
    categories = {category.code: category for category in InstrumentCategory.objects.all()}
    existing = set(Instrument.objects.filter(unit__in=units).values_list("unit_id", "asset_number"))
    missing = []
    for unit_index, spec in instrument_specs:
        unit = units[unit_index]
        if (unit.pk, spec["asset_number"]) in existing:
            continue
        fields = dict(spec)
        category = categories[fields.pop("category_code")]
        missing.append(Instrument(unit=unit, category=category, **fields))
    Instrument.objects.bulk_create(missing, batch_size=500)
    return len(missing)


def _seed_accounts(units: list[Unit]) -> int:
    user_model = get_user_model()
    created = 0
    for username, password, is_admin, unit_index, role in DEMO_ACCOUNTS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(
                username=username, email=f"{username}@demo.example.cn", is_staff=is_admin, is_superuser=is_admin
            )
            user.set_password(password)
            user.save()
            created += 1
        if unit_index is not None and role is not None:
            Membership.objects.get_or_create(user=user, unit=units[unit_index], defaults={"role": role})
    return created


def demo_seed() -> SeedSummary:
    """Write the demo city platform; whatever already exists (by its natural key) is left alone."""
    from django.db.models import Sum
    from django.utils import timezone

    rng = random.Random(SEED)
    specs = _unit_specs(rng)
    instrument_specs = _instrument_specs(rng, specs)
    status_date = timezone.make_aware(datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001 - made aware right here
    with transaction.atomic():
        units, units_created = _seed_units(specs, status_date)
        instruments_created = _seed_instruments(units, instrument_specs)
        users_created = _seed_accounts(units)
    demo_instruments = Instrument.objects.filter(unit__in=units)
    return SeedSummary(
        units_created=units_created,
        instruments_created=instruments_created,
        users_created=users_created,
        units_total=len(units),
        instruments_total=demo_instruments.count(),
        value_total=demo_instruments.aggregate(total=Sum("original_value"))["total"] or Decimal("0"),
    )


def demo_units() -> list[Unit]:
    """The demo's 47 units in their fixed order (the order of UNITS), after demo_seed()."""
    codes = [spec.fields["credit_code"] for spec in _unit_specs(random.Random(SEED))]
    by_code = {unit.credit_code: unit for unit in Unit.objects.filter(credit_code__in=codes)}
    return [by_code[code] for code in codes]
