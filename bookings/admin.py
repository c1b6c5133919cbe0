"""Django admin for platform admins: booking rules editable; bookings and their trail read-mostly."""

from django.contrib import admin

from .models import (
    Blackout,
    Booking,
    BookingEvent,
    BookingPolicy,
    ContestableFact,
    Dispute,
    Incident,
    OpeningHours,
    Qualification,
    Review,
)


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    list_display = ["instrument", "min_notice_hours", "max_duration_hours", "horizon_days", "project_code_required"]
    list_select_related = ["instrument"]
    raw_id_fields = ["instrument"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["instrument", "weekday", "opens", "closes"]
    list_select_related = ["instrument"]
    raw_id_fields = ["instrument"]


@admin.register(Blackout)
class BlackoutAdmin(admin.ModelAdmin):
    list_display = ["instrument", "start", "end", "reason"]
    list_select_related = ["instrument"]
    raw_id_fields = ["instrument", "created_by"]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["instrument", "user", "granted_at", "last_used_at", "revoked_at"]
    list_select_related = ["instrument", "user"]
    raw_id_fields = ["instrument", "user", "granted_by"]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_state", "to_state", "actor", "reason", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """State changes go through the services (API and pages); the admin only shows bookings."""

    list_display = ["id", "instrument", "requester", "start", "end", "state", "price", "deposit_state"]
    list_filter = ["state", "deposit_state"]
    list_select_related = ["instrument", "requester"]
    search_fields = ["purpose", "requester__username", "instrument__name"]
    inlines = [BookingEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Review, Incident, Dispute, ContestableFact)
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
