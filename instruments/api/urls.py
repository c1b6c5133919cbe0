"""API routes of the instruments app, one module per area."""

from django.urls import include, path

urlpatterns = [
    path("", include("instruments.api.urls_units")),
    path("", include("instruments.api.urls_catalogue")),
    path("", include("instruments.api.urls_transfer")),
]
