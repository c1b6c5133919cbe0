"""Credit pages, mounted at /credit/ (the moderation queue lives in urls_moderation: url name "moderation")."""

from django.urls import path

from . import views

app_name = "credit"
urlpatterns = [
    path("lists/", views.lists, name="lists"),
    path("mine/", views.mine, name="mine"),
    path("entries/<int:pk>/appeal/", views.appeal_create, name="appeal-create"),
    path("entries/<int:pk>/repair/", views.repair_create, name="repair-create"),
    path("moderation/entries/<int:pk>/confirm/", views.entry_confirm, name="entry-confirm"),
    path("moderation/entries/<int:pk>/reject/", views.entry_reject, name="entry-reject"),
    path("moderation/appeals/<int:pk>/decide/", views.appeal_decide, name="appeal-decide"),
    path("moderation/repairs/<int:pk>/decide/", views.repair_decide, name="repair-decide"),
]
