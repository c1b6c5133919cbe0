"""Pages for member units."""

from django.urls import path

from .views import units

urlpatterns = [
    path("units/", units.unit_list_page, name="unit-list"),
    path("units/register/", units.unit_register_page, name="unit-register"),
    path("units/mine/", units.my_units_page, name="my-units"),
    path("units/verification/", units.unit_verification_queue_page, name="unit-verification-queue"),
    path("units/<int:pk>/", units.unit_detail_page, name="unit-detail"),
    path("units/<int:pk>/edit/", units.unit_edit_page, name="unit-edit"),
    path("units/<int:pk>/members/", units.unit_members_page, name="unit-members"),
    path("units/<int:pk>/members/<int:user_id>/", units.unit_member_update, name="unit-member-update"),
    path("units/<int:pk>/verify/", units.unit_verify_page, name="unit-verify"),
    path("units/<int:pk>/suspend/", units.unit_suspend_page, name="unit-suspend"),
]
