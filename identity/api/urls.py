"""Identity API routes, mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("identity-providers/", views.IdentityProviderListView.as_view(), name="api-identity-providers"),
    path("identity-providers/<int:pk>/", views.IdentityProviderDetailView.as_view(), name="api-identity-provider"),
]
