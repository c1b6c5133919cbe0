"""Booking pages (app_name "bookings")."""

from importlib.util import find_spec

from django.urls import include, path

from . import views

app_name = "bookings"

urlpatterns = [
    path("", views.my_bookings, name="mine"),
    path("desk/", views.provider_queue, name="provider-queue"),
    path("new/<int:instrument_pk>/", views.booking_create, name="create"),
    path("calendar/<int:instrument_pk>/", views.instrument_calendar, name="instrument-calendar"),
    path("<int:pk>/", views.booking_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.booking_action, name="action"),
]

# Calendar feeds live in their own module (bookings/urls_feeds.py) when present.
if find_spec("bookings.urls_feeds") is not None:
    urlpatterns.insert(0, path("feeds/", include("bookings.urls_feeds")))
