"""Partner API routes, mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("partner/users/", views.PartnerUserCreateView.as_view(), name="api-partner-users"),
    path("partner/bookings/", views.PartnerBookingListCreateView.as_view(), name="api-partner-bookings"),
    path("partner/bookings/<int:pk>/", views.PartnerBookingDetailView.as_view(), name="api-partner-booking-detail"),
    path(
        "partner/bookings/<int:pk>/cancel/",
        views.PartnerBookingCancelView.as_view(),
        name="api-partner-booking-cancel",
    ),
    path("partner/charges/", views.PartnerChargeListView.as_view(), name="api-partner-charges"),
    path("partner/statements/", views.PartnerStatementListView.as_view(), name="api-partner-statements"),
    path(
        "partner/statements/<int:pk>/",
        views.PartnerStatementDetailView.as_view(),
        name="api-partner-statement-detail",
    ),
    path("webhooks/", views.WebhookEndpointListCreateView.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", views.WebhookEndpointDetailView.as_view(), name="api-webhook-detail"),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveryListView.as_view(), name="api-webhook-deliveries"),
    path("credit/reports/", views.CreditReportCreateView.as_view(), name="api-credit-reports"),
]
