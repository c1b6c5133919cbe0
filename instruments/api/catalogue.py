"""API for the catalogue and the instrument registry, the category tree and platform statistics.

`/api/v1/instruments/`: list and retrieve are public (the catalogue); create, update and retire
belong to instrument managers and unit admins of a verified unit. There is no hard delete:
`DELETE` answers 405, and `POST /api/v1/instruments/{id}/retire/` takes an instrument out of
service while keeping its history.
"""

from __future__ import annotations

import json

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing_platform.api.exceptions import validation_error
from sharing_platform.api.public_reads import CATALOGUE_READ, PublicReadScope, public_read_authentication

from ..catalogue_cache import cached_page, page_params
from ..filters import InstrumentFilter
from ..selectors.catalogue import (
    catalogue_rows,
    category_tree,
    instrument_catalogue_queryset,
    instrument_visible_queryset,
)
from ..selectors.stats import platform_stats
from ..services.instruments import instrument_create, instrument_retire, instrument_update
from .serializers_catalogue import (
    CategoryTreeSerializer,
    InstrumentCreateSerializer,
    InstrumentDetailSerializer,
    InstrumentListSerializer,
    InstrumentUpdateSerializer,
    PlatformStatsSerializer,
)

READ_ACTIONS = {"list", "retrieve"}


def _api_row(row: dict, request) -> dict:
    """A cached row as the API answers it: absolute photo URLs (the cache holds site-relative paths, as
    the detail answer does not), without the unit's two raw names that only the page uses."""
    unit = {key: value for key, value in row["unit"].items() if key not in ("name_zh", "name_en")}
    thumbnail = request.build_absolute_uri(row["thumbnail_url"]) if row["thumbnail_url"] else None
    return {**row, "unit": unit, "thumbnail_url": thumbnail}


class RenderedResponse(Response):
    """A 200 answer whose body is already rendered (read from the cache, or just stored there): DRF renders nothing,
    the view's headers (Allow, Vary) and the middleware's are added as to any response. `data` is parsed from the
    body only if asked for (tests)."""

    def __init__(self, body: bytes, content_type: str):
        self.body = body
        self.body_type = content_type
        super().__init__(content_type=content_type)

    @property
    def data(self):
        return json.loads(self.body)

    @data.setter
    def data(self, value) -> None:  # Response.__init__ sets None; the body is the data
        pass

    @property
    def rendered_content(self) -> bytes:  # type: ignore[override]  # DRF's stubs say str; Django takes bytes
        self["Content-Type"] = self.body_type
        return self.body


class CatalogueFilterBackend(DjangoFilterBackend):
    """The shared FilterSet; a bad filter value is a 400 in the project's error shape, never ignored."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise validation_error(filterset.errors)
        return filterset.qs


CATALOGUE_ROW_EXAMPLE = {
    "id": 12,
    "display_name": "场发射扫描电子显微镜 (Field-emission SEM)",
    "name": "场发射扫描电子显微镜",
    "name_en": "Field-emission SEM",
    "model_number": "SU8010",
    "manufacturer": "Hitachi",
    "unit": {
        "id": 3,
        "name": "浙江大学",
        "status": "verified",
        "region": {"id": 7, "code": "330000", "name": "Zhejiang", "name_zh": "浙江省", "name_en": "Zhejiang"},
        "credit_score": 812,
        "credit_tier": "excellent",
    },
    "category": {
        "id": 41,
        "code": "0301",
        "name": "Electron microscopes",
        "name_zh": "电子显微镜",
        "name_en": "Electron microscopes",
        "parent": {"id": 3, "code": "03", "name": "Analytical instruments"},
    },
    "status": "available",
    "status_display": "Available",
    "location": "Building 5, room 112",
    "original_value": "4200000.00",
    "hourly_rate_internal": "300.00",
    "hourly_rate_external": "600.00",
    "deposit": "0.00",
    "requires_approval": True,
    "requires_qualification": False,
    "min_credit_score": None,
    "thumbnail_url": "https://sharing.example.edu/media/instruments/thumbnails/2026/01/3f9c2a7d5b1e4c8a9d0f6b2e1a7c5d3e.jpg",
    "created_at": "2026-01-15T10:00:00+08:00",
}


# Reads accept a partner key with catalogue:read; examples for the contract.
@extend_schema_view(
    list=extend_schema(
        summary="Search the catalogue",
        examples=[OpenApiExample("Catalogue page", response_only=True, value=CATALOGUE_ROW_EXAMPLE)],
    ),
    retrieve=extend_schema(summary="One instrument"),
    partial_update=extend_schema(
        summary="Change some of an instrument's fields (managers)",
        request=InstrumentUpdateSerializer,
        responses={200: InstrumentDetailSerializer},
    ),
)
class InstrumentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalogue (filters: q, category, region, unit, min_rate, max_rate, status, ordering) and its writes.

    There is no hard delete: DELETE answers 405; POST /instruments/{id}/retire/ takes an instrument out of service.
    """

    # Digits only, so sibling routes such as instruments/import/ and instruments/export/ stay reachable.
    lookup_value_regex = r"\d+"
    filter_backends = [CatalogueFilterBackend]
    filterset_class = InstrumentFilter
    authentication_classes = public_read_authentication()

    def get_permissions(self):
        if self.action in READ_ACTIONS:
            return [PublicReadScope(CATALOGUE_READ)]
        return [IsAuthenticated()]

    def get_queryset(self):
        if self.action == "list":
            return instrument_catalogue_queryset()
        # Retrieve and writes: managers also reach their retired instruments; others get 404.
        return instrument_visible_queryset(user=self.request.user)

    def filter_queryset(self, queryset):
        # Catalogue filters apply to the list only; a detail URL is not narrowed by query parameters.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # The JSON answer is the same for every caller (the catalogue: no one's own instruments; who may read was
        # settled by the permission check before this runs), so its rendered body is kept in the shared cache per
        # query parameters (all of them: the page links repeat them; their order does not change the body), site
        # (the links and photo URLs are absolute),
        # media type, language and catalogue generation (catalogue_cache): a repeated answer costs one cache
        # round trip. A bad filter or page raises: nothing is cached. Other formats (the browsable view) are
        # rendered each time.
        renderer = request.accepted_renderer
        if request.method != "GET" or not isinstance(renderer, JSONRenderer):
            return self._list_response(request)

        def render() -> tuple[bytes, str]:
            data = self._list_response(request).data
            body = renderer.render(data, request.accepted_media_type, self.get_renderer_context())
            media_type = renderer.media_type
            return body, (f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type)

        # Each parameter with its values in their order (a filter reads the last one); prefixed with "=", so that
        # none can pass for the site (scheme, host and path) or the media type.
        given = [(f"={name}", repr(values)) for name, values in request.query_params.lists()]
        site = request.build_absolute_uri(request.path)
        params = [*given, ("@site", site), ("@type", request.accepted_media_type)]
        body, content_type = cached_page("api", params, render)
        return RenderedResponse(body, content_type)

    def _list_response(self, request):
        # One page of lean rows (selectors.catalogue_rows, the shape InstrumentListSerializer documents), kept
        # in the shared cache per filter set, page and language (catalogue_cache).
        paginator = self.paginator
        offset, page_size = paginator.page_bounds(request)

        def read_page():
            queryset = self.filter_queryset(self.get_queryset())  # a bad filter raises: nothing is cached
            return catalogue_rows(queryset=queryset, offset=offset, page_size=page_size)

        params = page_params(request.query_params, InstrumentFilter.base_filters, offset=offset, page_size=page_size)
        rows, has_next = cached_page("rows", params, read_page)
        rows = [_api_row(row, request) for row in rows]
        return paginator.get_paginated_response(paginator.page_found(rows, has_next))

    def get_serializer_class(self):
        if self.action == "list":
            return InstrumentListSerializer
        if self.action == "create":
            return InstrumentCreateSerializer
        if self.action in {"update", "partial_update"}:
            return InstrumentUpdateSerializer
        return InstrumentDetailSerializer

    def _detail(self, instrument, status_code=status.HTTP_200_OK) -> Response:
        instrument = instrument_visible_queryset(user=self.request.user).get(pk=instrument.pk)
        return Response(InstrumentDetailSerializer(instrument, context=self.get_serializer_context()).data, status_code)

    @extend_schema(
        summary="List a new instrument (managers of a verified unit)",
        request=InstrumentCreateSerializer,
        responses={201: InstrumentDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = InstrumentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        unit = fields.pop("unit")
        instrument = instrument_create(actor=request.user, unit=unit, **fields)
        return self._detail(instrument, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace an instrument's fields (managers)",
        request=InstrumentUpdateSerializer,
        responses={200: InstrumentDetailSerializer},
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instrument = self.get_object()
        serializer = InstrumentUpdateSerializer(instrument, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instrument = instrument_update(actor=request.user, instrument=instrument, **serializer.validated_data)
        return self._detail(instrument)

    @extend_schema(
        summary="Retire an instrument (nothing is deleted)", request=None, responses={200: InstrumentDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Take the instrument out of service for good (status retired, retired_at now); nothing is deleted."""
        instrument = instrument_retire(actor=request.user, instrument=self.get_object())
        return self._detail(instrument)


class CategoryTreeView(APIView):
    """The two-level category tree, names in Chinese and English plus `name` in the request's language."""

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CATALOGUE_READ)]  # type: ignore[list-item]  # callable instance

    @extend_schema(summary="The two-level category tree", responses={200: CategoryTreeSerializer(many=True)})
    def get(self, request):
        return Response(CategoryTreeSerializer(category_tree(), many=True).data)


class PlatformStatsView(APIView):
    """Verified units, active instruments and their original value, by top-level category and by province."""

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CATALOGUE_READ)]  # type: ignore[list-item]  # callable instance

    @extend_schema(summary="Platform statistics by category and by province", responses={200: PlatformStatsSerializer})
    def get(self, request):
        return Response(PlatformStatsSerializer(platform_stats()).data)
