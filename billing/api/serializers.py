"""Serializers of the billing API: input validation and output shape only; services do the work.

Amounts come in as strings or numbers and are checked by the services (at most two decimals, never
rounded); money goes out as strings with two decimals.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Charge, InstrumentBilling, Payment, ProviderBilling, Statement


class BillingUnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    credit_code = serializers.CharField()


class ChargeSerializer(serializers.ModelSerializer):
    provider_unit = BillingUnitRefSerializer(read_only=True)
    payer_unit = BillingUnitRefSerializer(read_only=True, allow_null=True)
    instrument_name = serializers.CharField(source="instrument.display_name", read_only=True)
    requester = serializers.IntegerField(source="booking.requester_id", read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    adjusts = serializers.IntegerField(source="adjusts_id", read_only=True, allow_null=True)
    billed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Charge
        fields = [
            "id",
            "kind",
            "booking",
            "instrument",
            "instrument_name",
            "requester",
            "provider_unit",
            "payer_unit",
            "project_code",
            "hours",
            "rate_kind",
            "rate",
            "surcharge_rate",
            "fee",
            "deposit_applied",
            "amount",
            "adjusts",
            "reason",
            "created_by",
            "incurred_at",
            "billed",
        ]
        read_only_fields = fields


class AdjustmentInputSerializer(serializers.Serializer):
    amount = serializers.CharField(max_length=32, help_text=_("Positive adds to the charge, negative takes off."))
    reason = serializers.CharField(max_length=2000)


class PaymentSerializer(serializers.ModelSerializer):
    declared_by = serializers.IntegerField(source="declared_by_id", read_only=True, allow_null=True)
    recorded_by = serializers.IntegerField(source="recorded_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "statement",
            "amount",
            "paid_on",
            "reference",
            "status",
            "declared_by",
            "recorded_by",
            "confirmed_at",
            "rejection_reason",
            "created_at",
        ]
        read_only_fields = fields


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.CharField(max_length=32)
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=120)


class BillingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class StatementSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    provider_unit = BillingUnitRefSerializer(read_only=True)
    payer_unit = BillingUnitRefSerializer(read_only=True)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "reference",
            "number",
            "provider_unit",
            "payer_unit",
            "period_end",
            "issued_at",
            "due_date",
            "total",
            "amount_paid",
            "balance",
            "status",
            "paid_on",
            "cancelled_at",
            "cancellation_reason",
        ]
        read_only_fields = fields


class ProjectGroupSerializer(serializers.Serializer):
    project_code = serializers.CharField()
    hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    charges = ChargeSerializer(many=True)


class StatementDetailSerializer(StatementSerializer):
    groups = ProjectGroupSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "groups", "payments"]
        read_only_fields = fields


class StatementCreateSerializer(serializers.Serializer):
    provider_unit = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    payer_unit = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    period_end = serializers.DateField()


class InstrumentBillingSerializer(serializers.ModelSerializer):
    instrument = serializers.IntegerField(source="instrument_id", read_only=True)
    hourly_rate_internal = serializers.DecimalField(
        source="instrument.hourly_rate_internal", max_digits=14, decimal_places=2, read_only=True
    )
    hourly_rate_external = serializers.DecimalField(
        source="instrument.hourly_rate_external", max_digits=14, decimal_places=2, read_only=True
    )
    deposit = serializers.DecimalField(source="instrument.deposit", max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = InstrumentBilling
        fields = [
            "instrument",
            "hourly_rate_internal",
            "hourly_rate_external",
            "deposit",
            "basis",
            "billing_unit_minutes",
            "operator_surcharge_per_hour",
            "no_show_rule",
            "no_show_fee",
            "late_cancellation_rule",
            "late_cancellation_fee",
        ]
        read_only_fields = ["instrument", "hourly_rate_internal", "hourly_rate_external", "deposit"]


class InstrumentBillingInputSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=InstrumentBilling.Basis.choices, required=False)
    billing_unit_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False)
    operator_surcharge_per_hour = serializers.CharField(max_length=32, required=False)
    no_show_rule = serializers.ChoiceField(choices=InstrumentBilling._meta.get_field("no_show_rule").choices or [],
                                           required=False)  # fmt: skip
    no_show_fee = serializers.CharField(max_length=32, required=False)
    late_cancellation_rule = serializers.ChoiceField(
        choices=InstrumentBilling._meta.get_field("late_cancellation_rule").choices or [], required=False
    )
    late_cancellation_fee = serializers.CharField(max_length=32, required=False)


class ProviderBillingSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", read_only=True)

    class Meta:
        model = ProviderBilling
        fields = ["unit", "due_days", "monthly_statements", "last_statement_number"]
        read_only_fields = ["unit", "last_statement_number"]


class ProviderBillingInputSerializer(serializers.Serializer):
    due_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    monthly_statements = serializers.BooleanField(required=False)
