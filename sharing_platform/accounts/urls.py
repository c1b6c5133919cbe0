from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("confirm-email/<str:token>/", views.email_confirm_page, name="email-confirm"),
    path("tokens/", views.api_tokens, name="api-tokens"),
]
