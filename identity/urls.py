"""Sign-in routes under /accounts/ (the CAS callback is /accounts/cas/callback/) and provider pages under /identity/."""

from django.urls import path

from . import views, views_persons, views_providers

app_name = "identity"

urlpatterns = [
    path("accounts/sso/<int:pk>/start/", views.sign_in_start, name="start"),
    path("accounts/cas/callback/", views.cas_callback, name="cas-callback"),
    path("accounts/oidc/callback/", views.oidc_callback, name="oidc-callback"),
    path("accounts/ldap/login/", views.ldap_sign_in, name="ldap-login"),
    path("accounts/sso/link/", views.link_confirm, name="link-confirm"),
    path("identity/providers/", views_providers.provider_list_page, name="provider-list"),
    path("identity/providers/new/", views_providers.provider_create_page, name="provider-create"),
    path("identity/providers/<int:pk>/", views_providers.provider_edit_page, name="provider-edit"),
    path("identity/providers/<int:pk>/delete/", views_providers.provider_delete_page, name="provider-delete"),
    path("identity/vouch/", views_persons.vouch_page, name="vouch"),
    path("identity/reregistrations/", views_persons.reregistration_list_page, name="reregistrations"),
    path(
        "identity/reregistrations/<int:pk>/decide/",
        views_persons.reregistration_decide_page,
        name="reregistration-decide",
    ),
]
