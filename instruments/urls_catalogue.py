"""Pages for the catalogue and for listing, editing and retiring instruments."""

from django.urls import path

from .views.catalogue import (
    catalogue,
    instrument_create_page,
    instrument_detail,
    instrument_edit_page,
    instrument_retire_page,
)

urlpatterns = [
    path("catalogue/", catalogue, name="catalogue"),
    path("instruments/<int:pk>/", instrument_detail, name="instrument-detail"),
    path("instruments/<int:pk>/edit/", instrument_edit_page, name="instrument-edit"),
    path("instruments/<int:pk>/retire/", instrument_retire_page, name="instrument-retire"),
    path("units/<int:unit_pk>/instruments/new/", instrument_create_page, name="instrument-create"),
]
