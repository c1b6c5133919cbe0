"""Robots and their messages in the Django admin (messages read-only: the delivery log)."""

from django.contrib import admin

from .models import RobotMessage, RobotWebhook


@admin.register(RobotWebhook)
class RobotWebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "unit", "user", "language", "enabled", "created_at"]
    list_filter = ["service", "enabled"]
    list_select_related = ["unit", "user"]
    search_fields = ["name", "unit__name", "user__username"]
    readonly_fields = ["unit", "user", "service", "url", "created_by", "created_at"]
    exclude = ["secret_encrypted"]

    def has_add_permission(self, request) -> bool:
        return False  # robots are added on the robots page or the API, where the address is checked


@admin.register(RobotMessage)
class RobotMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "webhook", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    list_select_related = ["webhook"]
    readonly_fields = [f.name for f in RobotMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
