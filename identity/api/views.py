"""/api/v1/identity-providers/: platform admins register the member units' sign-on servers. Thin."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from sharing_platform.api.permissions import IsPlatformAdmin

from .. import services
from ..selectors import identity_provider_get, identity_provider_list
from .serializers import IdentityProviderSerializer, IdentityProviderWriteSerializer


def _validated(request, *, partial: bool) -> tuple[dict, str | None]:
    serializer = IdentityProviderWriteSerializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    return values, values.pop("secret", None)


class IdentityProviderListView(ListAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = IdentityProviderSerializer
    filter_backends: list = []

    def get_queryset(self):
        return identity_provider_list()

    @extend_schema(tags=["identity"], summary="List identity providers")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["identity"],
        summary="Register a unit's identity provider",
        request=IdentityProviderWriteSerializer,
        responses={201: IdentityProviderSerializer},
    )
    def post(self, request):
        values, secret = _validated(request, partial=False)
        provider = services.identity_provider_create(actor=request.user, values=values, secret=secret)
        return Response(IdentityProviderSerializer(provider).data, status=status.HTTP_201_CREATED)


class IdentityProviderDetailView(GenericAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = IdentityProviderSerializer

    @extend_schema(tags=["identity"], summary="One identity provider", responses={200: IdentityProviderSerializer})
    def get(self, request, pk: int):
        return Response(IdentityProviderSerializer(identity_provider_get(provider_id=pk)).data)

    @extend_schema(
        tags=["identity"],
        summary="Change an identity provider (a secret given replaces the stored one)",
        request=IdentityProviderWriteSerializer,
        responses={200: IdentityProviderSerializer},
    )
    def patch(self, request, pk: int):
        provider = identity_provider_get(provider_id=pk)
        values, secret = _validated(request, partial=True)
        provider = services.identity_provider_update(
            actor=request.user, provider=provider, changes=values, secret=secret
        )
        return Response(IdentityProviderSerializer(provider).data)

    @extend_schema(
        tags=["identity"], summary="Delete an identity provider nobody signed in through", responses={204: None}
    )
    def delete(self, request, pk: int):
        services.identity_provider_delete(actor=request.user, provider=identity_provider_get(provider_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
