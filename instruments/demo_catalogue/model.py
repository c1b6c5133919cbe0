"""The shape of a demo instrument template and `T`, the compact way the tables write one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Make:
    manufacturer: str
    country: str
    model: str


@dataclass(frozen=True)
class InstrumentTemplate:
    category: str
    name_zh: str
    name_en: str
    value_range: tuple[int, int]  # in 10,000 CNY (万元), before scaling to the platform total
    makes: tuple[Make, ...]
    spec_zh: str
    spec_en: str


def T(category, name_zh, name_en, low, high, makes, spec_zh, spec_en) -> InstrumentTemplate:  # noqa: N802
    """One template; makes as "Manufacturer|Country|Model; ..."."""
    parsed = tuple(Make(*(part.strip() for part in make.split("|"))) for make in makes.split(";"))
    return InstrumentTemplate(category, name_zh, name_en, (low, high), parsed, spec_zh, spec_en)
