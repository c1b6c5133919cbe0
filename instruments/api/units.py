"""Units and members API. Thin: validate input, call a selector or a service, serialize the answer."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing_platform.api.pagination import CheapPageNumberPagination
from sharing_platform.api.permissions import IsPlatformAdmin
from sharing_platform.errors import DomainPermissionError, DomainValidationError

from ..error_codes import InstrumentErrorCode
from ..models import CreditTier, Membership, Region, Unit
from ..permissions import can_administer_unit, is_platform_admin
from ..selectors.units import membership_get, region_resolve, unit_get, unit_list, unit_membership_list
from ..services.units import (
    UNIT_EDITABLE_FIELDS,
    membership_add,
    membership_remove,
    membership_role_change,
    unit_register,
    unit_suspend,
    unit_update,
    unit_verify,
)
from ..validators import uscc_normalise, uscc_problem

# --- serializers ---------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_zh", "name_en"]


class UnitSerializer(serializers.ModelSerializer):
    region = RegionSerializer(read_only=True)
    accreditations = serializers.ListField(child=serializers.CharField(), read_only=True)
    credit_tier = serializers.ChoiceField(
        choices=CreditTier.choices, allow_blank=True, read_only=True, help_text='"" while unscored.'
    )
    display_name = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    instrument_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "name_en",
            "display_name",
            "kind",
            "kind_display",
            "credit_code",
            "region",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            "website",
            "accreditations",
            "description",
            "description_en",
            "status",
            "status_display",
            "status_reason",
            "status_changed_at",
            "credit_score",
            "credit_tier",
            "instrument_count",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]{6}$"}]})
class RegionInputField(serializers.Field):
    """A region by id (number) or six-digit division code (text)."""

    default_error_messages = {"invalid": gettext_lazy("Give a region id or a six-digit division code.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        try:
            return region_resolve(data)
        except DomainValidationError as error:
            raise serializers.ValidationError(error.message) from None

    def to_representation(self, value):
        return value.pk


class CreditCodeField(serializers.CharField):
    """Normalised (spaces, hyphens, case) and checked against GB 32100-2015, with the reason in words."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = uscc_normalise(super().to_internal_value(data))
        problem = uscc_problem(code)
        if problem:
            raise serializers.ValidationError(problem, code=InstrumentErrorCode.INVALID_CREDIT_CODE)
        return code


class UnitWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Unit.Kind.choices)
    credit_code = CreditCodeField()
    region = RegionInputField()
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    accreditations = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=30, allow_empty=True
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    description_en = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    class Meta:
        fields = [
            "name",
            "name_en",
            "kind",
            "credit_code",
            "region",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            "website",
            "accreditations",
            "description",
            "description_en",
        ]


class VerifySerializer(serializers.Serializer):
    approved = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    class Meta:
        fields = ["approved", "reason"]


class SuspendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)

    class Meta:
        fields = ["reason"]


class MemberSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.CharField(source="user.get_full_name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["user_id", "username", "full_name", "role", "role_display", "joined_at"]
        read_only_fields = fields


class MemberAddSerializer(serializers.Serializer):
    username = serializers.CharField(required=False, max_length=150)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)

    class Meta:
        fields = ["username", "email", "role"]

    def validate(self, attrs):
        user_model = get_user_model()
        if bool(attrs.get("username")) == bool(attrs.get("email")):
            raise serializers.ValidationError(_("Give either the person's username or their email address."))
        if attrs.get("username"):
            user = user_model.objects.filter(username=attrs["username"]).first()
            if user is None:
                raise serializers.ValidationError({"username": _("No account has this username.")})
        else:
            matches = list(user_model.objects.filter(email__iexact=attrs["email"])[:2])
            if not matches:
                raise serializers.ValidationError({"email": _("No account has this email address.")})
            if len(matches) > 1:
                raise serializers.ValidationError(
                    {"email": _("Several accounts use this email address; give the username instead.")}
                )
            user = matches[0]
        attrs["user"] = user
        return attrs


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)

    class Meta:
        fields = ["role"]


# --- views ---------------------------------------------------------------------------------------


UNIT_FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Name, English name or exact credit code"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Unit.Status.values),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=Unit.Kind.values),
    OpenApiParameter("region", OpenApiTypes.STR, description="Region id or six-digit division code"),
]


class UnitListCreateView(APIView):
    """Verified units for everyone; pending, rejected and suspended ones only for members and platform admins."""

    pagination_class = CheapPageNumberPagination  # the schema shows the paginated body

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        summary="Member units", parameters=UNIT_FILTER_PARAMETERS, responses={200: UnitSerializer(many=True)}
    )
    def get(self, request):
        queryset = unit_list(user=request.user, filters=request.query_params)
        paginator = CheapPageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(UnitSerializer(page, many=True).data)

    @extend_schema(summary="Register a unit", request=UnitWriteSerializer, responses={201: UnitSerializer})
    def post(self, request):
        serializer = UnitWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = unit_register(actor=request.user, **serializer.validated_data)
        return Response(
            UnitSerializer(unit_get(user=request.user, unit_id=unit.pk)).data, status=status.HTTP_201_CREATED
        )


class UnitDetailView(APIView):
    """One unit; its administrators edit contacts (identity fields only until it is verified)."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(summary="One unit", responses={200: UnitSerializer})
    def get(self, request, pk):
        return Response(UnitSerializer(unit_get(user=request.user, unit_id=pk)).data)

    @extend_schema(
        summary="Edit a unit (its administrators)",
        request=UnitWriteSerializer(partial=True),
        responses={200: UnitSerializer},
    )
    def patch(self, request, pk):
        unit = unit_get(user=request.user, unit_id=pk)
        if not can_administer_unit(request.user, unit):
            raise DomainPermissionError(_("Only this unit's administrators may edit it."))
        data = request.data
        unknown = sorted(set(data) - set(UNIT_EDITABLE_FIELDS)) if isinstance(data, dict) else []
        if unknown:
            raise DomainValidationError(
                _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)},
                field=unknown[0],
                code=InstrumentErrorCode.READ_ONLY,
            )
        serializer = UnitWriteSerializer(data=data, partial=True)
        serializer.is_valid(raise_exception=True)
        unit_update(actor=request.user, unit=unit, changes=dict(serializer.validated_data))
        return Response(UnitSerializer(unit_get(user=request.user, unit_id=pk)).data)


class UnitVerifyView(APIView):
    """A platform admin approves or rejects a pending (or suspended) unit; rejecting needs a reason."""

    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Verify or reject a unit (platform admins)", request=VerifySerializer, responses={200: UnitSerializer}
    )
    def post(self, request, pk):
        unit = unit_get(user=request.user, unit_id=pk)
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit_verify(actor=request.user, unit=unit, **serializer.validated_data)
        return Response(UnitSerializer(unit_get(user=request.user, unit_id=pk)).data)


class UnitSuspendView(APIView):
    """A platform admin suspends a verified unit; reinstating is a verification (`verify/`)."""

    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Suspend a verified unit (platform admins)", request=SuspendSerializer, responses={200: UnitSerializer}
    )
    def post(self, request, pk):
        unit = unit_get(user=request.user, unit_id=pk)
        serializer = SuspendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit_suspend(actor=request.user, unit=unit, reason=serializer.validated_data["reason"])
        return Response(UnitSerializer(unit_get(user=request.user, unit_id=pk)).data)


def _members_visible_guard(user, unit: Unit) -> None:
    if is_platform_admin(user):
        return
    if not Membership.objects.filter(unit=unit, user=user).exists():
        raise DomainPermissionError(_("Only members of this unit can see its member list."))


class UnitMemberListView(APIView):
    """Members of a unit (visible to its members); unit admins add people by username or email."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Members of a unit", responses={200: MemberSerializer(many=True)})
    def get(self, request, pk):
        unit = unit_get(user=request.user, unit_id=pk)
        _members_visible_guard(request.user, unit)
        return Response(MemberSerializer(unit_membership_list(unit=unit), many=True).data)

    @extend_schema(
        summary="Add a member by username or e-mail (unit admins)",
        request=MemberAddSerializer,
        responses={201: MemberSerializer},
    )
    def post(self, request, pk):
        unit = unit_get(user=request.user, unit_id=pk)
        if not can_administer_unit(request.user, unit):
            raise DomainPermissionError(_("Only this unit's administrators manage its members."))
        data = request.data
        serializer = MemberAddSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        membership = membership_add(
            actor=request.user,
            unit=unit,
            user=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
        )
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class UnitMemberDetailView(APIView):
    """Change a member's role, or remove them (a member may also leave). The last unit admin stays."""

    permission_classes = [IsAuthenticated]

    def _membership(self, request, pk, user_id) -> Membership:
        unit = unit_get(user=request.user, unit_id=pk)
        _members_visible_guard(request.user, unit)
        return membership_get(unit=unit, user_id=user_id)

    @extend_schema(
        summary="Change a member's role (unit admins)", request=MemberRoleSerializer, responses={200: MemberSerializer}
    )
    def patch(self, request, pk, user_id):
        membership = self._membership(request, pk, user_id)
        if not can_administer_unit(request.user, membership.unit):
            raise DomainPermissionError(_("Only this unit's administrators manage its members."))
        data = request.data
        serializer = MemberRoleSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        membership = membership_role_change(
            actor=request.user, membership=membership, role=serializer.validated_data["role"]
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(summary="Remove a member, or leave the unit", responses={204: None})
    def delete(self, request, pk, user_id):
        membership = self._membership(request, pk, user_id)
        membership_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
