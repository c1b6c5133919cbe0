"""Admin: what is waiting in the outbox, what failed and why (read-only; the relay does the sending)."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import OutboxMessage


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Pending")),
            ("failing", _("Failing")),
            ("unhandled", _("Dispatched, not handled")),
            ("handled", _("Handled")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "pending":
            return queryset.filter(dispatched_at__isnull=True)
        if value == "failing":
            return queryset.filter(~Q(last_error=""), handled_at__isnull=True)
        if value == "unhandled":
            return queryset.filter(dispatched_at__isnull=False, handled_at__isnull=True)
        if value == "handled":
            return queryset.filter(handled_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task_name", "created_at", "dispatched_at", "handled_at", "attempts", "last_error")
    list_filter = (StateFilter, "task_name")
    search_fields = ("task_name",)
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
