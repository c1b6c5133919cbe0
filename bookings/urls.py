from django.urls import include, path

app_name = "bookings"
urlpatterns: list = [
    path("feeds/", include("bookings.urls_feeds")),
]
