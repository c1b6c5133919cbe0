"""Texts a unit may give in Chinese, English or both: show the active language's, else the other one, clearly."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _

from instruments.models import localized_pair

register = template.Library()


@dataclass(frozen=True)
class LocalizedText:
    text: str
    lang: str  # the language the text falls back to ("zh-Hans", "en"), or "" when it is the page's own
    note: str  # says so in the page's language

    def __str__(self) -> str:
        return self.text


@register.simple_tag
def localized_text(obj, field: str) -> LocalizedText:
    """`{% localized_text instrument "description" as description %}`: description.text, .lang and .note."""
    if isinstance(obj, dict):  # a lean catalogue row (selectors.catalogue.catalogue_rows)
        text, lang = localized_pair(obj.get(field), obj.get(f"{field}_en"))
    else:
        text, lang = obj.localized_text(field)
    note = ""
    if lang == "zh-Hans":
        note = _("Not given in English; shown in Chinese.")
    elif lang == "en":
        note = _("Not given in Chinese; shown in English.")
    return LocalizedText(text=text, lang=lang, note=note)


@register.inclusion_tag("instruments/_localized_block.html")
def localized_block(obj, field: str, heading: str = "") -> dict:
    """A heading and paragraph for a long text (description, specifications, services), or nothing."""
    return {"item": localized_text(obj, field), "heading": heading}
