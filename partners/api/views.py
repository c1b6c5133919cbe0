"""Partner API: thin views over partners.services and partners.selectors. Api-Key authentication only."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.views import ChargeCursorPagination, StatementCursorPagination
from sharing_platform.api.pagination import NewestFirstCursorPagination
from sharing_platform.api.schema import ErrorSerializer
from sharing_platform.errors import DomainNotFoundError

from .. import selectors, services
from ..authentication import PartnerKeyAuthentication
from ..idempotency import idempotent
from ..models import Scope
from ..permissions import HasScope
from ..throttling import PARTNER_THROTTLES
from . import serializers as s


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


AUTH_ERRORS = {
    401: _error("Missing, unknown, revoked or expired API key."),
    403: _error("The key lacks the scope this endpoint needs (the message names it)."),
    429: _error("Too many requests; see the Retry-After header."),
}
ERRORS = {**AUTH_ERRORS, 400: _error("Invalid input: `field` names the first input at fault, `errors` lists each.")}
LIST_ERRORS = {**AUTH_ERRORS, 404: _error("Invalid cursor.")}
NOT_FOUND = {404: _error("Not found for your organisation.")}
IDEMPOTENT_ERRORS = {
    **ERRORS,
    409: _error("Conflict: the slot is taken, or the Idempotency-Key was reused with another body or is in progress."),
}


class PartnerAPIView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    throttle_classes = PARTNER_THROTTLES

    @property
    def partner(self):
        return self.request.auth.partner


class PartnerUserCreateView(PartnerAPIView):
    permission_classes = [HasScope(Scope.BOOKINGS_WRITE)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["partner"],
        summary="Create (or update) the platform user for one of your users",
        request=s.PartnerUserInputSerializer,
        responses={201: s.PartnerUserSerializer, 200: s.PartnerUserSerializer, **IDEMPOTENT_ERRORS},
        examples=[
            OpenApiExample(
                "New user",
                request_only=True,
                value={"external_id": "stu-2024-0042", "email": "li.wei@example.edu", "name": "Li Wei"},
            ),
            OpenApiExample(
                "Platform user",
                response_only=True,
                value={
                    "external_id": "stu-2024-0042",
                    "user_id": 311,
                    "email": "li.wei@example.edu",
                    "name": "Li Wei",
                    "created_at": "2026-04-28T10:15:00+08:00",
                },
            ),
        ],
    )
    @idempotent
    def post(self, request):
        data = s.PartnerUserInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link, created = services.partner_user_upsert(partner=self.partner, **data.validated_data)
        return Response(
            s.PartnerUserSerializer(link).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class PartnerBookingListCreateView(PartnerAPIView, GenericAPIView):
    permission_classes = [HasScope(Scope.BOOKINGS_WRITE)]  # type: ignore[list-item]  # callable instance
    serializer_class = s.PartnerBookingSerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = []

    def get_queryset(self):
        return selectors.partner_booking_list(partner=self.partner)

    @extend_schema(
        tags=["partner"],
        summary="Bookings of your users (cursor pagination, newest first)",
        responses={200: s.PartnerBookingSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["partner"],
        summary="Book for one of your users",
        request=s.PartnerBookingCreateSerializer,
        responses={201: s.PartnerBookingSerializer, **IDEMPOTENT_ERRORS},
        examples=[
            OpenApiExample(
                "Booking",
                request_only=True,
                value={
                    "external_id": "stu-2024-0042",
                    "instrument": 12,
                    "start": "2026-05-04T09:00:00+08:00",
                    "end": "2026-05-04T11:00:00+08:00",
                    "purpose": "SEM imaging of thin films",
                },
            )
        ],
    )
    @idempotent
    def post(self, request):
        data = s.PartnerBookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        booking = services.partner_booking_create(
            partner=self.partner, instrument_id=values.pop("instrument"), **values
        )
        return Response(s.PartnerBookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class PartnerBookingDetailView(PartnerAPIView):
    permission_classes = [HasScope(Scope.BOOKINGS_WRITE)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["partner"],
        summary="One booking of your users",
        responses={200: s.PartnerBookingSerializer, **AUTH_ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk: int):
        booking = selectors.partner_booking_get(partner=self.partner, pk=pk)
        if booking is None:
            raise DomainNotFoundError(_("No such booking for your organisation."))
        return Response(s.PartnerBookingSerializer(booking).data)


class PartnerBookingCancelView(PartnerAPIView):
    permission_classes = [HasScope(Scope.BOOKINGS_WRITE)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["partner"],
        summary="Cancel a booking of one of your users (as that user)",
        request=s.CancelSerializer,
        responses={
            200: s.PartnerBookingSerializer,
            **ERRORS,
            **NOT_FOUND,
            409: _error("The booking can no longer be cancelled."),
        },
    )
    def post(self, request, pk: int):
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.partner_booking_cancel(partner=self.partner, booking_id=pk, **data.validated_data)
        return Response(s.PartnerBookingSerializer(booking).data)


class WebhookEndpointListCreateView(PartnerAPIView):
    permission_classes = [HasScope(Scope.WEBHOOKS_MANAGE)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["webhooks"],
        summary="Your webhook endpoints",
        responses={200: s.WebhookEndpointSerializer(many=True), **AUTH_ERRORS},
    )
    def get(self, request):
        endpoints = selectors.webhook_endpoint_list(partner=self.partner)
        return Response(s.WebhookEndpointSerializer(endpoints, many=True).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Register a webhook endpoint (the signing secret is in this response only)",
        request=s.WebhookEndpointCreateSerializer,
        responses={201: s.WebhookEndpointCreatedSerializer, **IDEMPOTENT_ERRORS},
        examples=[
            OpenApiExample(
                "Endpoint",
                request_only=True,
                value={
                    "url": "https://portal.example.edu/hooks/instruments",
                    "events": ["booking.state_changed", "credit.tier_changed"],
                },
            )
        ],
    )
    @idempotent
    def post(self, request):
        data = s.WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(partner=self.partner, **data.validated_data)
        return Response(s.WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(PartnerAPIView):
    permission_classes = [HasScope(Scope.WEBHOOKS_MANAGE)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["webhooks"],
        summary="Stop sending to an endpoint",
        responses={204: None, **AUTH_ERRORS, **NOT_FOUND},
    )
    def delete(self, request, pk: int):
        services.webhook_endpoint_delete(partner=self.partner, endpoint_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(PartnerAPIView, GenericAPIView):
    permission_classes = [HasScope(Scope.WEBHOOKS_MANAGE)]  # type: ignore[list-item]  # callable instance
    serializer_class = s.WebhookDeliverySerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = []

    @extend_schema(
        tags=["webhooks"],
        summary="The delivery log of one endpoint (cursor pagination, newest first)",
        responses={
            200: s.WebhookDeliverySerializer(many=True),
            **AUTH_ERRORS,
            404: _error("Not your endpoint, or an invalid cursor."),
        },
    )
    def get(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get(partner=self.partner, pk=pk)
        if endpoint is None:
            raise DomainNotFoundError(_("No such webhook endpoint."))
        page = self.paginate_queryset(selectors.webhook_delivery_list(endpoint=endpoint))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CreditReportCreateView(PartnerAPIView):
    permission_classes = [HasScope(Scope.CREDIT_REPORT)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["credit"],
        summary="Submit an external credit report (normalised into the external dimension; subject recomputed)",
        request=s.CreditReportInputSerializer,
        responses={201: s.CreditReportSerializer, **IDEMPOTENT_ERRORS},
        examples=[
            OpenApiExample(
                "Unit report",
                request_only=True,
                value={
                    "unit_credit_code": "91310000MA1FL1234X",
                    "source": "National Credit Bureau",
                    "score": "720",
                    "range_min": "300",
                    "range_max": "900",
                    "reported_at": "2026-04-01T00:00:00+08:00",
                    "expires_at": "2027-04-01T00:00:00+08:00",
                    "reference": "NCB-2026-000123",
                },
            )
        ],
    )
    @idempotent
    def post(self, request):
        data = s.CreditReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.partner_credit_report_submit(partner=self.partner, **data.validated_data)
        return Response(s.CreditReportSerializer(report).data, status=status.HTTP_201_CREATED)


# --- Billing ------------------------------------------------------------------------------------


class PartnerChargeListView(PartnerAPIView, GenericAPIView):
    permission_classes = [HasScope(Scope.BILLING_READ)]  # type: ignore[list-item]  # callable instance
    serializer_class = s.PartnerChargeSerializer
    pagination_class = ChargeCursorPagination
    filter_backends = []

    @extend_schema(
        tags=["partner"],
        summary="Charges of your users' bookings (cursor pagination, newest first)",
        responses={200: s.PartnerChargeSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.partner_charge_list(partner=self.partner))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PartnerStatementListView(PartnerAPIView, GenericAPIView):
    permission_classes = [HasScope(Scope.BILLING_READ)]  # type: ignore[list-item]  # callable instance
    serializer_class = s.PartnerStatementSerializer
    pagination_class = StatementCursorPagination
    filter_backends = []

    @extend_schema(
        tags=["partner"],
        summary="Statements that bill your users, each with your users' lines only (newest first)",
        responses={200: s.PartnerStatementSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.partner_statement_list(partner=self.partner))
        charges = selectors.partner_charges_by_statement(partner=self.partner, statements=page)
        for statement in page:
            statement.partner_charges = charges.get(statement.pk, [])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PartnerStatementDetailView(PartnerAPIView):
    permission_classes = [HasScope(Scope.BILLING_READ)]  # type: ignore[list-item]  # callable instance

    @extend_schema(
        tags=["partner"],
        summary="One statement that bills your users, with your users' lines",
        responses={200: s.PartnerStatementSerializer, **AUTH_ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk: int):
        statement = selectors.partner_statement_get(partner=self.partner, pk=pk)
        if statement is None:
            raise DomainNotFoundError(_("No such statement for your organisation."))
        statement.partner_charges = selectors.partner_statement_charges(partner=self.partner, statement=statement)  # type: ignore[attr-defined]
        return Response(s.PartnerStatementSerializer(statement).data)
