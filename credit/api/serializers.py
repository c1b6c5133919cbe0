"""Credit API serializers: explicit fields, the public part of an entry separate from the private one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from instruments.models import CreditTier

from ..display import evidence_summary, how_to_object, reasons_rendered, rule_label, subject_public
from ..models import Appeal, CreditEvent, CreditScore, CreditWarning, Endorsement, ListEntry, RepairRequest


class SubjectSerializer(serializers.Serializer):
    """Who an entry or a score is about: a unit (with its social credit code) or a person."""

    type = serializers.ChoiceField(choices=["unit", "user"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField(help_text='The unit\'s unified social credit code; "" for a person.')


class EvidenceItemSerializer(serializers.Serializer):
    """One ledger event an entry rests on."""

    event = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CreditEvent.Kind.choices)
    severity = serializers.ChoiceField(choices=CreditEvent.Severity.choices, allow_blank=True)
    occurred_at = serializers.DateTimeField()


class PublicListEntrySerializer(serializers.ModelSerializer):
    """What a public credit list carries."""

    list = serializers.ChoiceField(source="list_type", choices=ListEntry.List.choices, read_only=True)
    severity = serializers.ChoiceField(choices=ListEntry.Severity.choices, allow_blank=True, read_only=True)
    subject = serializers.SerializerMethodField()
    rule_label = serializers.SerializerMethodField()
    evidence_summary = serializers.SerializerMethodField()
    how_to_object = serializers.SerializerMethodField()

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "list",
            "subject",
            "severity",
            "reason",
            "rule",
            "rule_label",
            "evidence_summary",
            "listing_authority",
            "published_at",
            "expires_at",
            "how_to_object",
        ]

    @extend_schema_field(SubjectSerializer)
    def get_subject(self, entry) -> dict:
        return subject_public(entry.subject)

    def get_rule_label(self, entry) -> str:
        return rule_label(entry.rule)

    def get_evidence_summary(self, entry) -> str:
        return evidence_summary(entry)

    def get_how_to_object(self, entry) -> str:
        return how_to_object()


class AppealSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Appeal.Status.choices, read_only=True)

    class Meta:
        model = Appeal
        fields = ["id", "entry", "reason", "status", "submitted_at", "due_on", "decision_reason", "decided_at"]


class RepairRequestSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=RepairRequest.Status.choices, read_only=True)

    class Meta:
        model = RepairRequest
        fields = [
            "id",
            "entry",
            "proof_text",
            "proof_file",
            "commitment_signed",
            "status",
            "submitted_at",
            "decision_reason",
            "decided_at",
        ]


class ListEntrySerializer(PublicListEntrySerializer):
    """The full entry, for moderators and for the subject itself."""

    status = serializers.ChoiceField(choices=ListEntry.Status.choices, read_only=True)
    evidence = EvidenceItemSerializer(many=True, read_only=True)
    basis_events: serializers.Field = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    appeals = AppealSerializer(many=True, read_only=True)
    repair_requests = RepairRequestSerializer(many=True, read_only=True)

    class Meta(PublicListEntrySerializer.Meta):
        fields = [
            *PublicListEntrySerializer.Meta.fields,
            "status",
            "evidence",
            "basis_events",
            "proposed_at",
            "decision_reason",
            "decided_at",
            "ended_at",
            "appeals",
            "repair_requests",
        ]


class ModerationEntrySerializer(PublicListEntrySerializer):
    status = serializers.ChoiceField(choices=ListEntry.Status.choices, read_only=True)
    evidence = EvidenceItemSerializer(many=True, read_only=True)

    class Meta(PublicListEntrySerializer.Meta):
        fields = [*PublicListEntrySerializer.Meta.fields, "status", "evidence", "proposed_at", "decision_reason"]


class ReasonParamsSerializer(serializers.Serializer):
    """What a reason is about; which keys are present depends on its code."""

    kind = serializers.ChoiceField(choices=CreditEvent.Kind.choices, required=False, help_text="events, cap")
    count = serializers.IntegerField(required=False, help_text="events, external, endorsements")
    window = serializers.ChoiceField(choices=["90d", "12m", "all"], required=False, help_text="events")
    mean = serializers.FloatField(required=False, help_text="events of reviews: the mean stars")
    cap = serializers.IntegerField(required=False, help_text="cap: the highest score allowed meanwhile")
    until = serializers.DateField(required=False, help_text="cap: the last day of the cap")
    status = serializers.CharField(required=False, help_text="unit_status: the unit's verification status")
    accreditations = serializers.IntegerField(required=False, help_text="unit_status")
    verified_member = serializers.BooleanField(required=False, help_text="person_identity")


class ReasonSerializer(serializers.Serializer):
    """A fact that moved the score, with its effect in points and a sentence in the reader's language."""

    code = serializers.ChoiceField(
        choices=["cap", "events", "unit_status", "person_identity", "external", "endorsements"]
    )
    params = ReasonParamsSerializer()
    impact = serializers.FloatField(help_text="Points the fact adds to (or takes from) the score.")
    text = serializers.CharField()


class SnapshotSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=CreditTier.choices, read_only=True)
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = CreditScore
        fields = [
            "score",
            "tier",
            "record",
            "fulfilment",
            "external",
            "identity",
            "relationships",
            "cap",
            "reasons",
            "model_version",
            "as_of",
        ]

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, snapshot) -> list[dict]:
        return reasons_rendered(snapshot.reasons)


class ScorePointSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    score = serializers.IntegerField()


class CreditHistorySerializer(serializers.Serializer):
    """A person's history of kept bookings, what a deposit waiver and automatic approval require of it, and what
    is still missing (a thin file earns neither, whatever the tier)."""

    kept_bookings = serializers.IntegerField()
    distinct_providers = serializers.IntegerField()
    required_kept_bookings = serializers.IntegerField()
    required_providers = serializers.IntegerField()
    missing_kept_bookings = serializers.IntegerField()
    missing_providers = serializers.IntegerField()
    sufficient = serializers.BooleanField()
    missing = serializers.CharField(help_text='What is still missing, in words; "" when nothing is.')


class CreditStandingSerializer(serializers.Serializer):
    """What the credit means for bookings now."""

    blacklisted = serializers.BooleanField()
    deposit_waived = serializers.BooleanField()
    auto_approval_eligible = serializers.BooleanField()
    history = CreditHistorySerializer(allow_null=True, help_text="A person's history; null for a unit.")


class CreditWarningSerializer(serializers.ModelSerializer):
    """A warning after the second violation: seen by the subject and its unit's admins before any proposal."""

    status = serializers.ChoiceField(choices=CreditWarning.Status.choices, read_only=True)
    evidence = EvidenceItemSerializer(many=True, read_only=True)

    class Meta:
        model = CreditWarning
        fields = ["id", "status", "issued_at", "closed_at", "violations", "bookings", "reason", "evidence"]
        read_only_fields = fields


class SubjectCreditPrivateSerializer(serializers.Serializer):
    """What only the subject, its unit's admins and platform admins see."""

    standing = CreditStandingSerializer()

    snapshot = SnapshotSerializer(allow_null=True, help_text="The latest score and its reasons (null: not scored).")
    history = ScorePointSerializer(many=True, help_text="The score over time, oldest first.")
    entries = ListEntrySerializer(many=True, help_text="Every list entry about the subject, in any status.")
    warnings = CreditWarningSerializer(
        many=True, help_text="Warnings after a second violation, newest first (an open one precedes any proposal)."
    )


class SubjectCreditSerializer(serializers.Serializer):
    """A subject's credit. A person's score and tier are only in the full file ("visibility": "full": the
    person, the admins of their verified units, platform admins, the partner that created them); anyone
    else sees a person's published list entries only. Units' scores are public."""

    subject = SubjectSerializer()
    visibility = serializers.ChoiceField(choices=["public", "full"])
    score = serializers.IntegerField(allow_null=True)
    tier = serializers.ChoiceField(choices=CreditTier.choices, allow_blank=True, help_text='"" while unscored.')
    trusted_provider = serializers.BooleanField()
    published_entries = PublicListEntrySerializer(many=True)
    private = SubjectCreditPrivateSerializer(required=False)


class EndorsementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Endorsement
        fields = ["id", "endorser", "endorsed", "kind", "note", "created_at"]
        read_only_fields = fields


class ConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField()
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    severity = serializers.CharField(required=False, allow_blank=True, help_text="minor, general or serious")


class ReasonSerializer(serializers.Serializer):  # type: ignore[no-redef]  # the contract names it ReasonRequest
    reason = serializers.CharField()


class AppealDecisionSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    reason = serializers.CharField()


class RepairDecisionSerializer(serializers.Serializer):
    granted = serializers.BooleanField()
    reason = serializers.CharField()


class RepairSubmitSerializer(serializers.Serializer):
    proof_text = serializers.CharField()
    proof_file = serializers.FileField(required=False, allow_null=True)
    commitment_signed = serializers.BooleanField()


class EndorsementCreateSerializer(serializers.Serializer):
    endorser = serializers.IntegerField()
    endorsed = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=Endorsement.Kind.choices, required=False, default=Endorsement.Kind.COLLABORATION
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- The subject's ledger, read by the subject and its admins -----------------------------------
class CreditEventSerializer(serializers.ModelSerializer):
    """One ledger event about the subject (who the other party was is not shown)."""

    class Meta:
        model = CreditEvent
        fields = [
            "id",
            "kind",
            "polarity",
            "weight",
            "value",
            "severity",
            "source",
            "source_ref",
            "reverses",
            "occurred_at",
            "recorded_at",
        ]
        read_only_fields = fields
