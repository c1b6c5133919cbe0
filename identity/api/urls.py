"""Identity API routes, mounted under /api/v1/."""

from django.urls import path

from . import persons, views

urlpatterns = [
    path("identity-providers/", views.IdentityProviderListView.as_view(), name="api-identity-providers"),
    path("identity-providers/<int:pk>/", views.IdentityProviderDetailView.as_view(), name="api-identity-provider"),
    path("identity/vouches/", persons.PersonVouchListView.as_view(), name="api-person-vouches"),
    path(
        "identity/reregistration-flags/", persons.ReRegistrationFlagListView.as_view(), name="api-reregistration-flags"
    ),
    path(
        "identity/reregistration-flags/<int:pk>/decision/",
        persons.ReRegistrationDecisionView.as_view(),
        name="api-reregistration-decision",
    ),
]
