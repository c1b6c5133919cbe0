"""API routes for the catalogue and instrument registry, categories and statistics."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .catalogue import CategoryTreeView, InstrumentViewSet, PlatformStatsView

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="api-instrument")

urlpatterns = [
    path("categories/", CategoryTreeView.as_view(), name="api-category-tree"),
    path("stats/", PlatformStatsView.as_view(), name="api-stats"),
    path("", include(router.urls)),
]
