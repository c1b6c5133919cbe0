"""Robots and their messages in the Django admin (messages read-only: the delivery log)."""

from django import forms
from django.contrib import admin

from sharing_platform.errors import DomainValidationError

from .models import RobotMessage, RobotWebhook
from .services import robot_settings_checked, robot_webhook_update


class RobotWebhookAdminForm(forms.ModelForm):
    class Meta:
        model = RobotWebhook
        fields = ["name", "events", "language", "enabled"]  # the rest is read-only (RobotWebhookAdmin)

    def clean(self):
        """The service's checks, shown on the form instead of failing on save."""
        cleaned = super().clean()
        if any(key not in cleaned for key in ("name", "events", "language")):
            return cleaned  # a field's own check failed: its message says it
        try:
            robot_settings_checked(
                name=cleaned.get("name", ""), events=cleaned.get("events") or [], language=cleaned.get("language", "")
            )
        except DomainValidationError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


@admin.register(RobotWebhook)
class RobotWebhookAdmin(admin.ModelAdmin):
    form = RobotWebhookAdminForm
    list_display = ["name", "service", "unit", "user", "language", "enabled", "created_at"]
    list_filter = ["service", "enabled"]
    list_select_related = ["unit", "user"]
    search_fields = ["name", "unit__name", "user__username"]
    readonly_fields = ["unit", "user", "service", "url", "created_by", "created_at"]
    exclude = ["secret_encrypted"]

    def has_add_permission(self, request) -> bool:
        return False  # robots are added on the robots page or the API, where the address is checked

    def save_model(self, request, obj, form, change):
        """Changes go through the service, which checks the name, messages and language."""
        robot_webhook_update(
            actor=request.user,
            webhook=RobotWebhook.objects.get(pk=obj.pk),
            name=obj.name,
            events=obj.events,
            language=obj.language,
            enabled=obj.enabled,
        )


@admin.register(RobotMessage)
class RobotMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "webhook", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    list_select_related = ["webhook"]
    readonly_fields = [f.name for f in RobotMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
