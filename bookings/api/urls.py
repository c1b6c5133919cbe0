"""Bookings API routes, mounted under /api/v1/."""

from django.urls import path

from . import rules, views

urlpatterns = [
    path("bookings/", views.BookingListCreateView.as_view(), name="api-booking-list"),
    path("bookings/<int:pk>/", views.BookingDetailView.as_view(), name="api-booking-detail"),
    path("bookings/<int:pk>/approve/", views.BookingApproveView.as_view(), name="api-booking-approve"),
    path("bookings/<int:pk>/refuse/", views.BookingRefuseView.as_view(), name="api-booking-refuse"),
    path("bookings/<int:pk>/cancel/", views.BookingCancelView.as_view(), name="api-booking-cancel"),
    path("bookings/<int:pk>/check-in/", views.BookingCheckInView.as_view(), name="api-booking-check-in"),
    path("bookings/<int:pk>/check-out/", views.BookingCheckOutView.as_view(), name="api-booking-check-out"),
    path("bookings/<int:pk>/no-show/", views.BookingNoShowView.as_view(), name="api-booking-no-show"),
    path("bookings/<int:pk>/complete/", views.BookingCompleteView.as_view(), name="api-booking-complete"),
    path("bookings/<int:pk>/hours/", views.BookingHoursCorrectView.as_view(), name="api-booking-hours"),
    path("bookings/<int:pk>/move/", views.BookingMoveView.as_view(), name="api-booking-move"),
    path("bookings/<int:pk>/reviews/", views.BookingReviewsView.as_view(), name="api-booking-reviews"),
    path("bookings/<int:pk>/incidents/", views.BookingIncidentsView.as_view(), name="api-booking-incidents"),
    path("bookings/<int:pk>/facts/", views.BookingFactsView.as_view(), name="api-booking-facts"),
    path("facts/<int:pk>/contest/", views.FactContestView.as_view(), name="api-fact-contest"),
    path("incidents/<int:pk>/confirm/", views.IncidentConfirmView.as_view(), name="api-incident-confirm"),
    path("incidents/<int:pk>/contest/", views.IncidentContestView.as_view(), name="api-incident-contest"),
    path("disputes/", views.DisputeListView.as_view(), name="api-dispute-list"),
    path("disputes/<int:pk>/decide/", views.DisputeDecideView.as_view(), name="api-dispute-decide"),
    path(
        "instruments/<int:pk>/availability/",
        views.InstrumentAvailabilityView.as_view(),
        name="api-instrument-availability",
    ),
    # --- Booking rules of an instrument ---
    path(
        "instruments/<int:pk>/booking-policy/",
        rules.InstrumentBookingPolicyView.as_view(),
        name="api-instrument-policy",
    ),
    path(
        "instruments/<int:pk>/opening-hours/",
        rules.InstrumentOpeningHoursView.as_view(),
        name="api-instrument-opening-hours",
    ),
    path(
        "instruments/<int:pk>/opening-hours/<int:item_pk>/",
        rules.InstrumentOpeningHoursDetailView.as_view(),
        name="api-instrument-opening-hours-detail",
    ),
    path("instruments/<int:pk>/blackouts/", rules.InstrumentBlackoutsView.as_view(), name="api-instrument-blackouts"),
    path(
        "instruments/<int:pk>/blackouts/<int:item_pk>/",
        rules.InstrumentBlackoutDetailView.as_view(),
        name="api-instrument-blackout-detail",
    ),
    path(
        "instruments/<int:pk>/qualifications/",
        rules.InstrumentQualificationsView.as_view(),
        name="api-instrument-qualifications",
    ),
    path(
        "instruments/<int:pk>/qualifications/<int:item_pk>/",
        rules.InstrumentQualificationDetailView.as_view(),
        name="api-instrument-qualification-detail",
    ),
]
