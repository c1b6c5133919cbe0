"""Pages of the instruments app, one module per area (units, catalogue, import/export, home)."""

from django.urls import include, path

from .views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("instruments.urls_units")),
    path("", include("instruments.urls_catalogue")),
    path("", include("instruments.urls_transfer")),
]
