"""Credit API serializers: explicit fields, the public part of an entry separate from the private one."""

from __future__ import annotations

from rest_framework import serializers

from ..display import evidence_summary, how_to_object, reasons_rendered, rule_label, subject_public
from ..models import Appeal, CreditEvent, CreditScore, ListEntry, RepairRequest


class PublicListEntrySerializer(serializers.ModelSerializer):
    """What a public credit list carries."""

    list = serializers.CharField(source="list_type")
    severity = serializers.CharField(read_only=True)
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

    def get_subject(self, entry) -> dict:
        return subject_public(entry.subject)

    def get_rule_label(self, entry) -> str:
        return rule_label(entry.rule)

    def get_evidence_summary(self, entry) -> str:
        return evidence_summary(entry)

    def get_how_to_object(self, entry) -> str:
        return how_to_object()


class AppealSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)  # open | upheld | dismissed

    class Meta:
        model = Appeal
        fields = ["id", "entry", "reason", "status", "submitted_at", "due_on", "decision_reason", "decided_at"]


class RepairRequestSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)  # pending | granted | refused

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

    status = serializers.CharField(read_only=True)  # proposed | published | rejected | expired | repaired | revoked
    basis_events = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
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
    status = serializers.CharField(read_only=True)

    class Meta(PublicListEntrySerializer.Meta):
        fields = [*PublicListEntrySerializer.Meta.fields, "status", "evidence", "proposed_at", "decision_reason"]


class SnapshotSerializer(serializers.ModelSerializer):
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

    def get_reasons(self, snapshot) -> list[dict]:
        return reasons_rendered(snapshot.reasons)


class ConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField()
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    severity = serializers.CharField(required=False, allow_blank=True, help_text="minor, general or serious")


class ReasonSerializer(serializers.Serializer):
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
    kind = serializers.CharField(required=False, default="collaboration")
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- H13 (issue 6): the subject's ledger, read by the subject and its admins ----------------------
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
