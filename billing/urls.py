"""Billing pages (app_name "billing")."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.billing_home, name="home"),
    path("provider/<int:unit_pk>/", views.provider_desk, name="provider"),
    path("provider/<int:unit_pk>/issue/", views.statement_issue, name="issue"),
    path("provider/<int:unit_pk>/terms/", views.provider_terms, name="terms"),
    path("owed/<int:unit_pk>/", views.payer_owed, name="owed"),
    path("statements/<int:pk>/", views.statement_detail, name="statement"),
    path("statements/<int:pk>/payments/", views.payment_record, name="payment-record"),
    path("statements/<int:pk>/declare/", views.payment_declare, name="payment-declare"),
    path("statements/<int:pk>/cancel/", views.statement_cancel, name="statement-cancel"),
    path("payments/<int:pk>/confirm/", views.payment_confirm, name="payment-confirm"),
    path("payments/<int:pk>/reject/", views.payment_reject, name="payment-reject"),
    path("charges/<int:pk>/", views.charge_detail, name="charge"),
    path("instruments/<int:instrument_pk>/", views.instrument_billing, name="instrument"),
]
