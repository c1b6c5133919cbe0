"""Pages for bulk import and export of a unit's instruments."""

from django.urls import path

from .views.transfer import instrument_export_page, instrument_import_page, instrument_import_template

urlpatterns = [
    path("units/<int:unit_pk>/instruments/import/", instrument_import_page, name="instrument-import"),
    path("units/<int:unit_pk>/instruments/export/", instrument_export_page, name="instrument-export"),
    path("instruments/import-template/", instrument_import_template, name="instrument-import-template"),
]
