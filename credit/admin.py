"""Credit admin: the ledger and snapshots read-only; external reports added through the service."""

from django.contrib import admin

from .forms import ExternalCreditReportAdminForm
from .models import (
    Appeal,
    CreditEvent,
    CreditRun,
    CreditScore,
    CreditWarning,
    Endorsement,
    ExternalCreditReport,
    ListEntry,
    RepairRequest,
    TrustedProviderBadge,
)
from .services import external_report_create


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and snapshots: visible, never changed or deleted here (corrections are new events)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "subject_key", "kind", "polarity", "weight", "severity", "source", "source_ref"]
    list_filter = ["kind", "source", "severity"]
    search_fields = ["subject_key", "source_ref"]
    list_select_related = ["subject_user", "subject_unit"]
    date_hierarchy = "occurred_at"


@admin.register(CreditScore)
class CreditScoreAdmin(ReadOnlyAdmin):
    list_display = [
        "as_of",
        "subject_key",
        "score",
        "tier",
        "record",
        "fulfilment",
        "external",
        "identity",
        "relationships",
    ]
    list_filter = ["tier", "model_version"]
    search_fields = ["subject_key"]


@admin.register(CreditRun)
class CreditRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "scope", "status", "as_of", "subjects_seen", "snapshots_written", "finished_at"]


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    """Moderation happens on the moderation page (with reasons and bounds); here entries are for reference."""

    list_display = [
        "proposed_at",
        "list_type",
        "subject_key",
        "rule",
        "severity",
        "status",
        "published_at",
        "expires_at",
    ]
    list_filter = ["list_type", "status", "severity", "rule"]
    search_fields = ["subject_key", "reason"]
    list_select_related = ["subject_user", "subject_unit", "moderator"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "entry", "status", "due_on", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["entry"]


@admin.register(RepairRequest)
class RepairRequestAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "entry", "status", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["entry"]


@admin.register(TrustedProviderBadge)
class TrustedProviderBadgeAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "unit", "awarded_at", "valid_until", "revoked_at"]
    list_select_related = ["unit"]


@admin.register(CreditWarning)
class CreditWarningAdmin(ReadOnlyAdmin):
    list_display = ["subject_key", "status", "issued_at", "violations", "bookings", "closed_at"]
    list_filter = ["status"]
    list_select_related = ["subject_user", "subject_unit"]


@admin.register(Endorsement)
class EndorsementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "endorser", "endorsed", "kind", "revoked_at"]
    list_select_related = ["endorser", "endorsed"]
    raw_id_fields = ["endorser", "endorsed", "created_by"]


@admin.register(ExternalCreditReport)
class ExternalCreditReportAdmin(admin.ModelAdmin):
    """Add reports here (normalised to 0..1 and put on the ledger by the service); they are not edited afterwards."""

    form = ExternalCreditReportAdminForm
    list_display = ["reported_at", "subject_key", "source", "score", "range_min", "range_max", "expires_at"]
    list_filter = ["source"]
    search_fields = ["subject_key", "source", "reference"]
    list_select_related = ["subject_user", "subject_unit"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        report = external_report_create(
            subject=data["subject_unit"] or data["subject_user"],
            source=data["source"],
            score=data["score"],
            range_min=data["range_min"],
            range_max=data["range_max"],
            reported_at=data["reported_at"],
            expires_at=data["expires_at"],
            reference=data.get("reference", ""),
            submitted_by=request.user,
        )
        obj.pk = report.pk
        obj.__dict__.update(report.__dict__)
