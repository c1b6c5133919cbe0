"""Serializers of the partner API: input validation and output shape only; services do the work."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from billing.api.serializers import ChargeSerializer, StatementSerializer
from bookings.api.serializers import AwareDateTimeField, BookingSerializer
from bookings.models import BookingState, ContestableFact
from credit.models import ExternalCreditReport, ListEntry
from instruments.models import CreditTier

from ..models import PartnerUser, WebhookDelivery, WebhookEndpoint, WebhookEvent


class PartnerUserInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text=_("Your identifier of the user."))
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PartnerUserSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="user.pk", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = PartnerUser
        fields = ["external_id", "user_id", "email", "name", "created_at"]
        read_only_fields = fields


class PartnerBookingCreateSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text=_("The partner's id of the user booking."))
    instrument = serializers.IntegerField(min_value=1)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    purpose = serializers.CharField(max_length=2000)
    project_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    operator_assisted = serializers.BooleanField(required=False, default=False)


class PartnerBookingSerializer(BookingSerializer):
    external_id = serializers.CharField(read_only=True, help_text=_("The partner's id of the requester."))

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "external_id"]
        read_only_fields = fields


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text=_("https:// (or http://) URL receiving POSTed events."))
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, max_length=10
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "is_active", "created_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("The signing secret. Shown only in this response: store it now.")
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


# --- The body of a webhook delivery (docs/partners.md, section 3) ----------------------------------


class WebhookSubjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["unit", "user"])
    id = serializers.IntegerField()
    name = serializers.CharField(required=False, help_text="Units only.")
    credit_code = serializers.CharField(required=False, help_text="Units only: the unified social credit code.")
    external_id = serializers.CharField(
        required=False, allow_null=True, help_text="Users only: your identifier of the user."
    )


class WebhookBookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True, help_text="Your identifier of the requester.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=BookingState.choices)


class WebhookHoursSerializer(serializers.Serializer):
    recorded = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=True, help_text="The hours used recorded before."
    )
    corrected = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=True, help_text="The hours used the provider recorded now."
    )


class WebhookOverrunSerializer(serializers.Serializer):
    # A plain string: a second choice set named "state" would rename the facts API's enum in the schema.
    state = serializers.CharField(
        help_text="One of " + ", ".join(ContestableFact.State.values) + ". pending: the requester may contest it "
        "until contestable_until; withdrawn: the correction undid it; contested: an administrator decides; "
        "recorded: it stands; dismissed: an administrator dismissed it."
    )
    contestable_until = serializers.DateTimeField()


class WebhookFactDetailsSerializer(serializers.Serializer):
    """usage_overrun only (a no-show's details are empty)."""

    booked_hours = serializers.CharField(required=False)
    actual_hours = serializers.CharField(required=False)
    measured_hours = serializers.CharField(required=False, allow_blank=True, help_text="Blank when never measured.")


class WebhookFactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="One of " + ", ".join(ContestableFact.Kind.values) + ".")
    state = serializers.CharField(help_text="contested, recorded or dismissed (the action says which).")
    reason = serializers.CharField(allow_blank=True, help_text="Why the provider (or the platform) asserted it.")
    details = WebhookFactDetailsSerializer()
    occurred_at = serializers.DateTimeField()
    contestable_until = serializers.DateTimeField()


class BookingStateChangedSerializer(serializers.Serializer):
    """data of booking.state_changed."""

    booking = WebhookBookingSerializer()
    action = serializers.CharField(
        help_text="What happened: requested, approved, refused, cancelled, moved, checked_in, checked_out, "
        "no_show, completed, hours_corrected (the provider corrected the hours used of a completed booking), "
        "fact_contested, fact_recorded, fact_dismissed (a no-show's or an overrun's outcome)."
    )
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField()
    reason = serializers.CharField(
        allow_blank=True,
        help_text="hours_corrected: the provider's reason, which the requester sees; fact_contested: the requester's; "
        "fact_recorded and fact_dismissed: the administrator's decision (blank when the window passed uncontested).",
    )
    at = serializers.DateTimeField()
    hours = WebhookHoursSerializer(required=False, help_text="hours_corrected only.")
    overrun = WebhookOverrunSerializer(
        required=False,
        allow_null=True,
        help_text="hours_corrected only: the booking's usage overrun (booked more than twice the hours used) after "
        "the correction, or null if it never had one.",
    )
    fact = WebhookFactSerializer(required=False, help_text="fact_contested, fact_recorded, fact_dismissed only.")


class WebhookEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    list = serializers.ChoiceField(choices=ListEntry.List.choices)
    severity = serializers.ChoiceField(choices=ListEntry.Severity.choices, allow_blank=True)
    status = serializers.ChoiceField(choices=ListEntry.Status.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)


class ListEntryChangedSerializer(serializers.Serializer):
    """data of list_entry.published and list_entry.lifted."""

    entry = WebhookEntrySerializer()
    subject = WebhookSubjectSerializer()


class TierChangedSerializer(serializers.Serializer):
    """data of credit.tier_changed."""

    subject = WebhookSubjectSerializer()
    previous_tier = serializers.ChoiceField(choices=CreditTier.choices, allow_blank=True)
    tier = serializers.ChoiceField(choices=CreditTier.choices)
    score = serializers.IntegerField()
    as_of = serializers.DateTimeField()


class WebhookStatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    provider_unit = WebhookSubjectSerializer()
    payer_unit = WebhookSubjectSerializer()
    period_end = serializers.DateField()
    issued_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    status = serializers.CharField()


class WebhookChargeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    booking = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True, help_text="Your identifier of the requester.")
    kind = serializers.CharField()
    project_code = serializers.CharField(allow_blank=True)
    hours = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    rate_kind = serializers.CharField()
    rate = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    incurred_at = serializers.DateTimeField()


class StatementIssuedSerializer(serializers.Serializer):
    """data of statement.issued: the statement and its lines that bill your users."""

    statement = WebhookStatementSerializer()
    charges = WebhookChargeSerializer(many=True)


WEBHOOK_DATA = PolymorphicProxySerializer(
    component_name="WebhookData",
    serializers=[
        BookingStateChangedSerializer,
        ListEntryChangedSerializer,
        TierChangedSerializer,
        StatementIssuedSerializer,
    ],
    resource_type_field_name=None,  # the payload's `type` says which
)


@extend_schema_field(WEBHOOK_DATA)
class WebhookDataField(serializers.JSONField):
    """One of the event shapes, as the payload's `type` says."""


class WebhookPayloadSerializer(serializers.Serializer):
    """What each delivery POSTs: `type` says which `data` shape follows."""

    id = serializers.CharField(help_text="The event id, the same on every retry (drop duplicates by it).")
    type = serializers.ChoiceField(choices=WebhookEvent.choices)
    created_at = serializers.DateTimeField()
    data = WebhookDataField()  # type: ignore[assignment]  # a declared field, not Serializer.data


@extend_schema_field(WebhookPayloadSerializer)
class WebhookPayloadField(serializers.JSONField):
    """The stored body of a delivery, documented by its shape."""


class WebhookDeliverySerializer(serializers.ModelSerializer):
    payload = WebhookPayloadField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "payload",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "next_retry_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class CreditReportInputSerializer(serializers.Serializer):
    unit_credit_code = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text=_("Subject: a unit, by its code.")
    )
    user_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, help_text=_("Subject: a platform user, by id.")
    )
    user_external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Subject: one of your own users, by your external_id."),
    )
    source = serializers.CharField(max_length=100, help_text=_("Who scored the subject (bureau, platform)."))  # type: ignore[assignment]  # a declared field
    score = serializers.DecimalField(max_digits=10, decimal_places=2)
    range_min = serializers.DecimalField(max_digits=10, decimal_places=2)
    range_max = serializers.DecimalField(max_digits=10, decimal_places=2)
    reported_at = AwareDateTimeField(help_text=_("When the subject was scored."))
    expires_at = AwareDateTimeField(help_text=_("After this the report no longer counts."))
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CreditReportSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(source="subject_key", read_only=True)
    normalised = serializers.FloatField(read_only=True, help_text=_("(score - range_min) / (range_max - range_min)."))

    class Meta:
        model = ExternalCreditReport
        fields = [
            "id",
            "subject",
            "source",
            "score",
            "range_min",
            "range_max",
            "normalised",
            "reported_at",
            "expires_at",
            "reference",
            "created_at",
        ]
        read_only_fields = fields


class PartnerChargeSerializer(ChargeSerializer):
    external_id = serializers.CharField(read_only=True, help_text=_("The partner's id of the requester."))

    class Meta(ChargeSerializer.Meta):
        fields = [*ChargeSerializer.Meta.fields, "external_id"]
        read_only_fields = fields


class PartnerStatementSerializer(StatementSerializer):
    """A statement's header and totals, and only the lines that bill the partner's users."""

    charges = PartnerChargeSerializer(many=True, read_only=True, source="partner_charges")

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "charges"]
        read_only_fields = fields
