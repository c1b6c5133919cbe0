"""Admin: issue and revoke keys (the raw key is shown once), watch and replay webhook deliveries."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin

from . import webhooks
from .models import (
    IdempotencyRecord,
    Partner,
    PartnerCreditReport,
    PartnerKey,
    PartnerUser,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
)
from .services import partner_key_issue, partner_key_revoke, partner_key_update


class PartnerKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = PartnerKey
        fields = ["partner", "name", "scopes", "expiry_date", "revoked"]

    def clean_expiry_date(self):
        """The services' rule, shown on the form: a new or changed expiry lies in the future."""
        expiry = self.cleaned_data.get("expiry_date")
        if expiry is not None and "expiry_date" in self.changed_data and expiry <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expiry


@admin.register(PartnerKey)
class PartnerKeyAdmin(APIKeyModelAdmin):
    """Saving a new key shows it once in a message (the library's admin); only its hash is stored."""

    form = PartnerKeyForm
    list_display = ("prefix", "name", "partner", "scopes", "created", "expiry_date", "_has_expired", "revoked",
                    "last_used_at")  # type: ignore[assignment]  # fmt: skip
    list_filter = ("revoked", "partner")  # type: ignore[assignment]  # the library's admin types its own tuples
    list_select_related = ("partner",)
    search_fields = ("name", "prefix", "partner__name")  # type: ignore[assignment]  # likewise
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "last_used_at")
        return (*fields, "partner", "scopes") if obj is not None and obj.revoked else fields

    def save_model(self, request, obj, form, change):
        """Writes go through the services: a new key is issued (its raw key shown once, as the library's admin
        does), a changed one updated, and ticking "revoked" revokes it."""
        if not change:
            key, raw_key = partner_key_issue(
                partner=obj.partner, name=obj.name, scopes=obj.scopes, expires_at=obj.expiry_date
            )
            obj.pk, obj.prefix, obj.hashed_key, obj.created = key.pk, key.prefix, key.hashed_key, key.created
            obj._state.adding, obj._state.db = False, key._state.db
            messages.warning(
                request,
                _("The API key for %(name)s is: %(key)s. Store it somewhere safe: it is not shown again.")
                % {"name": key.name, "key": raw_key},
            )
            return
        key = PartnerKey.objects.get(pk=obj.pk)
        if {"partner", "name", "scopes", "expiry_date"} & set(form.changed_data):
            key = partner_key_update(
                key=key, partner=obj.partner, name=obj.name, scopes=obj.scopes, expires_at=obj.expiry_date
            )
        if "revoked" in form.changed_data and obj.revoked:
            partner_key_revoke(key=key)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked=False))
        for key in keys:
            partner_key_revoke(key=key)  # writes go through the service
        count = len(keys)
        self.message_user(request, ngettext("%d key revoked.", "%d keys revoked.", count) % count)


class PartnerKeyInline(admin.TabularInline):
    model = PartnerKey
    fields = ("prefix", "name", "scopes", "expiry_date", "revoked", "last_used_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are issued on their own page, where the raw key is shown once


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_email", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_email")
    inlines = [PartnerKeyInline]


@admin.register(PartnerUser)
class PartnerUserAdmin(admin.ModelAdmin):
    list_display = ("partner", "external_id", "user", "created_at")
    list_select_related = ("partner", "user")
    list_filter = ("partner",)
    search_fields = ("external_id", "user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("partner", "url", "events", "is_active", "created_at")
    list_select_related = ("partner",)
    list_filter = ("is_active", "partner")
    search_fields = ("url", "partner__name")
    readonly_fields = ("created_at",)
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "event_id", "endpoint", "status", "attempts", "response_code", "next_retry_at",
                    "delivered_at", "created_at")  # fmt: skip
    list_select_related = ("endpoint", "endpoint__partner")
    list_filter = ("status", "event")
    search_fields = ("event_id", "endpoint__url")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Replay the selected deliveries"))
    def replay(self, request, queryset):
        deliveries = list(queryset)
        for delivery in deliveries:
            webhooks.delivery_replay(delivery=delivery)
        self.message_user(
            request,
            ngettext("%d delivery queued again.", "%d deliveries queued again.", len(deliveries)) % len(deliveries),
            messages.SUCCESS,
        )


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("owner", "key", "method", "path", "response_status", "created_at")
    search_fields = ("owner", "key")
    readonly_fields = [field.name for field in IdempotencyRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PartnerCreditReport)
class PartnerCreditReportAdmin(admin.ModelAdmin):
    list_display = ("partner", "report", "created_at")
    list_select_related = ("partner", "report")
    readonly_fields = ("partner", "report", "created_at")

    def has_add_permission(self, request):
        return False
