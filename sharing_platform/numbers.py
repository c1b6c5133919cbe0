"""Template filters for money and figures, one way everywhere (`{% load numbers %}`, registered in settings'
TEMPLATES libraries): thousands separators (a comma in both languages, as Chinese financial
texts write them too), money with two decimals, plain figures without trailing zeros.

    {{ instrument.original_value|money }}      2,275,500.00
    {{ report.total_value|money_whole }}       349,999,200   (stat cards: no cents in a headline figure)
    {{ figures.effective_hours|figure }}       1,234.5
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

MISSING = "\u2013"  # an en dash, as the tables show a missing figure


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value) -> str:
    """An amount in CNY with two decimals and thousands separators (an en dash when missing)."""
    amount = _decimal(value)
    return MISSING if amount is None else f"{amount.quantize(Decimal('0.01')):,.2f}"


@register.filter
def money_whole(value) -> str:
    """An amount in whole yuan with thousands separators, for headline figures."""
    amount = _decimal(value)
    return MISSING if amount is None else f"{amount.quantize(Decimal('1')):,.0f}"


@register.filter
def figure(value) -> str:
    """A count or number of hours: thousands separators, up to two decimals, none when whole. Text that is not
    a number (a tier's name in a table of figures) is shown as it is."""
    if isinstance(value, str) and value and _decimal(value) is None:
        return value
    if isinstance(value, bool):
        return str(value)
    number = _decimal(value)
    if number is None:
        return MISSING
    rounded = number.quantize(Decimal("0.01"))
    return f"{rounded:,.0f}" if rounded == rounded.to_integral_value() else f"{rounded.normalize():,f}"
