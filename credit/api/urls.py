"""Credit API routes, mounted at /api/v1/credit/."""

from django.urls import path

from . import views

urlpatterns = [
    path("entries/", views.EntryListView.as_view(), name="api-credit-entries"),
    path("entries/<int:pk>/confirm/", views.EntryConfirmView.as_view(), name="api-credit-entry-confirm"),
    path("entries/<int:pk>/reject/", views.EntryRejectView.as_view(), name="api-credit-entry-reject"),
    path("entries/<int:pk>/appeals/", views.EntryAppealView.as_view(), name="api-credit-entry-appeal"),
    path("entries/<int:pk>/repairs/", views.EntryRepairView.as_view(), name="api-credit-entry-repair"),
    path("appeals/", views.AppealListView.as_view(), name="api-credit-appeals"),
    path("appeals/<int:pk>/decide/", views.AppealDecideView.as_view(), name="api-credit-appeal-decide"),
    path("repairs/", views.RepairListView.as_view(), name="api-credit-repairs"),
    path("repairs/<int:pk>/decide/", views.RepairDecideView.as_view(), name="api-credit-repair-decide"),
    path("lists/red/", views.RedListView.as_view(), name="api-credit-list-red"),
    path("lists/black/", views.BlackListView.as_view(), name="api-credit-list-black"),
    path("users/<int:pk>/", views.UserCreditView.as_view(), name="api-credit-user"),
    path("units/<int:pk>/", views.UnitCreditView.as_view(), name="api-credit-unit"),
    path("users/<int:pk>/events/", views.UserEventListView.as_view(), name="api-credit-user-events"),
    path("units/<int:pk>/events/", views.UnitEventListView.as_view(), name="api-credit-unit-events"),
    path("endorsements/", views.EndorsementCreateView.as_view(), name="api-credit-endorsements"),
]
