"""Analytics API routes, mounted under /api/v1/analytics/."""

urlpatterns: list = []
