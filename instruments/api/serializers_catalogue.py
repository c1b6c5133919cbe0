"""Serializers for the catalogue, the instrument registry, categories and statistics. Fields are explicit."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import CreditTier, Instrument, InstrumentCategory, Region, Unit
from ..services.instruments import INSTRUMENT_EDITABLE_FIELDS, SETTABLE_STATUSES


class RegionBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_zh", "name_en"]


class UnitBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    region = RegionBriefSerializer(read_only=True)
    credit_tier = serializers.ChoiceField(
        choices=CreditTier.choices, allow_blank=True, read_only=True, help_text='"" while unscored.'
    )

    class Meta:
        model = Unit
        fields = ["id", "name", "status", "region", "credit_score", "credit_tier"]


class CategoryParentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CategoryBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.parent

    class Meta:
        model = InstrumentCategory
        fields = ["id", "code", "name", "name_zh", "name_en", "parent"]

    @extend_schema_field(CategoryParentSerializer(allow_null=True))
    def get_parent(self, category: InstrumentCategory) -> dict | None:
        parent = category.parent
        if parent is None:
            return None
        return {"id": parent.pk, "code": parent.code, "name": parent.name}


class CategoryChildSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = InstrumentCategory
        fields = ["id", "code", "name", "name_zh", "name_en"]


class CategoryTreeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    children = CategoryChildSerializer(many=True, read_only=True)

    class Meta:
        model = InstrumentCategory
        fields = ["id", "code", "name", "name_zh", "name_en", "children"]


class InstrumentListSerializer(serializers.ModelSerializer):
    """A catalogue row: what a person compares before opening the detail."""

    display_name = serializers.CharField(read_only=True)
    unit = UnitBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    thumbnail_url = serializers.SerializerMethodField(
        help_text="The newest photo's thumbnail (at most 480 pixels on its long edge); null when it has no photo."
    )

    class Meta:
        model = Instrument
        fields = [
            "id",
            "display_name",
            "name",
            "name_en",
            "model_number",
            "manufacturer",
            "unit",
            "category",
            "status",
            "status_display",
            "location",
            "location_en",
            "original_value",
            "hourly_rate_internal",
            "hourly_rate_external",
            "deposit",
            "requires_approval",
            "requires_qualification",
            "min_credit_score",
            "thumbnail_url",
            "created_at",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, instrument: Instrument) -> str | None:
        # From the instrument's own column (written by services/photos.py): no query per row.
        if not instrument.cover_thumbnail:
            return None
        url = default_storage.url(instrument.cover_thumbnail)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class InstrumentDetailSerializer(InstrumentListSerializer):
    """Everything a booker needs."""

    class Meta(InstrumentListSerializer.Meta):
        fields = [
            *InstrumentListSerializer.Meta.fields,
            "asset_number",
            "country_of_origin",
            "purchase_date",
            "description",
            "description_en",
            "specifications",
            "specifications_en",
            "services",
            "services_en",
            "contact_name",
            "contact_phone",
            "contact_email",
            "retired_at",
            "updated_at",
        ]


@extend_schema_field(OpenApiTypes.STR)
class CategoryReferenceField(serializers.RelatedField):
    """A category by id or by code (codes are stable across installations, ids are not)."""

    default_error_messages = {
        "unknown": _("Unknown category “{value}”: give an id or a code from /api/v1/categories/."),
        "invalid": _("A category is an id (integer) or a code (text)."),
    }

    def get_queryset(self):
        return InstrumentCategory.objects.all()

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        lookup = {"pk": int(text)} if text.isdigit() else {"code": text}
        category = self.get_queryset().filter(**lookup).first()
        if category is None:
            self.fail("unknown", value=text)
        return category

    def to_representation(self, value):
        return value.pk


class StrictFieldsMixin:
    """Refuses keys the serializer does not know, so a typo is an error instead of a silent no-op."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
        return super().to_internal_value(data)


WRITE_FIELDS = list(INSTRUMENT_EDITABLE_FIELDS)


class InstrumentUpdateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Input of PUT/PATCH. The unit is fixed; status is available or maintenance (retire has its own action)."""

    category = CategoryReferenceField()

    class Meta:
        model = Instrument
        fields = WRITE_FIELDS
        # Uniqueness of (unit, asset_number) is checked by the service's full_clean, with the unit known.
        validators: list = []

    def validate_status(self, value: str) -> str:
        # The model's choice set (one schema enum); retiring goes through its own action.
        if value not in SETTABLE_STATUSES:
            raise serializers.ValidationError(
                _("Status must be “available” or “maintenance”; use retire to take an instrument out of service.")
            )
        return value


class InstrumentCreateSerializer(InstrumentUpdateSerializer):
    """Input of POST: the unit (id) plus the instrument's fields."""

    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())

    class Meta(InstrumentUpdateSerializer.Meta):
        fields = ["unit", *WRITE_FIELDS]


class CategoryFigureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    instruments = serializers.IntegerField()
    original_value = serializers.CharField()

    class Meta:
        fields = ["id", "code", "name", "instruments", "original_value"]


class RegionFigureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    units = serializers.IntegerField()
    instruments = serializers.IntegerField()
    original_value = serializers.CharField()

    class Meta:
        fields = ["id", "code", "name", "units", "instruments", "original_value"]


class PlatformStatsSerializer(serializers.Serializer):
    verified_units = serializers.IntegerField()
    active_instruments = serializers.IntegerField()
    total_original_value = serializers.CharField()
    by_category = CategoryFigureSerializer(many=True)
    by_region = RegionFigureSerializer(many=True)

    class Meta:
        fields = ["verified_units", "active_instruments", "total_original_value", "by_category", "by_region"]
