"""The billing API: thin views that validate input, call one service or selector, serialize.

Who sees what: charges for the provider unit's billing people, the paying unit's admins, the
requester, and platform admins; statements for both units' billing people and platform admins.
Anything else is answered 404 (a charge or statement you may not see does not exist for you).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments.models import Instrument, Unit
from sharing_platform.api.pagination import NewestFirstCursorPagination
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError

from .. import selectors, services
from ..exports import EXPORT_FORMATS, statement_response
from ..filters import ChargeFilter, StatementFilter
from ..models import Charge, Statement
from ..permissions import can_bill_for, can_set_instrument_billing, can_set_provider_terms
from . import serializers as s


class ExportFormatNegotiation(DefaultContentNegotiation):
    """`?format=pdf|xlsx|csv` picks a download, not a DRF renderer; JSON answers errors and everything else."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) in EXPORT_FORMATS:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class StatementCursorPagination(NewestFirstCursorPagination):
    ordering = ("-issued_at", "-id")


class ChargeCursorPagination(NewestFirstCursorPagination):
    ordering = ("-incurred_at", "-id")


# --- Charges ----------------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(summary="Charges you may see"))
class ChargeListView(ListAPIView):
    """Charges you may see: as the provider's billing people, the payer's admins, the requester, or an admin."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ChargeSerializer
    pagination_class = ChargeCursorPagination
    filterset_class = ChargeFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Charge.objects.none()
        return selectors.charge_list_for(user=self.request.user)


class ChargeDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One charge", responses=s.ChargeSerializer)
    def get(self, request, pk: int):
        charge = selectors.charge_get_for(user=request.user, pk=pk)
        if charge is None:
            raise DomainNotFoundError(_("No such charge."))
        return Response(s.ChargeSerializer(charge).data)


class ChargeAdjustView(APIView):
    """POST a correction line against a charge (the provider unit): an amount (may be negative) and a reason."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Correct a charge",
        request=s.AdjustmentInputSerializer,
        responses={201: s.ChargeSerializer},
        examples=[
            OpenApiExample(
                "Discount", request_only=True, value={"amount": "-150.00", "reason": "Instrument fault: half an hour"}
            )
        ],
    )
    def post(self, request, pk: int):
        data = s.AdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = services.charge_adjust(charge_id=pk, actor=request.user, **data.validated_data)
        return Response(
            s.ChargeSerializer(selectors.charge_get_for(user=request.user, pk=adjustment.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- Statements -------------------------------------------------------------------------------


def _statement_detail(statement: Statement) -> dict:
    statement.groups = selectors.group_by_project(selectors.statement_charges(statement))  # type: ignore[attr-defined]
    statement.payments_list = selectors.statement_payments(statement)  # type: ignore[attr-defined]
    data = s.StatementSerializer(statement).data
    data["groups"] = s.ProjectGroupSerializer(statement.groups, many=True).data  # type: ignore[attr-defined]
    data["payments"] = s.PaymentSerializer(statement.payments_list, many=True).data  # type: ignore[attr-defined]
    return data


def _statement_or_404(request, pk: int) -> Statement:
    statement = selectors.statement_get_for(user=request.user, pk=pk)
    if statement is None:
        raise DomainNotFoundError(_("No such statement."))
    return statement


@extend_schema_view(get=extend_schema(summary="Statements you may see"))
class StatementListCreateView(ListAPIView):
    """GET: statements you may see. POST: bill a paying unit for all unbilled charges up to a date."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.StatementSerializer
    pagination_class = StatementCursorPagination
    filterset_class = StatementFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Statement.objects.none()
        return selectors.statement_list_for(user=self.request.user)

    @extend_schema(
        summary="Issue a statement",
        request=s.StatementCreateSerializer,
        responses={201: s.StatementDetailSerializer},
        examples=[
            OpenApiExample(
                "Issue", request_only=True, value={"provider_unit": 3, "payer_unit": 8, "period_end": "2026-10-31"}
            )
        ],
    )
    def post(self, request):
        data = s.StatementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = services.statement_issue(actor=request.user, **data.validated_data)
        return Response(
            _statement_detail(selectors.statement_get_for(user=request.user, pk=statement.pk)),
            status=status.HTTP_201_CREATED,
        )


class StatementDetailView(APIView):
    """One statement with its lines grouped by project code and its payments; `?format=pdf|xlsx|csv` downloads it."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = ExportFormatNegotiation

    @extend_schema(
        summary="One statement (or its PDF, XLSX or CSV)",
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", *EXPORT_FORMATS])],
        responses=s.StatementDetailSerializer,
    )
    def get(self, request, pk: int):
        statement = _statement_or_404(request, pk)
        export_format = request.query_params.get("format")
        if export_format in EXPORT_FORMATS:
            return statement_response(statement, export_format)
        return Response(_statement_detail(statement))


class StatementCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel a statement", request=s.BillingReasonSerializer, responses=s.StatementDetailSerializer
    )
    def post(self, request, pk: int):
        data = s.BillingReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = services.statement_cancel(statement_id=pk, actor=request.user, **data.validated_data)
        return Response(_statement_detail(selectors.statement_get_for(user=request.user, pk=statement.pk) or statement))


class StatementPaymentsView(APIView):
    """GET: the statement's payments. POST (provider): record money received."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A statement's payments", responses=s.PaymentSerializer(many=True))
    def get(self, request, pk: int):
        statement = _statement_or_404(request, pk)
        return Response(s.PaymentSerializer(selectors.statement_payments(statement), many=True).data)

    @extend_schema(
        summary="Record a payment received",
        request=s.PaymentInputSerializer,
        responses={201: s.PaymentSerializer},
        examples=[
            OpenApiExample(
                "Transfer",
                request_only=True,
                value={"amount": "1200.00", "paid_on": "2026-11-20", "reference": "ICBC 2026112012345"},
            )
        ],
    )
    def post(self, request, pk: int):
        data = s.PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_record(statement_id=pk, actor=request.user, **data.validated_data)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class StatementDeclarePaymentView(APIView):
    """POST (paying unit): "paid, here is the reference"; it counts once the provider confirms."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Declare a payment made", request=s.PaymentInputSerializer, responses={201: s.PaymentSerializer}
    )
    def post(self, request, pk: int):
        data = s.PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_declare(statement_id=pk, actor=request.user, **data.validated_data)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Confirm a declared payment", request=None, responses=s.PaymentSerializer)
    def post(self, request, pk: int):
        return Response(s.PaymentSerializer(services.payment_confirm(payment_id=pk, actor=request.user)).data)


class PaymentRejectView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Turn down a declared payment", request=s.BillingReasonSerializer, responses=s.PaymentSerializer
    )
    def post(self, request, pk: int):
        data = s.BillingReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_reject(payment_id=pk, actor=request.user, **data.validated_data)
        return Response(s.PaymentSerializer(payment).data)


# --- Settings ---------------------------------------------------------------------------------


class InstrumentBillingView(APIView):
    """How an instrument bills. Anyone may read it (it explains the price); its managers change it."""

    permission_classes = [IsAuthenticated]

    def _instrument(self, pk: int) -> Instrument:
        return get_object_or_404(Instrument.objects.select_related("unit"), pk=pk)

    @extend_schema(summary="How an instrument bills", responses=s.InstrumentBillingSerializer)
    def get(self, request, pk: int):
        return Response(s.InstrumentBillingSerializer(selectors.instrument_billing_get(self._instrument(pk))).data)

    @extend_schema(
        summary="Change how an instrument bills",
        request=s.InstrumentBillingInputSerializer,
        responses=s.InstrumentBillingSerializer,
    )
    def patch(self, request, pk: int):
        instrument = self._instrument(pk)
        if not can_set_instrument_billing(request.user, instrument):
            raise DomainPermissionError(_("Only the instrument's managers can change how it bills."))
        data = s.InstrumentBillingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        billing = services.instrument_billing_update(instrument=instrument, actor=request.user, **data.validated_data)
        return Response(s.InstrumentBillingSerializer(billing).data)


class ProviderBillingView(APIView):
    """A provider unit's billing terms: read by its billing people, changed by its admins."""

    permission_classes = [IsAuthenticated]

    def _unit(self, request, pk: int) -> Unit:
        unit = get_object_or_404(Unit, pk=pk)
        if not can_bill_for(request.user, unit):
            raise DomainNotFoundError(_("No such unit among those you bill for."))
        return unit

    @extend_schema(summary="A provider unit's billing terms", responses=s.ProviderBillingSerializer)
    def get(self, request, pk: int):
        return Response(s.ProviderBillingSerializer(selectors.provider_billing_get(self._unit(request, pk))).data)

    @extend_schema(
        summary="Change a provider unit's billing terms",
        request=s.ProviderBillingInputSerializer,
        responses=s.ProviderBillingSerializer,
    )
    def patch(self, request, pk: int):
        unit = self._unit(request, pk)
        if not can_set_provider_terms(request.user, unit):
            raise DomainPermissionError(_("Only the unit's administrators can change its billing terms."))
        data = s.ProviderBillingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = services.provider_billing_update(unit=unit, actor=request.user, **data.validated_data)
        return Response(s.ProviderBillingSerializer(terms).data)
