"""The analytics API under /api/v1/analytics/: thin views over the selectors (who may see what: access.py)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments.models import Unit
from sharing_platform.api.exceptions import validation_error
from sharing_platform.api.permissions import IsPlatformAdmin
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError, DomainValidationError

from .. import access, selectors
from ..exports import CONTENT_TYPES, EXPORT_FORMATS, evaluation_response
from ..windows import parse_days, parse_threshold, parse_year, window_parse
from .serializers import (
    BeforeYouBuySerializer,
    IdleReportSerializer,
    InstrumentHoursSerializer,
    PlatformDashboardSerializer,
    UnitEvaluationSerializer,
)

MAX_MONTHS = 60


class ExportFormatNegotiation(DefaultContentNegotiation):
    """`?format=csv|xlsx|pdf` picks an export, not a DRF renderer; JSON answers errors and everything else."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) in EXPORT_FORMATS:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


def parse_min_value(value: str | None) -> Decimal:
    if not value:
        return Decimal("0")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("-1")
    if not amount.is_finite() or amount < 0:
        raise DomainValidationError(_("min_value must be an amount in CNY, 0 or more."), field="min_value")
    return amount


def months_or_default(value: str | None) -> int:
    """The dashboard page's lenient reading of `months`: anything but 1..MAX_MONTHS shows the last 12."""
    return int(value) if value and value.isdigit() and 1 <= int(value) <= MAX_MONTHS else 12


def parse_months(value: str | None) -> int:
    if not value:
        return 12
    if not value.isdigit() or not 1 <= int(value) <= MAX_MONTHS:
        raise DomainValidationError(
            _("months must be a whole number from 1 to %(max)s.") % {"max": MAX_MONTHS}, field="months"
        )
    return int(value)


def _window_dict(window) -> dict:
    return {"start": timezone.localtime(window.start), "end": timezone.localtime(window.end)}


class InstrumentHoursView(APIView):
    """Machine hours of one instrument in [start, end): effective, external, rates, utilisation, reference points."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Machine hours and sharing figures of one instrument",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, description="Date (local day) or ISO 8601 datetime"),
            OpenApiParameter("end", OpenApiTypes.STR, description="Date (inclusive local day) or ISO 8601 datetime"),
        ],
        responses=InstrumentHoursSerializer,
    )
    def get(self, request, pk: int):
        instrument = access.instrument_for_hours(request.user, pk)
        if instrument is None:
            raise DomainNotFoundError(_("No such instrument."))
        window = window_parse(request.query_params.get("start"), request.query_params.get("end"))
        figures = selectors.instrument_hours(instrument=instrument, window=window)
        body = {
            "instrument": {
                "id": instrument.pk,
                "name": instrument.display_name,
                "unit": instrument.unit_id,
                "original_value": instrument.original_value,
            },
            "window": _window_dict(window),
            **figures,
        }
        return Response(InstrumentHoursSerializer(body).data)


def idle_report_for(user, params) -> selectors.IdleReport:
    """The idle report a user may see, for the API and the page alike."""
    if not access.can_view_idle(user):
        raise DomainPermissionError(_("Only platform admins and the managers of a unit may see idle instruments."))
    units = access.idle_units_for(user)
    unit_param = params.get("unit")
    if unit_param:
        if not str(unit_param).isdigit():
            raise DomainValidationError(_("unit must be a unit id."), field="unit")
        chosen = Unit.objects.filter(pk=int(unit_param))
        if units is not None and not units.filter(pk=int(unit_param)).exists():
            raise DomainPermissionError(_("You may only see the idle instruments of units you manage."))
        units = chosen
    return selectors.idle_instruments(
        days=parse_days(params.get("days")), threshold=parse_threshold(params.get("threshold")), units=units
    )


class IdleInstrumentsView(APIView):
    """Listed instruments used under `threshold` of their open hours over the last `days` (defaults 0.1 and 90)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Idle instruments of the units you manage",
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, description="Period in days (default 90)"),
            OpenApiParameter("threshold", OpenApiTypes.FLOAT, description="Utilisation under which (default 0.1)"),
            OpenApiParameter("unit", OpenApiTypes.INT, description="Only this unit"),
        ],
        responses=IdleReportSerializer,
    )
    def get(self, request):
        return Response(IdleReportSerializer(idle_report_for(request.user, request.query_params)).data)


def unit_evaluation_for(user, pk: int, params) -> dict:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise DomainNotFoundError(_("No such unit."))
    if not access.can_view_unit_evaluation(user, unit):
        raise DomainPermissionError(_("Only the unit's members and platform admins may see its evaluation."))
    return selectors.unit_evaluation(
        unit=unit, year=parse_year(params.get("year")), min_value=parse_min_value(params.get("min_value"))
    )


class UnitEvaluationView(APIView):
    """A unit's yearly open-sharing evaluation with a proposed grade; `format=csv|xlsx|pdf` downloads it."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = ExportFormatNegotiation

    @extend_schema(
        summary="A unit's yearly open-sharing evaluation",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year (default: this year, annualised)"),
            OpenApiParameter("min_value", OpenApiTypes.NUMBER, description="Only instruments worth this much (CNY)"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", *EXPORT_FORMATS]),
        ],
        # The downloads are documented with their own content types (the fuzz test checks every answer's type).
        responses={
            (200, "application/json"): UnitEvaluationSerializer,
            **{(200, CONTENT_TYPES[name]): OpenApiTypes.BINARY for name in EXPORT_FORMATS},
        },
    )
    def get(self, request, pk: int):
        report = unit_evaluation_for(request.user, pk, request.query_params)
        export_format = request.query_params.get("format")
        if export_format in EXPORT_FORMATS:
            return evaluation_response(report, export_format)
        return Response(UnitEvaluationSerializer(report).data)


class BeforeYouBuyView(APIView):
    """Instruments already available for a category (and region, keywords), least used first, with free slots."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Instruments that already exist for a category, least used first",
        parameters=[
            OpenApiParameter("category", OpenApiTypes.STR, required=True, description="Category id or code"),
            OpenApiParameter("region", OpenApiTypes.STR, description="Six-digit division code or id"),
            OpenApiParameter("q", OpenApiTypes.STR, description="Model or specification keywords"),
        ],
        responses=BeforeYouBuySerializer,
    )
    def get(self, request):
        if not request.query_params.get("category"):
            raise DomainValidationError(_("Give a category (id or code)."), field="category")
        filterset = selectors.before_you_buy_filter(request.query_params)
        if not filterset.is_valid():
            raise validation_error(filterset.errors)
        return Response(BeforeYouBuySerializer(selectors.before_you_buy(instruments=filterset.qs)).data)


class PlatformDashboardView(APIView):
    """Growth by month, credit tier distribution and list entries over time (platform admins)."""

    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Platform growth, credit tiers and list entries by month",
        parameters=[OpenApiParameter("months", OpenApiTypes.INT, description="How many months (default 12)")],
        responses=PlatformDashboardSerializer,
    )
    def get(self, request):
        dashboard = selectors.platform_dashboard(months=parse_months(request.query_params.get("months")))
        return Response(PlatformDashboardSerializer(dashboard).data)
