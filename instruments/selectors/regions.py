"""Reads of the national division list (GB/T 2260): search by code prefix or name, children of a parent."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from instruments.error_codes import InstrumentErrorCode
from sharing_platform.api.exceptions import validation_error
from sharing_platform.errors import CommonErrorCode, DomainValidationError

from ..models import Region

Q_MAX_LENGTH = 64


class RegionParentField(forms.CharField):
    """A parent given by its six-digit division code or its id; an unknown one is an error, not an empty list."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            raise forms.ValidationError(
                _("Parent must be a six-digit division code such as 150000, or a region id."),
                code=InstrumentErrorCode.INVALID_PARENT,
            )
        lookup = {"code": value} if len(value) == 6 else {"pk": int(value)}
        parent = Region.objects.filter(**lookup).first()
        if parent is None:
            raise forms.ValidationError(
                _("Unknown region “%(value)s”."), code=InstrumentErrorCode.UNKNOWN_REGION, params={"value": value}
            )
        return parent


class RegionParentFilter(django_filters.Filter):
    field_class = RegionParentField

    def filter(self, qs: QuerySet, value: Region | None) -> QuerySet:
        return qs if value is None else qs.filter(parent=value)


class RegionListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        max_length=Q_MAX_LENGTH,
        label=_("Search"),
        help_text=_("Digits: a division code prefix (1502 finds Baotou and its districts); else part of a name."),
    )
    parent = RegionParentFilter(label=_("Parent"), help_text=_("Division code or id: lists its direct children."))
    level = django_filters.TypedChoiceFilter(
        choices=Region.Level.choices,
        coerce=int,
        label=_("Level"),
        help_text=_("1 province, 2 prefecture (city), 3 county or district."),
        error_messages={"invalid_choice": _("Level must be 1, 2 or 3.")},
    )

    class Meta:
        model = Region
        fields = ["q", "parent", "level"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if "\x00" in value:
            raise DomainValidationError(
                str(_("Null characters are not allowed.")), field="q", code=CommonErrorCode.INVALID
            )
        if value.isascii() and value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value))


def region_list(*, filters: dict | None = None) -> QuerySet[Region]:
    """Regions with their parent and grandparent (for full names); provinces first, then by code. One query."""
    queryset = Region.objects.select_related("parent__parent").order_by("level", "code")
    if filters:
        filterset = RegionListFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            raise validation_error(filterset.errors)
        queryset = filterset.qs
    return queryset


def region_children(*, parent_code: str) -> list[Region]:
    """Direct children of a division by its code (cities of a province, districts of a city)."""
    if not parent_code:
        return list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    return list(Region.objects.filter(parent__code=parent_code).order_by("level", "code"))


def region_with_ancestors(*, region_id: int | None) -> Region | None:
    if region_id is None:
        return None
    return Region.objects.select_related("parent__parent").filter(pk=region_id).first()
