"""The bookings API: thin views that validate input, call one service or selector, serialize."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing_platform.api.pagination import NewestFirstCursorPagination
from sharing_platform.api.parsers import UPLOAD_PARSERS
from sharing_platform.api.permissions import IsPlatformAdmin
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError

from .. import selectors
from ..filters import BookingFilter
from ..models import Booking, BookingEvent, BookingState
from ..permissions import can_decide_booking, can_view_booking, can_view_incident
from ..services.attendance import (
    booking_check_in,
    booking_check_out,
    booking_complete,
    booking_hours_correct,
    booking_record_no_show,
)
from ..services.bookings import booking_approve, booking_cancel, booking_create, booking_move, booking_refuse
from ..services.contests import fact_contest
from ..services.disputes import dispute_decide
from ..services.incidents import incident_confirm, incident_contest, incident_report
from ..services.reviews import review_create
from . import serializers as s


def _booking_or_404(request, pk: int):
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    if booking is None:
        raise DomainNotFoundError(_("No such booking."))
    return booking


@extend_schema_view(get=extend_schema(summary="Bookings you may see (cursor pagination, newest first)"))
class BookingListCreateView(ListAPIView):
    """GET: the bookings you may see (yours; your unit's as a provider; all for admins). POST: request one."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.BookingSerializer
    pagination_class = NewestFirstCursorPagination
    filterset_class = BookingFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        return selectors.booking_list_for(user=self.request.user)

    @extend_schema(
        summary="Request a booking",
        request=s.BookingCreateSerializer,
        responses={201: s.BookingDetailSerializer},
        examples=[
            OpenApiExample(
                "Request two hours",
                request_only=True,
                value={
                    "instrument": 12,
                    "start": "2026-05-04T09:00:00+08:00",
                    "end": "2026-05-04T11:00:00+08:00",
                    "purpose": "SEM imaging of thin films",
                },
            )
        ],
    )
    def post(self, request):
        data = s.BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = booking_create(requester=request.user, **data.validated_data)
        return Response(_detail(booking, request.user), status=status.HTTP_201_CREATED)


def _detail(booking, viewer) -> dict:
    """The booking with its history, read fresh (3 queries), and the requester's credit tier where the
    viewer may see it (a provider deciding the request; see bookings.permissions.can_see_requester_tier)."""
    booking = (
        Booking.objects.select_related("instrument", "instrument__unit", "requester", "requester_unit")
        .prefetch_related(
            Prefetch("events", queryset=BookingEvent.objects.select_related("actor").order_by("at", "id"))
        )
        .get(pk=booking.pk)
    )
    tiers = selectors.requester_tiers_visible(user=viewer, bookings=[booking])
    return s.BookingDetailSerializer(booking, context={"requester_tiers": tiers}).data


class BookingDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One booking with its history", responses=s.BookingDetailSerializer)
    def get(self, request, pk: int):
        return Response(_detail(_booking_or_404(request, pk), request.user))


class _TransitionView(APIView):
    """POST /bookings/{id}/<action>/: 404 if you may not see it, 403 if you may not do it, 409 from a wrong state."""

    permission_classes = [IsAuthenticated]
    input_serializer: type | None = None

    def perform(self, request, booking, **data):
        raise NotImplementedError

    def post(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = self.perform(request, booking, **data)
        return Response(_detail(result, request.user))


class BookingApproveView(_TransitionView):
    @extend_schema(summary="Approve a requested booking (provider)", request=None, responses=s.BookingDetailSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking):
        return booking_approve(booking_id=booking.pk, actor=request.user)


class BookingRefuseView(_TransitionView):
    input_serializer = s.BookingReasonSerializer

    @extend_schema(
        summary="Refuse a requested booking, with a reason (provider)",
        request=s.BookingReasonSerializer,
        responses=s.BookingDetailSerializer,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    @extend_schema(
        summary="Whether refusing this request now would count as justified, and why (provider)",
        request=None,
        responses=s.RefusalOutlookSerializer,
    )
    def get(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        if not can_decide_booking(request.user, booking):
            raise DomainPermissionError(_("Only the instrument's managers can refuse this booking."))
        if booking.state != BookingState.REQUESTED:
            # A read answers for any booking the provider decides; only a pending request can be refused.
            outlook = {
                "refusable": False,
                "justified": False,
                "justification": "",
                "explanation": _("Only a pending request can be refused."),
            }
            return Response(s.RefusalOutlookSerializer(outlook).data)
        justification, explanation = selectors.refusal_outlook(booking)
        outlook = {
            "refusable": True,
            "justified": bool(justification),
            "justification": justification,
            "explanation": explanation,
        }
        return Response(s.RefusalOutlookSerializer(outlook).data)

    def perform(self, request, booking, reason=""):
        return booking_refuse(booking_id=booking.pk, actor=request.user, reason=reason)


class BookingCancelView(_TransitionView):
    input_serializer = s.BookingReasonSerializer

    @extend_schema(summary="Cancel a booking", request=s.BookingReasonSerializer, responses=s.BookingDetailSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking, reason=""):
        return booking_cancel(booking_id=booking.pk, actor=request.user, reason=reason)


class BookingCheckInView(_TransitionView):
    @extend_schema(summary="Check in", request=None, responses=s.BookingDetailSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking):
        return booking_check_in(booking_id=booking.pk, actor=request.user)


class BookingCheckOutView(_TransitionView):
    input_serializer = s.ActualHoursSerializer

    @extend_schema(
        summary="Check out, with the hours actually used",
        request=s.ActualHoursSerializer,
        responses=s.BookingDetailSerializer,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking, actual_hours=None, reason=""):
        return booking_check_out(booking_id=booking.pk, actor=request.user, actual_hours=actual_hours, reason=reason)


class BookingCompleteView(_TransitionView):
    input_serializer = s.ActualHoursSerializer

    @extend_schema(
        summary="Record a booking as completed (provider)",
        request=s.ActualHoursSerializer,
        responses=s.BookingDetailSerializer,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking, actual_hours=None, reason=""):
        return booking_complete(booking_id=booking.pk, actor=request.user, actual_hours=actual_hours, reason=reason)


class BookingHoursCorrectView(_TransitionView):
    input_serializer = s.HoursCorrectionSerializer

    @extend_schema(
        summary="Correct the hours used of a completed booking, within the window to contest (provider)",
        request=s.HoursCorrectionSerializer,
        responses=s.BookingDetailSerializer,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking, actual_hours=None, reason=""):
        return booking_hours_correct(
            booking_id=booking.pk, actor=request.user, actual_hours=actual_hours, reason=reason
        )


class BookingNoShowView(_TransitionView):
    @extend_schema(summary="Record a no-show (provider)", request=None, responses=s.BookingDetailSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, request, booking):
        return booking_record_no_show(booking_id=booking.pk, actor=request.user)


class BookingMoveView(_TransitionView):
    input_serializer = s.BookingMoveSerializer

    @extend_schema(
        summary="Move a booking to another time",
        request=s.BookingMoveSerializer,
        responses={201: s.BookingDetailSerializer},
    )
    def post(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        serializer = s.BookingMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = booking_move(booking_id=booking.pk, actor=request.user, **serializer.validated_data)
        return Response(_detail(new, request.user), status=status.HTTP_201_CREATED)


def _raw_time_params(request) -> dict:
    """Query strings turn an unencoded '+' of a UTC offset into a space; put it back."""
    data = {}
    for name in ("start", "end"):
        value = request.query_params.get(name)
        if value is not None and " " in value.strip():
            value = value.strip().replace(" ", "+")
        if value is not None:
            data[name] = value
    return data


class InstrumentAvailabilityView(APIView):
    """Free and taken slots of an instrument between start and end (public, like the catalogue)."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Free and taken slots of an instrument",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True, description="ISO 8601 with offset"),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True, description="ISO 8601 with offset"),
        ],
        responses=s.AvailabilitySerializer,
    )
    def get(self, request, pk: int):
        instrument = selectors.instrument_get(pk)
        if instrument is None:
            raise DomainNotFoundError(_("No such instrument."))
        query = s.AvailabilityQuerySerializer(data=_raw_time_params(request))
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        found = selectors.instrument_availability(instrument=instrument, start=start, end=end)
        return Response(
            {
                "instrument": instrument.pk,
                "status": instrument.status,
                "start": localtime(start).isoformat(),
                "end": localtime(end).isoformat(),
                "slots": [
                    {"start": localtime(x.start).isoformat(), "end": localtime(x.end).isoformat(), "state": x.state}
                    for x in found
                ],
            }
        )


class BookingReviewsView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = None  # the answer is the whole (short) list, as the schema says
    serializer_class = s.ReviewSerializer
    queryset = Booking.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(summary="Reviews of a booking visible to you", responses=s.ReviewSerializer(many=True))
    def get(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        reviews = selectors.reviews_visible(booking=booking, user=request.user)
        return Response(s.ReviewSerializer(reviews, many=True).data)

    @extend_schema(
        summary="Review the other side of a completed booking",
        request=s.ReviewInputSerializer,
        responses={201: s.ReviewSerializer},
    )
    def post(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        data = s.ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_create(booking_id=booking.pk, author=request.user, **data.validated_data)
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class BookingIncidentsView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    parser_classes = UPLOAD_PARSERS  # evidence files come as multipart
    pagination_class = None  # the answer is the whole (short) list, as the schema says
    serializer_class = s.IncidentSerializer
    queryset = Booking.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(summary="Incidents reported on a booking", responses=s.IncidentSerializer(many=True))
    def get(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        incidents = booking.incidents.prefetch_related("attachments").order_by("-created_at", "-id")
        return Response(s.IncidentSerializer(incidents, many=True).data)

    @extend_schema(
        summary="Report damage, misuse or fraud (a fraud report is decided by a platform admin)",
        request=s.IncidentInputSerializer,
        responses={201: s.IncidentSerializer},
    )
    def post(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        data = s.IncidentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        files = values.pop("attachments", [])
        incident = incident_report(booking_id=booking.pk, reporter=request.user, files=files, **values)
        incident = selectors.incident_get(incident.pk) or incident
        return Response(s.IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)


def _incident_or_404(request, pk: int):
    incident = selectors.incident_get(pk)
    if incident is None or not can_view_incident(request.user, incident):
        raise DomainNotFoundError(_("No such incident."))
    return incident


class IncidentConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Confirm an incident the other side reported", request=None, responses=s.IncidentSerializer)
    def post(self, request, pk: int):
        _incident_or_404(request, pk)
        incident = incident_confirm(incident_id=pk, actor=request.user)
        return Response(s.IncidentSerializer(selectors.incident_get(incident.pk)).data)


class IncidentContestView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Contest an incident (opens a dispute)",
        request=s.BookingReasonSerializer,
        responses={201: s.DisputeSerializer},
    )
    def post(self, request, pk: int):
        _incident_or_404(request, pk)
        data = s.BookingReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = incident_contest(incident_id=pk, actor=request.user, reason=data.validated_data["reason"])
        return Response(s.DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


class BookingFactsView(GenericAPIView):
    """The one-sided facts about the requester of a booking (a no-show, an overrun): pending until the window
    to contest them has passed, then recorded; contested ones wait for a platform admin's decision."""

    permission_classes = [IsAuthenticated]
    pagination_class = None  # the answer is the whole (short) list
    serializer_class = s.ContestableFactSerializer
    queryset = Booking.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(summary="One-sided facts of a booking", responses=s.ContestableFactSerializer(many=True))
    def get(self, request, pk: int):
        booking = _booking_or_404(request, pk)
        facts = selectors.contestable_facts_of(booking=booking)
        return Response(s.ContestableFactSerializer(facts, many=True).data)


class FactContestView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Contest a one-sided fact about you (opens a dispute)",
        request=s.BookingReasonSerializer,
        responses={201: s.DisputeSerializer},
    )
    def post(self, request, pk: int):
        fact = selectors.contestable_fact_get(pk)
        if fact is None or not can_view_booking(request.user, fact.booking):
            raise DomainNotFoundError(_("No such fact."))
        data = s.BookingReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = fact_contest(fact_id=pk, actor=request.user, reason=data.validated_data["reason"])
        return Response(s.DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(summary="Open disputes (platform admins)"))
class DisputeListView(ListAPIView):
    """Open disputes, for platform admins."""

    permission_classes = [IsPlatformAdmin]
    serializer_class = s.DisputeSerializer

    def get_queryset(self):
        return selectors.dispute_list_open().order_by("-created_at", "-id")


class DisputeDecideView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Decide a dispute (platform admins)", request=s.DisputeDecisionSerializer, responses=s.DisputeSerializer
    )
    def post(self, request, pk: int):
        data = s.DisputeDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = dispute_decide(dispute_id=pk, actor=request.user, **data.validated_data)
        return Response(s.DisputeSerializer(dispute).data)
