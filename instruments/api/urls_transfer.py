"""API routes for bulk import and export of instruments."""

from django.urls import path

from .transfer import InstrumentExportView, InstrumentImportView

urlpatterns = [
    path("instruments/import/", InstrumentImportView.as_view(), name="api-instrument-import"),
    path("instruments/export/", InstrumentExportView.as_view(), name="api-instrument-export"),
]
