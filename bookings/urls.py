"""Booking pages (app_name "bookings")."""

from importlib.util import find_spec

from django.urls import include, path

from . import views, views_forms, views_rules

app_name = "bookings"

urlpatterns = [
    path("", views.my_bookings, name="mine"),
    path("desk/", views.provider_queue, name="provider-queue"),
    path("new/<int:instrument_pk>/", views.booking_create, name="create"),
    path("calendar/<int:instrument_pk>/", views.instrument_calendar, name="instrument-calendar"),
    # --- Booking rules, move, reviews, incidents, disputes; before the generic action route ---
    path("rules/<int:instrument_pk>/", views_rules.instrument_rules, name="instrument-rules"),
    path("rules/<int:instrument_pk>/<slug:section>/", views_rules.instrument_rules_save, name="instrument-rules-save"),
    path(
        "rules/<int:instrument_pk>/<slug:section>/<int:item_pk>/remove/",
        views_rules.instrument_rules_remove,
        name="instrument-rules-remove",
    ),
    path("<int:pk>/cancel/", views.booking_cancel, name="cancel"),
    path("<int:pk>/move/", views_forms.booking_move, name="move"),
    path("<int:pk>/review/", views_forms.booking_review, name="review"),
    path("<int:pk>/hours/", views_forms.booking_hours_correct, name="hours-correct"),
    path("<int:pk>/incident/", views_forms.booking_incident_report, name="incident-report"),
    path("incidents/<int:pk>/confirm/", views_forms.incident_confirm, name="incident-confirm"),
    path("incidents/<int:pk>/contest/", views_forms.incident_contest, name="incident-contest"),
    path("facts/<int:pk>/contest/", views_forms.fact_contest, name="fact-contest"),
    path("disputes/", views_forms.dispute_list, name="disputes"),
    path("disputes/<int:pk>/decide/", views_forms.dispute_decide, name="dispute-decide"),
    path("<int:pk>/", views.booking_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.booking_action, name="action"),
]

# Calendar feeds live in their own module (bookings/urls_feeds.py) when present.
if find_spec("bookings.urls_feeds") is not None:
    urlpatterns.insert(0, path("feeds/", include("bookings.urls_feeds")))
