"""Reads for instrument photos, and where a picture of an instrument comes from when it has none."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.templatetags.static import static
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainNotFoundError

from ..category_data import CATEGORY_TREE
from ..models import Instrument, InstrumentCategory, InstrumentPhoto

# One drawing per top-level category of the national classification (static/img/categories/<code>.svg);
# a category added later without a drawing gets "other".
ILLUSTRATED_CATEGORIES = frozenset(code for code, *_rest in CATEGORY_TREE)
FALLBACK_ILLUSTRATION = "other"


def instrument_photos(*, instrument: Instrument) -> QuerySet[InstrumentPhoto]:
    """The instrument's photos, newest (the cover) first."""
    return InstrumentPhoto.objects.filter(instrument=instrument).order_by("-created_at", "-id")


def instrument_photo_get(*, instrument: Instrument, pk: int) -> InstrumentPhoto:
    photo = instrument_photos(instrument=instrument).filter(pk=pk).first()
    if photo is None:
        raise DomainNotFoundError(_("No such photo of this instrument."))
    return photo


def media_url(name: str) -> str | None:
    """The URL of a stored file (None for "")."""
    return default_storage.url(name) if name else None


def instrument_thumbnail_url(instrument: Instrument) -> str | None:
    """The cover photo's small thumbnail, from the instrument's own column (no query)."""
    return media_url(instrument.cover_thumbnail)


def category_illustration_code(category: InstrumentCategory) -> str:
    """The top-level category's code when it has a drawing (load category__parent to avoid a query)."""
    top = category.parent if category.parent_id and category.parent is not None else category
    return top.code if top.code in ILLUSTRATED_CATEGORIES else FALLBACK_ILLUSTRATION


def category_illustration_url(category: InstrumentCategory) -> str:
    return static(f"img/categories/{category_illustration_code(category)}.svg")
