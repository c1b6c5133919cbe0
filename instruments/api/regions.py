"""`GET /api/v1/regions/`: the national division list for forms and partners (public, paged)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing_platform.api.pagination import CheapPageNumberPagination
from sharing_platform.api.public_reads import CATALOGUE_READ, PublicReadScope, public_read_authentication
from sharing_platform.errors import DomainNotFoundError

from ..models import Region
from ..selectors.regions import Q_MAX_LENGTH, region_list


class RegionListSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    parent: serializers.Field = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[assignment]  # a declared field

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_zh", "name_en", "full_name", "level", "parent"]
        read_only_fields = fields


REGION_EXAMPLE = {
    "id": 412,
    "code": "150203",
    "name": "Kundulun District",
    "name_zh": "昆都仑区",
    "name_en": "Kundulun District",
    "full_name": "Inner Mongolia · Baotou · Kundulun District",
    "level": 3,
    "parent": "150200",
}


class RegionListView(APIView):
    """China's administrative divisions (GB/T 2260): provinces, prefecture-level and county-level divisions.

    `q` finds a code prefix (digits) or part of a Chinese or English name; `parent` lists a division's
    children; `level` keeps one level. `name` and `full_name` follow the request's language.
    """

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CATALOGUE_READ)]  # type: ignore[list-item]  # callable instance
    pagination_class = CheapPageNumberPagination

    @extend_schema(
        summary="Find administrative divisions",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": Q_MAX_LENGTH},
                description="Digits: a division code prefix; else part of the Chinese or English name.",
            ),
            OpenApiParameter("parent", OpenApiTypes.STR, description="Parent division code (or id): its children."),
            OpenApiParameter("level", OpenApiTypes.INT, enum=Region.Level.values),
        ],
        responses={200: RegionListSerializer(many=True)},
        examples=[OpenApiExample("Baotou's districts", response_only=True, value=REGION_EXAMPLE)],
    )
    def get(self, request):
        paginator = CheapPageNumberPagination()
        page = paginator.paginate_queryset(region_list(filters=request.query_params), request, view=self)
        return paginator.get_paginated_response(RegionListSerializer(page, many=True).data)


class RegionDetailView(APIView):
    """One division by its six-digit code."""

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CATALOGUE_READ)]  # type: ignore[list-item]  # callable instance

    @extend_schema(summary="One administrative division", responses={200: RegionListSerializer})
    def get(self, request, code: str):
        region = region_list().filter(code=code).first()
        if region is None:
            raise DomainNotFoundError(_("No region has the division code %(code)s.") % {"code": code})
        return Response(RegionListSerializer(region).data)
