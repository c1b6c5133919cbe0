"""`{% instrument_picture instrument %}`: the cover photo's thumbnail, or the drawing of its category."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..selectors.photos import (
    FALLBACK_ILLUSTRATION,
    ILLUSTRATED_CATEGORIES,
    category_illustration_url,
    instrument_thumbnail_url,
)

register = template.Library()


@register.simple_tag
def instrument_picture(instrument, css_class: str = "instrument-picture"):
    """An <img>: the newest photo's small thumbnail, else the illustration of the instrument's category.
    `instrument` is an Instrument or a lean catalogue row (a dict in the API's shape)."""
    if isinstance(instrument, dict):
        return _row_picture(instrument, css_class)
    thumbnail = instrument_thumbnail_url(instrument)
    if thumbnail:
        return format_html(
            '<img class="{}" src="{}" alt="{}" width="480" height="360" loading="lazy">',
            css_class,
            thumbnail,
            _("Photo of %(instrument)s") % {"instrument": instrument.display_name},
        )
    return format_html(
        '<img class="{} illustration" src="{}" alt="{}" width="480" height="360" loading="lazy">',
        css_class,
        category_illustration_url(instrument.category),
        _("Drawing for the category %(category)s") % {"category": instrument.category.name},
    )


def _row_picture(row: dict, css_class: str):
    if row.get("thumbnail_url"):
        return format_html(
            '<img class="{}" src="{}" alt="{}" width="480" height="360" loading="lazy">',
            css_class,
            row["thumbnail_url"],
            _("Photo of %(instrument)s") % {"instrument": row["display_name"]},
        )
    category = row["category"]
    top = category.get("parent") or category
    code = top["code"] if top["code"] in ILLUSTRATED_CATEGORIES else FALLBACK_ILLUSTRATION
    return format_html(
        '<img class="{} illustration" src="{}" alt="{}" width="480" height="360" loading="lazy">',
        css_class,
        static(f"img/categories/{code}.svg"),
        _("Drawing for the category %(category)s") % {"category": category["name"]},
    )
