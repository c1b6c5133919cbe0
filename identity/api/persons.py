"""/api/v1/identity/vouches/ (unit admins) and /api/v1/identity/reregistration-flags/ (platform admins). Thin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from instruments.models import Membership, Unit
from sharing_platform.api.permissions import IsPlatformAdmin

from .. import persons
from ..models import PersonVouch, ReRegistrationFlag
from ..selectors import person_vouch_list, reregistration_flag_get, reregistration_flag_list


class PersonVouchSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    vouched_by = serializers.CharField(source="vouched_by.username")

    class Meta:
        model = PersonVouch
        fields = ["id", "user", "unit", "vouched_by", "created_at"]


class PersonVouchWriteSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), help_text=_("The member's username.")
    )
    display_name = serializers.CharField(max_length=200)
    staff_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    national_id = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text=_("Stored only as a keyed digest.")
    )


class PersonVouchListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PersonVouchSerializer
    filter_backends: list = []

    def get_queryset(self):
        return person_vouch_list(unit_ids=Membership.objects.administered_unit_ids(self.request.user))

    @extend_schema(tags=["identity"], summary="Vouchings by the units you administer")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["identity"],
        summary="Vouch for a member of your unit: the account joins the person these identifiers name",
        request=PersonVouchWriteSerializer,
        responses={201: PersonVouchSerializer},
    )
    def post(self, request):
        serializer = PersonVouchWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vouch = persons.person_vouch(actor=request.user, **serializer.validated_data)
        return Response(PersonVouchSerializer(vouch).data, status=status.HTTP_201_CREATED)


class ReRegistrationFlagSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.username")
    other_account = serializers.CharField(source="other_account.username")

    class Meta:
        model = ReRegistrationFlag
        fields = ["id", "account", "other_account", "signal", "detail", "status", "created_at", "decided_at"]


class ReRegistrationDecisionSerializer(serializers.Serializer):
    same_person = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


class ReRegistrationFlagListView(ListAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = ReRegistrationFlagSerializer
    filter_backends: list = []

    def get_queryset(self):
        return reregistration_flag_list(status=self.request.query_params.get("status", ReRegistrationFlag.Status.OPEN))

    @extend_schema(tags=["identity"], summary="Possible re-registrations (open ones unless ?status= says otherwise)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReRegistrationDecisionView(GenericAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = ReRegistrationDecisionSerializer

    @extend_schema(
        tags=["identity"],
        summary="Judge a possible re-registration: the same person (the accounts join) or not",
        request=ReRegistrationDecisionSerializer,
        responses={200: ReRegistrationFlagSerializer},
    )
    def post(self, request, pk: int):
        serializer = ReRegistrationDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = persons.reregistration_flag_decide(
            flag=reregistration_flag_get(flag_id=pk), admin=request.user, **serializer.validated_data
        )
        return Response(ReRegistrationFlagSerializer(flag).data)
