"""Django admin for platform admins: charges, statements and payments are read-only records here (the
services and pages write them); billing rules and terms can be edited."""

from django.contrib import admin

from .models import Charge, InstrumentBilling, Payment, ProviderBilling, Statement, StatementLine


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records change only through the services (corrections are adjustment lines)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "booking", "provider_unit", "payer_unit", "project_code", "hours", "amount",
                    "incurred_at"]  # fmt: skip
    list_select_related = ["provider_unit", "payer_unit", "booking"]
    list_filter = ["kind"]
    search_fields = ["project_code", "booking__id"]
    date_hierarchy = "incurred_at"


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    fields = ["charge", "voided"]
    readonly_fields = fields  # type: ignore[assignment]  # plain names, as the stubs want
    raw_id_fields = ["charge"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["amount", "paid_on", "reference", "status", "declared_by", "recorded_by", "confirmed_at"]
    readonly_fields = fields  # type: ignore[assignment]  # plain names, as the stubs want

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["reference", "provider_unit", "payer_unit", "issued_at", "due_date", "total", "amount_paid",
                    "status"]  # fmt: skip
    list_select_related = ["provider_unit", "payer_unit"]
    list_filter = ["status"]
    date_hierarchy = "issued_at"
    inlines = [StatementLineInline, PaymentInline]

    def has_change_permission(self, request, obj=None):
        return request.method in {"GET", "HEAD"}  # read the detail page with its lines, change nothing


@admin.register(InstrumentBilling)
class InstrumentBillingAdmin(admin.ModelAdmin):
    list_display = ["instrument", "basis", "billing_unit_minutes", "operator_surcharge_per_hour", "no_show_rule",
                    "late_cancellation_rule"]  # fmt: skip
    list_select_related = ["instrument"]
    raw_id_fields = ["instrument"]


@admin.register(ProviderBilling)
class ProviderBillingAdmin(admin.ModelAdmin):
    list_display = ["unit", "due_days", "monthly_statements", "last_statement_number"]
    list_select_related = ["unit"]
    raw_id_fields = ["unit"]
    readonly_fields = ["last_statement_number"]
