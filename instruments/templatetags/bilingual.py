"""Texts a unit may give in Chinese, English or both: show the active language's, else the other one, clearly."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from instruments.models import language_is_chinese, localized_pair

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


@register.simple_tag
def localized_name(obj, link: str = ""):
    """A unit's or instrument's name in the active language; when only the other language's name exists it is
    shown marked with its language and a note saying so (English pages: "no English name")."""
    chinese = language_is_chinese()
    if isinstance(obj, dict):  # a lean catalogue row (selectors.catalogue.RowShaper)
        zh, en = obj.get("name_zh", obj.get("name")) or "", obj.get("name_en") or ""
        display_name = obj.get("display_name") or obj.get("name") or ""
    else:
        zh, en = obj.name or "", getattr(obj, "name_en", "") or ""
        display_name = obj.display_name
    if not chinese and zh and not en:
        lang, note, text = "zh-Hans", _("no English name"), zh
    elif chinese and en and not zh:
        lang, note, text = "en", _("no Chinese name"), en
    else:
        return format_html('<a href="{}">{}</a>', link, display_name) if link else display_name
    name = format_html('<span lang="{}">{}</span>', lang, text)
    if link:
        name = format_html('<a href="{}">{}</a>', link, name)
    return format_html('{} <span class="muted fallback-name">({})</span>', name, note)
