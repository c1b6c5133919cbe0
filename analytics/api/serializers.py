"""Output shapes of the analytics API (explicit fields; the figures are computed by selectors).

The views answer through these serializers, so what the schema documents is what is sent.
"""

from typing import Any

from rest_framework import serializers

from instruments.models import CreditTier, Instrument

from ..indicators import GRADE_LABELS

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}
TIERS_AND_UNSCORED = [*CreditTier.values, "unscored"]


class WindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive.")


class UsageSerializer(serializers.Serializer):
    """Machine hours, income and the national indicators over a window."""

    effective_hours = serializers.FloatField()
    internal_hours = serializers.FloatField()
    external_hours = serializers.FloatField()
    sharing_rate = serializers.FloatField(allow_null=True, help_text="External / effective hours (null: no hours).")
    combined_sharing_rate = serializers.FloatField(
        allow_null=True, help_text="(internal + 1.5 x external hours) / effective hours."
    )
    internal_income = serializers.DecimalField(**MONEY)
    external_income = serializers.DecimalField(**MONEY)
    income = serializers.DecimalField(**MONEY)
    original_value = serializers.DecimalField(**MONEY)
    income_rate = serializers.FloatField(
        allow_null=True, help_text="(internal + 1.5 x external income) / original value."
    )
    open_hours = serializers.FloatField()
    utilisation = serializers.FloatField(allow_null=True, help_text="Effective / open hours (null: never open).")
    bookings_counted = serializers.IntegerField()


class BenchmarksSerializer(serializers.Serializer):
    norm_hours_per_year = serializers.IntegerField()
    national_avg_effective_hours = serializers.IntegerField()
    national_avg_external_hours = serializers.IntegerField()
    effective_hours_per_year = serializers.FloatField()
    external_hours_per_year = serializers.FloatField()
    share_of_norm = serializers.FloatField(allow_null=True)
    share_of_national_effective = serializers.FloatField(allow_null=True)
    share_of_national_external = serializers.FloatField(allow_null=True)
    meets_norm = serializers.BooleanField()


class HoursInstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.IntegerField()
    original_value = serializers.DecimalField(**MONEY)


class InstrumentHoursSerializer(UsageSerializer):
    instrument = HoursInstrumentSerializer()
    window = WindowSerializer()
    benchmarks = BenchmarksSerializer()


class IdleInstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    asset_number = serializers.CharField()
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    category_id = serializers.IntegerField()
    category_name = serializers.CharField()
    original_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.ChoiceField(choices=Instrument.Status.choices)
    listed_at = serializers.DateTimeField()
    effective_hours = serializers.FloatField()
    open_hours = serializers.FloatField()
    utilisation = serializers.FloatField(allow_null=True)


class IdleGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    instruments = serializers.IntegerField()
    original_value = serializers.DecimalField(max_digits=16, decimal_places=2)


class IdleReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField(source="window.start")
    end = serializers.DateTimeField(source="window.end")
    threshold = serializers.FloatField()
    total_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    by_unit = IdleGroupSerializer(many=True)
    by_category = IdleGroupSerializer(many=True)
    instruments = IdleInstrumentSerializer(many=True)


# --- A unit's yearly evaluation -------------------------------------------------------------------


class EvaluatedUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()


class OrganisationSerializer(serializers.Serializer):
    instruments = serializers.IntegerField()
    original_value = serializers.DecimalField(**MONEY)
    credit_score = serializers.IntegerField(allow_null=True)
    credit_tier = serializers.ChoiceField(choices=CreditTier.choices, allow_blank=True, help_text='"" while unscored.')
    idle_instruments = serializers.IntegerField()


class OperationSerializer(serializers.Serializer):
    effective_hours = serializers.FloatField()
    avg_effective_hours_per_year = serializers.FloatField()
    open_hours = serializers.FloatField()
    utilisation = serializers.FloatField(allow_null=True)
    instruments_meeting_norm = serializers.IntegerField()
    income = serializers.DecimalField(**MONEY)
    internal_income = serializers.DecimalField(**MONEY)
    external_income = serializers.DecimalField(**MONEY)
    income_rate = serializers.FloatField(allow_null=True)
    bookings_counted = serializers.IntegerField()


class SharingSerializer(serializers.Serializer):
    external_hours = serializers.FloatField()
    avg_external_hours_per_year = serializers.FloatField()
    sharing_rate = serializers.FloatField(allow_null=True)
    combined_sharing_rate = serializers.FloatField(allow_null=True)
    external_users_served = serializers.IntegerField()
    external_units_served = serializers.IntegerField()
    idle_instruments_reused = serializers.IntegerField()
    average_stars = serializers.FloatField(allow_null=True)
    reviews = serializers.IntegerField()


class GradePartsSerializer(serializers.Serializer):
    operation = serializers.FloatField()
    sharing = serializers.FloatField()
    satisfaction = serializers.FloatField()
    management = serializers.FloatField()


class GradeSerializer(serializers.Serializer):
    score = serializers.FloatField()
    grade = serializers.ChoiceField(choices=list(GRADE_LABELS.items()))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    parts = GradePartsSerializer()


class PlatformMedianSerializer(serializers.Serializer):
    """The median unit on the platform by the same indicators (null: no unit has the figure)."""

    avg_effective_hours_per_year = serializers.FloatField(allow_null=True)
    avg_external_hours_per_year = serializers.FloatField(allow_null=True)
    sharing_rate = serializers.FloatField(allow_null=True)
    income_rate = serializers.FloatField(allow_null=True)
    average_stars = serializers.FloatField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    units = serializers.IntegerField()


class EvaluatedInstrumentSerializer(UsageSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    asset_number = serializers.CharField()
    category = serializers.CharField()
    effective_hours_per_year = serializers.FloatField()


class UnitEvaluationSerializer(serializers.Serializer):
    unit = EvaluatedUnitSerializer()
    year = serializers.IntegerField()
    window = WindowSerializer()
    partial_year = serializers.BooleanField(help_text="The year is not over yet: the window ends now.")
    min_value = serializers.DecimalField(**MONEY)
    organisation = OrganisationSerializer()
    operation = OperationSerializer()
    sharing = SharingSerializer()
    benchmarks = BenchmarksSerializer()
    grade = GradeSerializer(allow_null=True, help_text="The proposed grade (null: the unit has no instrument).")
    platform_median = PlatformMedianSerializer()
    instruments = EvaluatedInstrumentSerializer(many=True)


# --- Before you buy ---------------------------------------------------------------------------------


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FreeSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class BeforeYouBuyRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    model_number = serializers.CharField()
    manufacturer = serializers.CharField()
    unit = UnitRefSerializer()
    region = serializers.CharField()
    category = serializers.CharField()
    status = serializers.ChoiceField(choices=Instrument.Status.choices)
    original_value = serializers.DecimalField(**MONEY)
    hourly_rate_external = serializers.DecimalField(**MONEY)
    effective_hours_90d = serializers.FloatField()
    open_hours_90d = serializers.FloatField()
    utilisation_90d = serializers.FloatField(allow_null=True)
    free_slots = FreeSlotSerializer(many=True)


class BeforeYouBuySerializer(serializers.Serializer):
    matches = serializers.IntegerField()
    total_original_value = serializers.DecimalField(**MONEY)
    average_utilisation_90d = serializers.FloatField(allow_null=True)
    results = BeforeYouBuyRowSerializer(many=True)


# --- The platform dashboard -------------------------------------------------------------------------


class MonthSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM, local time.")
    new_units = serializers.IntegerField()
    units_total = serializers.IntegerField()
    new_instruments = serializers.IntegerField()
    instruments_total = serializers.IntegerField()
    bookings = serializers.IntegerField()
    effective_hours = serializers.FloatField()
    red_list_published = serializers.IntegerField()
    black_list_published = serializers.IntegerField()


class TierCountSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TIERS_AND_UNSCORED)
    units = serializers.IntegerField()


class PlatformDashboardSerializer(serializers.Serializer):
    months = MonthSerializer(many=True)
    credit_tiers = TierCountSerializer(many=True, help_text="Verified units per credit tier.")
