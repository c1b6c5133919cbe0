"""The catalogue's FilterSet, shared by `GET /api/v1/instruments/` and the catalogue page.

Every bad value is a validation error with a message a person can act on (the API answers 400,
the page shows it next to the field); nothing is silently ignored.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .error_codes import InstrumentErrorCode
from .models import Instrument, InstrumentCategory, Region, Unit, name_order

SEARCH_FIELDS = ("name", "name_en", "model_number", "manufacturer", "description")
RANKED_FIELDS = ("name", "name_en", "model_number", "manufacturer")
Q_MAX_LENGTH = 200


def _is_small_id(value: str) -> bool:
    """ASCII digits that fit a database integer (str.isdigit() also accepts superscripts and other scripts)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


class CategoryReferenceField(forms.CharField):
    """A category given by its id or its code; an unknown one is an error, not an empty result."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        # Found by fuzzing: NUL reaches PostgreSQL as a 500, so does a non-ASCII digit or a huge id.
        if "\x00" in value:
            raise forms.ValidationError(
                _("Null characters are not allowed."), code=InstrumentErrorCode.NULL_CHARACTERS_NOT_ALLOWED
            )
        lookup = {"pk": int(value)} if _is_small_id(value) else {"code": value}
        category = InstrumentCategory.objects.filter(**lookup).first()
        if category is None:
            raise forms.ValidationError(
                _("Unknown category “%(value)s”: give a category id or code from /api/v1/categories/."),
                code=InstrumentErrorCode.UNKNOWN_CATEGORY,
                params={"value": value},
            )
        return category


class RegionReferenceField(forms.CharField):
    """A region given by its six-digit division code (e.g. 310000) or its id."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not _is_small_id(value):
            raise forms.ValidationError(
                _("Region must be a six-digit division code such as 310000, or a region id."),
                code=InstrumentErrorCode.INVALID_REGION,
            )
        lookup = {"code": value} if len(value) == 6 else {"pk": int(value)}
        region = Region.objects.filter(**lookup).first()
        if region is None:
            raise forms.ValidationError(
                _("Unknown region “%(value)s”."), code=InstrumentErrorCode.UNKNOWN_REGION, params={"value": value}
            )
        return region


@extend_schema_field(OpenApiTypes.STR)
class CategoryFilter(django_filters.Filter):
    field_class = CategoryReferenceField

    def filter(self, qs: QuerySet, value):
        if value is None:
            return qs
        # A top-level category includes its children.
        return qs.filter(Q(category=value) | Q(category__parent=value))


@extend_schema_field(OpenApiTypes.STR)
class RegionFilter(django_filters.Filter):
    field_class = RegionReferenceField

    def filter(self, qs: QuerySet, value):
        if value is None:
            return qs
        # A province includes its cities, and their districts: one subquery of region ids, so PostgreSQL reads
        # the units of those regions by index instead of joining every instrument's unit's region chain.
        regions = Region.objects.filter(Q(pk=value.pk) | Q(parent=value) | Q(parent__parent=value)).values("pk")
        return qs.filter(unit__region__in=regions)


# The credit layer (above this app) keeps Unit.credit_score / credit_tier current; the catalogue only reads them.
PROVIDER_CREDIT_MIN = 350
PROVIDER_CREDIT_MAX = 950
PROVIDER_TIERS = [
    ("excellent", _("Excellent (800 and above)")),
    ("good", _("Good (700-799)")),
    ("fair", _("Fair (600-699)")),
    ("poor", _("Poor (550-599)")),
    ("bad", _("Bad (below 550)")),
]


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


DESCENDING = _("{} (descending)")


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Orders with missing values (an unscored provider) last either way, then by id so pages are stable.
    "name" is the name in the active language (models.name_order), not always the Chinese one."""

    def build_choices(self, fields, labels):
        """As django-filter's, but "(descending)" is formatted lazily: its `descending_fmt % label` runs when the
        FilterSet class is built, at import, and froze "Name (descending)" in English for the Chinese pages."""
        choices = []
        for field, param in fields.items():
            label = labels.get(field, param)
            choices.append((param, label))
            choices.append((f"-{param}", labels.get(f"-{param}", format_lazy(DESCENDING, label))))
        return choices

    def get_ordering_value(self, param: str):
        descending = param.startswith("-")
        name = self.param_map[param.lstrip("-")]
        field = name_order() if name == "name" else F(name)
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs: QuerySet, value):
        if not value:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "id")


class InstrumentFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_rate"), cleaned.get("max_rate")
        if low is not None and high is not None and low > high:
            self.add_error("max_rate", _("The maximum rate must not be below the minimum rate."))
        return cleaned


class InstrumentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        max_length=Q_MAX_LENGTH,
        help_text=_("Name, model, manufacturer or description."),
    )
    category = CategoryFilter(
        label=_("Category"), help_text=_("Category id or code; a top level includes its children.")
    )
    region = RegionFilter(
        label=_("Region"), help_text=_("Six-digit division code or id; a province includes its cities.")
    )
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(),
        label=_("Provider unit"),
        error_messages={"invalid_choice": _("Unknown unit: give the id of a unit from /api/v1/units/.")},
    )
    min_rate = django_filters.NumberFilter(
        field_name="hourly_rate_external", lookup_expr="gte", label=_("External rate from (CNY/h)"), min_value=0
    )
    max_rate = django_filters.NumberFilter(
        field_name="hourly_rate_external", lookup_expr="lte", label=_("External rate up to (CNY/h)"), min_value=0
    )
    min_provider_credit = IntegerFilter(
        field_name="unit__credit_score",
        lookup_expr="gte",
        label=_("Provider credit from"),
        help_text=_("A credit score from 350 to 950; providers not yet scored are left out."),
        min_value=PROVIDER_CREDIT_MIN,
        max_value=PROVIDER_CREDIT_MAX,
        error_messages={
            "invalid": _("Provider credit must be a whole number from 350 to 950."),
            "min_value": _("Provider credit must be a whole number from 350 to 950."),
            "max_value": _("Provider credit must be a whole number from 350 to 950."),
        },
    )
    provider_tier = django_filters.ChoiceFilter(
        field_name="unit__credit_tier",
        choices=PROVIDER_TIERS,
        label=_("Provider credit tier"),
        empty_label=_("Any provider credit"),
        error_messages={
            "invalid_choice": _("Provider tier must be one of excellent, good, fair, poor or bad."),
        },
    )
    status = django_filters.ChoiceFilter(
        choices=[
            (Instrument.Status.AVAILABLE, Instrument.Status.AVAILABLE.label),
            (Instrument.Status.MAINTENANCE, Instrument.Status.MAINTENANCE.label),
        ],
        label=_("Status"),
        empty_label=_("Any status"),
        error_messages={"invalid_choice": _("Status must be “available” or “maintenance”.")},
    )
    ordering = NullsLastOrderingFilter(
        fields=(
            ("name", "name"),
            ("created_at", "created_at"),
            ("hourly_rate_external", "hourly_rate_external"),
            ("original_value", "original_value"),
            ("unit__credit_score", "unit__credit_score"),
        ),
        field_labels={
            "name": _("Name"),
            "created_at": _("Date listed"),
            "hourly_rate_external": _("External rate"),
            "original_value": _("Original value"),
            "unit__credit_score": _("Provider credit"),
        },
        label=_("Order by"),
        empty_label=_("Relevance and provider credit (default)"),
        error_messages={
            "invalid_choice": _(
                "Unknown ordering “%(value)s”. Use name, -created_at, hourly_rate_external, "
                "-hourly_rate_external, original_value, -original_value or -unit__credit_score."
            )
        },
    )

    class Meta:
        model = Instrument
        fields = [
            "q",
            "category",
            "region",
            "unit",
            "min_rate",
            "max_rate",
            "min_provider_credit",
            "provider_tier",
            "status",
            "ordering",
        ]
        form = InstrumentFilterForm

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """Every word must appear in one of the text columns (trigram GIN indexes from migration 0003 serve
        this on PostgreSQL). On PostgreSQL the closest names come first unless an ordering is asked for."""
        terms = value.split()
        for term in terms:
            condition = Q()
            for field in SEARCH_FIELDS:
                condition |= Q(**{f"{field}__icontains": term})
            qs = qs.filter(condition)
        if terms and connections[qs.db].vendor == "postgresql":
            text = " ".join(terms)
            rank = Greatest(*(TrigramWordSimilarity(text, field) for field in RANKED_FIELDS))
            # The ordering filter runs after this one and replaces this order when `ordering` is given.
            # Equally relevant instruments: the better provider's credit first (issue 18.6), then by name.
            credit = F("unit__credit_score").desc(nulls_last=True)
            qs = qs.annotate(search_rank=rank).order_by("-search_rank", credit, name_order(), "id")
        return qs
