"""Serializers of the bookings API: input validation and output shape only; services do the work."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Booking, BookingEvent, ContestableFact, Dispute, Incident, Review


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; a naive time is refused rather than guessed."""

    default_error_messages = {"naive": _("Give the time with its UTC offset, e.g. 2026-05-01T09:00:00+08:00.")}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        # DRF makes naive input aware in the current zone; look at the raw text instead.
        from django.utils.dateparse import parse_datetime

        raw = parse_datetime(value) if isinstance(value, str) else value
        if raw is None or timezone.is_naive(raw):
            self.fail("naive")
        return parsed


class BookingCreateSerializer(serializers.Serializer):
    instrument = serializers.IntegerField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    purpose = serializers.CharField(max_length=2000)
    project_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    operator_assisted = serializers.BooleanField(required=False, default=False)
    requester_unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    rate_kind = serializers.ChoiceField(choices=Booking.RateKind.choices, required=False, allow_null=True, default=None)


class BookingMoveSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class BookingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RefusalOutlookSerializer(serializers.Serializer):
    """Whether refusing the booking now would count as justified for the provider, and why."""

    refusable = serializers.BooleanField(help_text="False when the booking is no pending request.")
    justified = serializers.BooleanField()
    justification = serializers.CharField(help_text="The rule that justifies it; empty when none does.")
    explanation = serializers.CharField()


class ActualHoursSerializer(serializers.Serializer):
    actual_hours = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None, min_value=0
    )
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why a provider's hours differ from check-in to check-out (required then; the requester sees it).",
    )


class HoursCorrectionSerializer(serializers.Serializer):
    actual_hours = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the recorded hours were wrong (required for 0.25 h or more; the requester sees it).",
    )


class BookingSerializer(serializers.ModelSerializer):
    instrument_name = serializers.CharField(source="instrument.display_name", read_only=True)
    unit = serializers.IntegerField(source="instrument.unit_id", read_only=True)
    requester_username = serializers.CharField(source="requester.username", read_only=True)
    booked_hours = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    moved_to: serializers.Field = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "instrument",
            "instrument_name",
            "unit",
            "requester",
            "requester_username",
            "requester_unit",
            "start",
            "end",
            "state",
            "purpose",
            "project_code",
            "rate_kind",
            "hourly_rate",
            "price",
            "deposit_amount",
            "deposit_state",
            "operator_assisted",
            "checked_in_at",
            "checked_out_at",
            "booked_hours",
            "actual_hours",
            "decided_at",
            "refusal_reason",
            "cancelled_at",
            "cancellation_late",
            "released_at",
            "moved_to",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BookingEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = BookingEvent
        fields = ["action", "from_state", "to_state", "actor", "reason", "at"]
        read_only_fields = fields


class BookingDetailSerializer(BookingSerializer):
    history = BookingEventSerializer(source="events", many=True, read_only=True)
    requester_credit_tier = serializers.SerializerMethodField(
        help_text=_(
            "The requester's current credit tier (excellent, good, fair, poor, bad; empty while not scored): "
            "shown to the instrument's managers while the request waits for their decision, and to whoever may "
            "see the requester's credit; null for everyone else."
        )
    )

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "history", "requester_credit_tier"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_requester_credit_tier(self, booking) -> str | None:
        """Given by the view in the context ({booking id: tier}), only where the viewer may see it."""
        return self.context.get("requester_tiers", {}).get(booking.pk)


class ReviewInputSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    text = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Review
        fields = ["id", "booking", "side", "stars", "tags", "text", "created_at"]
        read_only_fields = fields


class IncidentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Incident.Kind.choices)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices)
    estimated_loss = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, default=0)  # type: ignore[arg-type]  # DRF takes any default
    description = serializers.CharField(max_length=8000)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=10)


class IncidentSerializer(serializers.ModelSerializer):
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "booking",
            "reporter_side",
            "kind",
            "severity",
            "estimated_loss",
            "description",
            "state",
            "response",
            "responded_at",
            "attachments",
            "created_at",
        ]
        read_only_fields = fields

    def get_attachments(self, incident) -> list[str]:
        return [attachment.file.name for attachment in incident.attachments.all()]


class DisputeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dispute
        fields = [
            "id",
            "incident",
            "fact",
            "reason",
            "state",
            "decision",
            "decision_reason",
            "severity",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class DisputeDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Dispute.Decision.choices)
    reason = serializers.CharField(max_length=4000)
    severity = serializers.ChoiceField(
        choices=Incident.Severity.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Uphold an incident at this severity instead of the reported one.",
    )


class ContestableFactSerializer(serializers.ModelSerializer):
    """A one-sided fact about the requester: pending (contestable until ...), contested, recorded or dismissed."""

    asserted_by_username = serializers.CharField(source="asserted_by.username", read_only=True, allow_null=True)
    booked_hours = serializers.SerializerMethodField(help_text="An overrun: the hours booked.")
    actual_hours = serializers.SerializerMethodField(help_text="An overrun: the hours stated as used.")
    measured_hours = serializers.SerializerMethodField(
        help_text="An overrun: the hours from check-in to check-out (empty: nobody checked in)."
    )

    class Meta:
        model = ContestableFact
        fields = [
            "id",
            "booking",
            "kind",
            "state",
            "asserted_by_username",
            "reason",
            "booked_hours",
            "actual_hours",
            "measured_hours",
            "occurred_at",
            "contestable_until",
            "contest_reason",
            "contested_at",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_booked_hours(self, fact) -> str:
        return fact.details.get("booked_hours", "")

    def get_actual_hours(self, fact) -> str:
        return fact.details.get("actual_hours", "")

    def get_measured_hours(self, fact) -> str:
        return fact.details.get("measured_hours", "")


class AvailabilityQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    def validate(self, attrs):
        from datetime import timedelta

        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if attrs["end"] - attrs["start"] > timedelta(days=62):
            raise serializers.ValidationError({"end": _("Ask for at most 62 days at a time.")})
        return attrs


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=["free", "taken", "closed", "blackout", "unavailable"])


class AvailabilitySerializer(serializers.Serializer):
    instrument = serializers.IntegerField()
    status = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    slots = SlotSerializer(many=True)
