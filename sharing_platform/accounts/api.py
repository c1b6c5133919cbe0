"""Account API: register, obtain and revoke knox tokens, and who am I. Thin: validate, call a service, answer."""

from __future__ import annotations

from typing import cast

from django.contrib.auth import authenticate, get_user_model, user_logged_in, user_logged_out
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments.models import Membership
from sharing_platform.api.schema import ErrorSerializer
from sharing_platform.errors import DomainValidationError

from .error_codes import AccountErrorCode
from .services import api_token_create, email_confirm, user_register


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)

    class Meta:
        fields = ["username", "email", "password"]

    def validate_username(self, value: str) -> str:
        user_model = get_user_model()
        username_field = cast(Field, user_model._meta.get_field(user_model.USERNAME_FIELD))
        try:
            username_field.run_validators(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__iexact": value}).exists():
            raise serializers.ValidationError(_("A user with that username already exists."))
        return value

    def validate(self, attrs: dict) -> dict:
        user_model = get_user_model()
        candidate = user_model(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": error.messages}) from None
        return attrs


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, help_text="The confirmed e-mail address (empty until confirmed).")

    class Meta:
        fields = ["id", "username", "email"]


class RegisteredSerializer(UserSerializer):
    pending_email = serializers.EmailField(read_only=True, help_text="The address a confirmation was sent to.")
    detail = serializers.CharField(read_only=True)

    class Meta:
        fields = ["id", "username", "email", "pending_email", "detail"]


class EmailConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000, help_text="The token of the link in the confirmation mail.")

    class Meta:
        fields = ["token"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)

    class Meta:
        fields = ["username", "password"]


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        fields = ["token", "expiry"]


class MeUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="unit.id", read_only=True)
    name = serializers.CharField(source="unit.display_name", read_only=True)
    status = serializers.CharField(source="unit.status", read_only=True)
    role = serializers.CharField(read_only=True)

    class Meta:
        fields = ["id", "name", "status", "role"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    is_platform_admin = serializers.BooleanField(source="is_staff", read_only=True)
    units = MeUnitSerializer(many=True, read_only=True)

    class Meta:
        fields = ["id", "username", "email", "is_platform_admin", "units"]


class RegisterView(APIView):
    """Create an account. Anyone may call it; the password must pass the configured validators, the username
    must be free. The answer is the same whether or not the e-mail address belongs to another account: the
    address is attached once confirmed from the mail sent to it (a link), and an address already in use gets
    a notice to its owner instead."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="Create an account", request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data, site_url=request.build_absolute_uri("/"))
        email = serializer.validated_data["email"]
        body = {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "pending_email": email,
            "detail": _("Account created. We sent a message to %(email)s: follow its link to confirm the address.")
            % {"email": email},
        }
        return Response(RegisteredSerializer(body).data, status=status.HTTP_201_CREATED)


class EmailConfirmView(APIView):
    """Attach the e-mail address of a confirmation link to its account (the page at the link does the same)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="Confirm an e-mail address", request=EmailConfirmSerializer, responses={200: UserSerializer})
    def post(self, request):
        serializer = EmailConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = email_confirm(token=serializer.validated_data["token"])
        return Response(UserSerializer(user).data)


class TokenObtainView(APIView):
    """Exchange a username and password for a token, used as `Authorization: Token <token>`.

    Failed attempts are counted per account and per client address; over the limit the answer is 429
    for a cool-off period (django-axes: its middleware replaces this view's answer, see
    sharing_platform/accounts/throttling.py). People who signed in through their institution (CAS,
    LDAP, OpenID Connect) have no password here: a session-authenticated request (the browser's
    session cookie and its CSRF token) with an empty body gets a token for the signed-in user.
    """

    permission_classes = [AllowAny]
    # Session only: DRF then enforces CSRF for session-authenticated requests.
    authentication_classes = [SessionAuthentication]

    @extend_schema(
        summary="Sign in: exchange a username and password for a token",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many failed sign-ins for this account or from this address (code signin_locked); "
                "wait as many seconds as Retry-After (and retry_after) say, or ask a platform administrator.",
            ),
        },
        examples=[
            OpenApiExample(
                "Credentials", request_only=True, value={"username": "li.wei", "password": "s3cret-passw0rd"}
            ),
            OpenApiExample(
                "Token", response_only=True, value={"token": "9f2c...e1", "expiry": "2026-05-07T09:00:00+08:00"}
            ),
        ],
    )
    def post(self, request):
        has_credentials = hasattr(request.data, "keys") and any(
            request.data.get(name) not in (None, "") for name in ("username", "password")
        )
        if request.user.is_authenticated and not has_credentials:
            user = request.user
        else:
            serializer = TokenRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            user = authenticate(
                request._request,
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
            )
            if user is None:
                raise DomainValidationError(
                    _("Unable to log in with that username and password."), code=AccountErrorCode.INVALID_CREDENTIALS
                )
        instance, token = api_token_create(user=user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class TokenLogoutView(APIView):
    """Revoke the token this request was made with."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Revoke this token", request=None, responses={204: None})
    def post(self, request):
        request.auth.delete()
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenLogoutAllView(APIView):
    """Revoke every token of the signed-in user (all devices)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Revoke every token of the signed-in user", request=None, responses={204: None})
    def post(self, request):
        request.user.auth_token_set.all().delete()
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user, with the units they belong to and their role in each."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The signed-in user and their units", responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        memberships = Membership.objects.filter(user=user).select_related("unit").order_by("unit__name", "unit_id")
        me = {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "is_staff": user.is_staff,
            "units": list(memberships),
        }
        return Response(MeSerializer(me).data)
