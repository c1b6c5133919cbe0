"""Output shapes of the analytics API (explicit fields; the figures are computed by selectors)."""

from rest_framework import serializers


class IdleInstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    asset_number = serializers.CharField()
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    category_id = serializers.IntegerField()
    category_name = serializers.CharField()
    original_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.CharField()
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
