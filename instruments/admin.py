"""Django admin for platform admins: regions, units (with members and verification actions), categories, instruments."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sharing_platform.errors import DomainError

from .models import Instrument, InstrumentCategory, Membership, Region, Unit
from .services.units import unit_verify


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "parent"]
    list_select_related = ["parent"]
    search_fields = ["code", "name_zh", "name_en"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    raw_id_fields = ["parent"]
    ordering = ["code"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "kind", "credit_code", "region", "status", "credit_score", "created_at"]
    list_select_related = ["region"]
    list_filter = ["status", "kind", ("region", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "name_en", "credit_code", "contact_name", "contact_email"]
    date_hierarchy = "created_at"
    raw_id_fields = ["region", "status_changed_by"]
    readonly_fields = [
        "status",
        "status_reason",
        "status_changed_at",
        "status_changed_by",
        "credit_score",
        "credit_tier",
        "created_at",
        "updated_at",
    ]
    inlines = [MembershipInline]
    actions = ["verify_selected", "reject_selected"]
    fieldsets = [
        (None, {"fields": ["name", "name_en", "kind", "credit_code", "region"]}),
        (
            _("Contact"),
            {"fields": ["address", "contact_name", "contact_phone", "contact_email", "website"]},
        ),
        (_("Profile"), {"fields": ["accreditations", "description"]}),
        (
            _("Verification and credit (changed through actions and services)"),
            {"fields": tuple(readonly_fields)},
        ),
    ]

    def _decide(self, request, queryset, *, approved: bool, reason: str) -> None:
        done, refused = 0, []
        for unit in queryset.order_by("pk"):
            try:
                unit_verify(actor=request.user, unit=unit, approved=approved, reason=reason)
            except DomainError as error:
                refused.append(f"{unit}: {error.message}")
            else:
                done += 1
        if done:
            template = (
                ngettext("%(count)d unit verified.", "%(count)d units verified.", done)
                if approved
                else ngettext("%(count)d unit rejected.", "%(count)d units rejected.", done)
            )
            self.message_user(request, template % {"count": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Verify the selected pending units"))
    def verify_selected(self, request, queryset):
        self._decide(request, queryset, approved=True, reason="")

    @admin.action(description=_("Reject the selected pending units (documents not acceptable)"))
    def reject_selected(self, request, queryset):
        # Admin actions take no input; a reason with more detail can be given on the verification page.
        self._decide(
            request,
            queryset,
            approved=False,
            reason=str(_("Rejected by a platform administrator: the registration documents were not acceptable.")),
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "created_at"]
    list_select_related = ["user", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "unit__name", "unit__name_en"]
    raw_id_fields = ["user", "unit"]


@admin.register(InstrumentCategory)
class InstrumentCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "parent", "sort_order"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["parent__sort_order", "sort_order", "code"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "unit",
        "category",
        "asset_number",
        "status",
        "original_value",
        "hourly_rate_external",
        "updated_at",
    ]
    list_select_related = ["unit", "category"]
    list_filter = ["status", "requires_approval", "requires_qualification", "category__parent"]
    search_fields = ["name", "name_en", "asset_number", "model_number", "manufacturer", "unit__name"]
    raw_id_fields = ["unit", "category"]
    readonly_fields = ["created_at", "updated_at", "retired_at"]
    date_hierarchy = "created_at"
