"""API routes for the catalogue and instrument registry, categories, regions and statistics."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from .catalogue import CategoryTreeView, InstrumentViewSet, PlatformStatsView
from .photos import InstrumentPhotoDetailView, InstrumentPhotoListView
from .regions import RegionDetailView, RegionListView

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="api-instrument")

urlpatterns = [
    path("categories/", CategoryTreeView.as_view(), name="api-category-tree"),
    path("stats/", PlatformStatsView.as_view(), name="api-stats"),
    path("regions/", RegionListView.as_view(), name="api-region-list"),
    re_path(r"^regions/(?P<code>[0-9]{6})/$", RegionDetailView.as_view(), name="api-region-detail"),
    path("instruments/<int:id>/photos/", InstrumentPhotoListView.as_view(), name="api-instrument-photos"),
    path(
        "instruments/<int:id>/photos/<int:photo_id>/",
        InstrumentPhotoDetailView.as_view(),
        name="api-instrument-photo-detail",
    ),
    path("", include(router.urls)),
]
