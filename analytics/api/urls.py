"""Analytics API routes, mounted under /api/v1/analytics/."""

from django.urls import path

from . import views

urlpatterns = [
    path("instruments/<int:pk>/hours/", views.InstrumentHoursView.as_view(), name="api-analytics-instrument-hours"),
    path("idle/", views.IdleInstrumentsView.as_view(), name="api-analytics-idle"),
    path("units/<int:pk>/evaluation/", views.UnitEvaluationView.as_view(), name="api-analytics-unit-evaluation"),
    path("before-you-buy/", views.BeforeYouBuyView.as_view(), name="api-analytics-before-you-buy"),
    path("platform/", views.PlatformDashboardView.as_view(), name="api-analytics-platform"),
]
