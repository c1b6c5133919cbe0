"""/api/v1/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("auth/", include("sharing_platform.accounts.api_urls")),
    path("", include("instruments.api.urls")),
    path("", include("identity.api.urls")),  # identity-providers/ (platform admins)
    path("", include("bookings.api.urls")),
    path("credit/", include("credit.api.urls")),
    path("analytics/", include("analytics.api.urls")),
    path("", include("partners.api.urls")),  # H8: partner/..., webhooks/..., credit/reports/
]
