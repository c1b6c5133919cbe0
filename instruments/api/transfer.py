"""API for bulk import and export of a unit's instruments. Thin: parse, call the service, answer."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing_platform.api.parsers import UPLOAD_PARSERS
from sharing_platform.errors import DomainValidationError

from ..selectors.transfer import instrument_export_list, transfer_unit_get
from ..services.transfer import instrument_import
from ..services.transfer_formats import XLSX_CONTENT_TYPE, instrument_export_file, upload_content


class ImportRequestSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)
    file = serializers.FileField(allow_empty_file=False)
    dry_run = serializers.BooleanField(required=False, default=False)

    class Meta:
        fields = ["unit", "file", "dry_run"]


class ImportRowSerializer(serializers.Serializer):
    """A row that creates or changes an instrument (unchanged rows are not listed)."""

    row = serializers.IntegerField(help_text="The row number the spreadsheet shows (the header is row 1).")
    action = serializers.ChoiceField(choices=["create", "update"])
    asset_number = serializers.CharField()
    name = serializers.CharField()
    changed_fields = serializers.ListField(child=serializers.CharField())


class InstrumentImportView(APIView):
    """Create and update a unit's instruments from a CSV (UTF-8 or GBK) or XLSX file, all rows or none."""

    permission_classes = [IsAuthenticated]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        summary="Import a unit's instruments from a CSV or XLSX file",
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: inline_serializer(
                "InstrumentImportResult",
                {
                    "detail": serializers.CharField(),
                    "unit": serializers.IntegerField(),
                    "dry_run": serializers.BooleanField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "rows": ImportRowSerializer(many=True),
                },
            )
        },
    )
    def post(self, request):
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = transfer_unit_get(user=request.user, unit_id=serializer.validated_data["unit"])
        upload = serializer.validated_data["file"]
        result = instrument_import(
            actor=request.user,
            unit=unit,
            file_name=upload.name,
            content=upload_content(upload),
            dry_run=serializer.validated_data["dry_run"],
        )
        summary = (
            _("%(created)d to create, %(updated)d to update, %(unchanged)d unchanged.")
            if result.dry_run
            else _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
        )
        detail = summary % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        return Response({"detail": detail, **result.as_dict()})


class IgnoreFormatParameter(DefaultContentNegotiation):
    """`?format=` chooses the file type here, not a DRF renderer; errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def export_response(*, unit, file_format: str, chinese_headers: bool) -> HttpResponse:
    """The unit's instruments as a CSV or XLSX download, in the columns the import accepts."""
    content, content_type = instrument_export_file(
        instruments=instrument_export_list(unit=unit), file_format=file_format, chinese_headers=chinese_headers
    )
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="instruments-unit{unit.pk}-{stamp}.{file_format}"'
    return response


class InstrumentExportView(APIView):
    """Download a unit's instruments (`format=csv|xlsx`, `headers=keys|zh`)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreFormatParameter

    @extend_schema(
        summary="Download a unit's instruments (CSV or XLSX)",
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, required=True),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"], default="csv"),
            OpenApiParameter("headers", OpenApiTypes.STR, enum=["keys", "zh"], default="keys"),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request):
        unit = transfer_unit_get(user=request.user, unit_id=request.query_params.get("unit"))
        headers = request.query_params.get("headers", "keys")
        if headers not in {"keys", "zh"}:
            raise DomainValidationError(_("headers must be keys or zh."), field="headers")
        return export_response(
            unit=unit, file_format=request.query_params.get("format", "csv"), chinese_headers=headers == "zh"
        )
