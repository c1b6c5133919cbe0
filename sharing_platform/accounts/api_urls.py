"""/api/v1/auth/: accounts and tokens."""

from django.urls import path

from . import api

urlpatterns = [
    path("register/", api.RegisterView.as_view(), name="api-auth-register"),
    path("confirm-email/", api.EmailConfirmView.as_view(), name="api-auth-confirm-email"),
    path("token/", api.TokenObtainView.as_view(), name="api-auth-token"),
    path("logout/", api.TokenLogoutView.as_view(), name="api-auth-logout"),
    path("logoutall/", api.TokenLogoutAllView.as_view(), name="api-auth-logout-all"),
    path("me/", api.MeView.as_view(), name="api-auth-me"),
]
