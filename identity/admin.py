"""Django admin for institutional sign-on: providers (secrets write-only), people, links, the audit trail."""

from __future__ import annotations

from django.contrib import admin, messages

from sharing_platform.errors import DomainError

from . import services
from .forms import IdentityProviderForm
from .models import (
    ExternalIdentity,
    IdentityProvider,
    Person,
    PersonAccount,
    PersonVouch,
    ReRegistrationFlag,
    SignInEvent,
)


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    list_display = ["display_name", "unit", "protocol", "server_url", "auto_membership", "enabled"]
    list_filter = ["protocol", "enabled", "auto_membership"]
    list_select_related = ["unit"]
    search_fields = ["display_name", "display_name_en", "unit__name", "server_url"]
    autocomplete_fields = ["unit"]

    def save_model(self, request, obj, form, change):
        """Through the services, so the secret is encrypted and the same rules hold as on the page and the API."""
        if change:
            saved = services.identity_provider_update(
                actor=request.user, provider=obj, changes=form.values(), secret=form.secret_value()
            )
        else:
            saved = services.identity_provider_create(
                actor=request.user, values=form.values(), secret=form.secret_value()
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            services.identity_provider_delete(actor=request.user, provider=obj)
        except DomainError as error:
            messages.error(request, error.message)


class PersonAccountInline(admin.TabularInline):
    """Read-only: an account joins a person through the services (sign-on, vouching, a re-registration
    decision), which make the person's record follow it (credit/services/persons.py)."""

    model = PersonAccount
    extra = 0
    raw_id_fields = ["user"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["id", "display_name", "verified_by", "verified_at"]
    list_select_related = ["verified_by"]
    search_fields = ["display_name", "accounts__user__username"]
    inlines = [PersonAccountInline]


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ["external_id", "provider", "user", "email", "staff_number", "last_sign_in_at"]
    list_select_related = ["provider", "user"]
    list_filter = ["provider"]
    search_fields = ["external_id", "email", "user__username", "staff_number"]
    raw_id_fields = ["user"]
    readonly_fields = ["attributes", "created_at", "last_sign_in_at"]


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """The audit trail: read-only."""

    list_display = ["at", "outcome", "code", "provider", "external_id", "user", "ip_address"]
    list_filter = ["outcome", "protocol", "code"]
    list_select_related = ["provider", "user"]
    search_fields = ["external_id", "user__username", "detail"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonVouch)
class PersonVouchAdmin(admin.ModelAdmin):
    """Vouchings are made on the unit admins' page (identity:vouch), through the service: read-only here."""

    list_display = ["created_at", "user", "unit", "vouched_by", "person"]
    list_select_related = ["user", "unit", "vouched_by", "person"]
    search_fields = ["user__username", "unit__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReRegistrationFlag)
class ReRegistrationFlagAdmin(admin.ModelAdmin):
    """Decided on the platform admins' page (identity:reregistrations), through the service: read-only here."""

    list_display = ["created_at", "account", "other_account", "signal", "status", "decided_by"]
    list_filter = ["signal", "status"]
    list_select_related = ["account", "other_account", "decided_by"]
    search_fields = ["account__username", "other_account__username", "detail"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
