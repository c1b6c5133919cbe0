"""API for an instrument's booking rules: policy, opening hours, blackouts, qualifications.

Reads of policy, opening hours and blackouts are public (like availability); the qualifications
list and every write are for the instrument's managers. Permission is checked before the body is
parsed, so a refused caller learns nothing from validation errors.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments.permissions import can_manage_instrument
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError

from .. import selectors
from ..models import Blackout, BookingPolicy, OpeningHours
from ..services.qualifications import qualification_grant_to, qualification_revoke
from ..services.rules import (
    POLICY_FIELDS,
    POLICY_INTEGER_BOUNDS,
    blackout_create,
    blackout_delete,
    booking_policy_update,
    opening_hours_add,
    opening_hours_delete,
    opening_hours_replace,
)
from .serializers import AwareDateTimeField

# --- Serializers ------------------------------------------------------------------------------


class BookingPolicySerializer(serializers.ModelSerializer):
    """The rules as stored; also the input shape (PUT: every field, PATCH: some)."""

    # null while the instrument still runs on the default rules (never saved).
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = BookingPolicy
        fields = [*POLICY_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs: dict[str, dict[str, object]] = {
            field: {"min_value": None, "max_value": None} for field in POLICY_INTEGER_BOUNDS
        }  # the service checks ranges, with messages naming the rule


class BookingPolicyPutSerializer(BookingPolicySerializer):
    """PUT replaces the whole policy: every rule must be given (empty limits as null)."""

    class Meta(BookingPolicySerializer.Meta):
        extra_kwargs: dict[str, dict[str, object]] = {
            **{field: {"required": True} for field in POLICY_FIELDS},
            **{field: {"min_value": None, "max_value": None, "required": True} for field in POLICY_INTEGER_BOUNDS},
        }


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "08:30"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time shown as HH:MM (OpenAPI's "time" format would demand seconds)."""


class OpeningHoursSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    opens = ClockTimeField(format="%H:%M")
    closes = ClockTimeField(format="%H:%M")

    class Meta:
        model = OpeningHours
        fields = ["id", "weekday", "opens", "closes"]
        read_only_fields = ["id"]


class OpeningHoursWeekSerializer(serializers.Serializer):
    hours = OpeningHoursSerializer(many=True)


class BlackoutSerializer(serializers.ModelSerializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = Blackout
        fields = ["id", "start", "end", "reason", "created_at"]
        read_only_fields = ["id", "created_at"]


class QualificationInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False, allow_null=True, default=None)
    username = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)

    def validate(self, attrs):
        if attrs.get("user") is None and not attrs.get("username", "").strip():
            raise serializers.ValidationError({"user": _("Give the user's id or username.")})
        return attrs


class QualificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="qualification.id")
    user = serializers.IntegerField(source="qualification.user_id")
    username = serializers.CharField(source="qualification.user.username")
    granted_at = serializers.DateTimeField(source="qualification.granted_at")
    granted_by = serializers.CharField(source="qualification.granted_by.username", default=None, allow_null=True)
    last_used_at = serializers.DateTimeField(source="qualification.last_used_at", allow_null=True)
    revoked_at = serializers.DateTimeField(source="qualification.revoked_at", allow_null=True)
    status = serializers.ChoiceField(choices=["valid", "lapsed", "revoked"])


# --- Views ------------------------------------------------------------------------------------


def _instrument_or_404(pk: int):
    instrument = selectors.instrument_get(pk)
    if instrument is None:
        raise DomainNotFoundError(_("No such instrument."))
    return instrument


def _require_manager(request, instrument) -> None:
    if not can_manage_instrument(request.user, instrument):
        raise DomainPermissionError(_("Only the instrument's managers can change its booking rules."))


def _policy_data(instrument) -> dict:
    return BookingPolicySerializer(selectors.booking_policy_get(instrument)).data


class InstrumentBookingPolicyView(APIView):
    """GET the instrument's booking rules (defaults until set); PUT all of them or PATCH some (managers)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(summary="An instrument's booking rules", responses=BookingPolicySerializer)
    def get(self, request, pk: int):
        return Response(_policy_data(_instrument_or_404(pk)))

    def _write(self, request, pk: int, *, partial: bool):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        serializer_class = BookingPolicySerializer if partial else BookingPolicyPutSerializer
        data = serializer_class(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        policy = booking_policy_update(instrument=instrument, actor=request.user, values=dict(data.validated_data))
        return Response(BookingPolicySerializer(policy).data)

    @extend_schema(
        summary="Replace an instrument's booking rules (managers)",
        request=BookingPolicyPutSerializer,
        responses=BookingPolicySerializer,
    )
    def put(self, request, pk: int):
        return self._write(request, pk, partial=False)

    @extend_schema(
        summary="Change some of an instrument's booking rules (managers)",
        request=BookingPolicySerializer,
        responses=BookingPolicySerializer,
    )
    def patch(self, request, pk: int):
        return self._write(request, pk, partial=True)


class InstrumentOpeningHoursView(APIView):
    """GET the weekly opening hours (none: always open); POST one interval; PUT the whole week (managers)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(summary="An instrument's weekly opening hours", responses=OpeningHoursSerializer(many=True))
    def get(self, request, pk: int):
        instrument = _instrument_or_404(pk)
        return Response(OpeningHoursSerializer(selectors.opening_hours_list(instrument), many=True).data)

    @extend_schema(
        summary="Add opening hours (managers)", request=OpeningHoursSerializer, responses={201: OpeningHoursSerializer}
    )
    def post(self, request, pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        data = OpeningHoursSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = opening_hours_add(instrument=instrument, actor=request.user, **data.validated_data)
        return Response(OpeningHoursSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace the whole week of opening hours (managers)",
        request=OpeningHoursWeekSerializer,
        responses=OpeningHoursSerializer(many=True),
    )
    def put(self, request, pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        data = OpeningHoursWeekSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = opening_hours_replace(instrument=instrument, actor=request.user, rows=data.validated_data["hours"])
        return Response(OpeningHoursSerializer(rows, many=True).data)


class InstrumentOpeningHoursDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Remove opening hours (managers)", request=None, responses={204: None})
    def delete(self, request, pk: int, item_pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        opening_hours_delete(instrument=instrument, actor=request.user, opening_hours_id=item_pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InstrumentBlackoutsView(APIView):
    """GET blackouts not yet over (`?all=1`: also past ones); POST one (managers)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(summary="An instrument's blackout periods", responses=BlackoutSerializer(many=True))
    def get(self, request, pk: int):
        from django.utils import timezone

        instrument = _instrument_or_404(pk)
        upcoming_from = None if request.query_params.get("all") in {"1", "true"} else timezone.now()
        blackouts = selectors.blackout_list(instrument, upcoming_from=upcoming_from)
        return Response(BlackoutSerializer(blackouts, many=True).data)

    @extend_schema(
        summary="Add a blackout period (managers)", request=BlackoutSerializer, responses={201: BlackoutSerializer}
    )
    def post(self, request, pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        data = BlackoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        blackout = blackout_create(instrument=instrument, actor=request.user, **data.validated_data)
        return Response(BlackoutSerializer(blackout).data, status=status.HTTP_201_CREATED)


class InstrumentBlackoutDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Remove a blackout period (managers)", request=None, responses={204: None})
    def delete(self, request, pk: int, item_pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        blackout_delete(instrument=instrument, actor=request.user, blackout_id=item_pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InstrumentQualificationsView(APIView):
    """GET who is qualified (valid, lapsed, revoked); POST to grant or renew (managers only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Who is qualified on an instrument (managers)", responses=QualificationSerializer(many=True))
    def get(self, request, pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        policy = selectors.booking_policy_get(instrument)
        rows = selectors.qualification_list(instrument, policy=policy)
        return Response(QualificationSerializer(rows, many=True).data)

    @extend_schema(
        summary="Grant or renew a qualification (managers)",
        request=QualificationInputSerializer,
        responses={201: QualificationSerializer},
    )
    def post(self, request, pk: int):
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        data = QualificationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        qualification = qualification_grant_to(
            instrument=instrument,
            actor=request.user,
            user_id=data.validated_data["user"],
            username=data.validated_data["username"],
        )
        row = selectors.QualificationRow(qualification=qualification, status="valid")
        return Response(QualificationSerializer(row).data, status=status.HTTP_201_CREATED)


class InstrumentQualificationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Revoke a qualification (managers)", request=None, responses={204: None})
    def delete(self, request, pk: int, item_pk: int):
        """Revoke (the row stays, with its revocation time)."""
        instrument = _instrument_or_404(pk)
        _require_manager(request, instrument)
        qualification_revoke(instrument=instrument, actor=request.user, qualification_id=item_pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
