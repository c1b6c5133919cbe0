"""Pages for the catalogue and for listing, editing and retiring instruments."""

from django.urls import path

from .views.catalogue import (
    catalogue,
    instrument_create_page,
    instrument_detail,
    instrument_edit_page,
    instrument_retire_page,
)
from .views.photos import instrument_photo_delete_page, instrument_photos_page

urlpatterns = [
    path("catalogue/", catalogue, name="catalogue"),
    path("instruments/<int:pk>/", instrument_detail, name="instrument-detail"),
    path("instruments/<int:pk>/edit/", instrument_edit_page, name="instrument-edit"),
    path("instruments/<int:pk>/retire/", instrument_retire_page, name="instrument-retire"),
    path("instruments/<int:pk>/photos/", instrument_photos_page, name="instrument-photos"),
    path(
        "instruments/<int:pk>/photos/<int:photo_pk>/delete/",
        instrument_photo_delete_page,
        name="instrument-photo-delete",
    ),
    path("units/<int:unit_pk>/instruments/new/", instrument_create_page, name="instrument-create"),
]
