"""The moderation queue page under its global url name "moderation" (the navigation links to it)."""

from django.urls import path

from . import views

urlpatterns = [path("", views.moderation, name="moderation")]
