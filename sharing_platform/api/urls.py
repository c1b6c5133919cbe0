"""/api/v1/: the API root (a map of the main resources), then each app's own routes."""

from django.urls import NoReverseMatch, include, path, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# (key, URL name): the main collections a client starts from.
API_ROOT_RESOURCES = [
    ("auth_token", "api-auth-token"),
    ("me", "api-auth-me"),
    ("instruments", "api-instrument-list"),
    ("categories", "api-category-tree"),
    ("regions", "api-region-list"),
    ("units", "api-unit-list"),
    ("stats", "api-stats"),
    ("bookings", "api-booking-list"),
    ("disputes", "api-dispute-list"),
    ("credit_red_list", "api-credit-list-red"),
    ("credit_black_list", "api-credit-list-black"),
    ("credit_entries", "api-credit-entries"),
    ("analytics_platform", "api-analytics-platform"),
    ("partner_bookings", "api-partner-bookings"),
    ("webhooks", "api-webhooks"),
    ("schema", "api-schema"),
    ("docs", "api-docs"),
]


class ApiRootView(APIView):
    """Where to start: the main resources of API version 1 as absolute URLs, and the schema and docs."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="API root: where to start",
        responses={
            200: inline_serializer(
                "ApiRoot",
                {"version": serializers.CharField(), "resources": serializers.DictField(child=serializers.URLField())},
            )
        },
        examples=[
            OpenApiExample(
                "API root",
                response_only=True,
                value={"version": "v1", "resources": {"instruments": "https://host/api/v1/instruments/"}},
            )
        ],
    )
    def get(self, request):
        resources = {}
        for key, name in API_ROOT_RESOURCES:
            try:
                resources[key] = request.build_absolute_uri(reverse(name))
            except NoReverseMatch:  # an app that is not installed
                continue
        return Response({"version": "v1", "resources": resources})


urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("auth/", include("sharing_platform.accounts.api_urls")),
    path("", include("instruments.api.urls")),
    path("", include("identity.api.urls")),  # identity-providers/ (platform admins)
    path("", include("bookings.api.urls")),
    path("", include("billing.api.urls")),  # charges/, statements/, payments/, .../billing/
    path("credit/", include("credit.api.urls")),
    path("analytics/", include("analytics.api.urls")),
    path("", include("partners.api.urls")),  # partner/..., webhooks/..., credit/reports/
]
