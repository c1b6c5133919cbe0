"""Analytics pages, mounted under /analytics/."""

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("instruments/<int:pk>/hours/", views.instrument_hours, name="instrument-hours"),
    path("idle/", views.idle, name="idle"),
    path("units/<int:pk>/evaluation/", views.unit_evaluation, name="unit-evaluation"),
    path("before-you-buy/", views.before_you_buy, name="before-you-buy"),
    path("platform/", views.platform, name="platform"),
]
