"""API routes for member units and their members."""

from django.urls import path

from . import units

urlpatterns = [
    path("units/", units.UnitListCreateView.as_view(), name="api-unit-list"),
    path("units/<int:pk>/", units.UnitDetailView.as_view(), name="api-unit-detail"),
    path("units/<int:pk>/verify/", units.UnitVerifyView.as_view(), name="api-unit-verify"),
    path("units/<int:pk>/suspend/", units.UnitSuspendView.as_view(), name="api-unit-suspend"),
    path("units/<int:pk>/members/", units.UnitMemberListView.as_view(), name="api-unit-members"),
    path("units/<int:pk>/members/<int:user_id>/", units.UnitMemberDetailView.as_view(), name="api-unit-member"),
]
