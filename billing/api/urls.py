"""Billing API routes, mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("charges/", views.ChargeListView.as_view(), name="api-charge-list"),
    path("charges/<int:pk>/", views.ChargeDetailView.as_view(), name="api-charge-detail"),
    path("charges/<int:pk>/adjustments/", views.ChargeAdjustView.as_view(), name="api-charge-adjust"),
    path("statements/", views.StatementListCreateView.as_view(), name="api-statement-list"),
    path("statements/<int:pk>/", views.StatementDetailView.as_view(), name="api-statement-detail"),
    path("statements/<int:pk>/cancel/", views.StatementCancelView.as_view(), name="api-statement-cancel"),
    path("statements/<int:pk>/payments/", views.StatementPaymentsView.as_view(), name="api-statement-payments"),
    path(
        "statements/<int:pk>/payments/declare/",
        views.StatementDeclarePaymentView.as_view(),
        name="api-statement-declare-payment",
    ),
    path("payments/<int:pk>/confirm/", views.PaymentConfirmView.as_view(), name="api-payment-confirm"),
    path("payments/<int:pk>/reject/", views.PaymentRejectView.as_view(), name="api-payment-reject"),
    path("instruments/<int:pk>/billing/", views.InstrumentBillingView.as_view(), name="api-instrument-billing"),
    path("units/<int:pk>/billing/", views.ProviderBillingView.as_view(), name="api-unit-billing"),
]
