from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("cas/", include("mama_cas.urls")),
    path("openid/", include("oidc_provider.urls", namespace="oidc_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
