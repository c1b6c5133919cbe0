"""Calendar feeds (mounted under bookings/feeds/ inside the ``bookings`` namespace)."""

from django.urls import path

from . import feeds

urlpatterns = [
    path("", feeds.feeds_page, name="feeds"),
    path("user/<str:token>.ics", feeds.user_feed, name="feed-user"),
    path("instrument/<str:token>.ics", feeds.instrument_feed, name="feed-instrument"),
    path("staff/<str:token>.ics", feeds.staff_feed, name="feed-staff"),
]
