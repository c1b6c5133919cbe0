"""Pages for the catalogue and for listing, editing and retiring instruments."""

from django.conf import settings
from django.urls import path, re_path

from .views.catalogue import (
    catalogue,
    instrument_create_page,
    instrument_detail,
    instrument_edit_page,
    instrument_retire_page,
)
from .views.photos import instrument_photo_delete_page, instrument_photo_file, instrument_photos_page

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

# Public instrument photos under MEDIA_URL (only the names the photo service makes; see views/photos.py),
# when the media storage is this server's own (a relative MEDIA_URL).
if "://" not in settings.MEDIA_URL:
    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>instruments/.+)$",
            instrument_photo_file,
            name="instrument-photo-file",
        )
    )
