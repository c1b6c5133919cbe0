"""Analytics pages, mounted under /analytics/."""

app_name = "analytics"
urlpatterns: list = []
