"""The sign-in page lists enabled providers and keeps the local form; provider pages and admin for platform admins."""

from __future__ import annotations

import pytest

from identity.models import IdentityProvider, SignInEvent
from sharing_platform.secret_box import secret_decrypt
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def provider(unit, **fields) -> IdentityProvider:
    values = {
        "unit": unit,
        "display_name": "包头大学统一身份认证",
        "display_name_en": "Baotou University",
        "protocol": "cas",
        "server_url": "https://cas.btu.example.edu.cn/cas/",
    }
    return IdentityProvider.objects.create(**(values | fields))


def test_sign_in_page_lists_enabled_providers_and_keeps_the_password_form(client, unit):
    shown = provider(unit)
    hidden = provider(unit, display_name="停用", display_name_en="Retired CAS", enabled=False)
    page = client.get("/accounts/login/?next=/catalogue/").content.decode()
    assert "Sign in with Baotou University" in page
    assert f"/accounts/sso/{shown.pk}/start/?next=/catalogue/" in page
    assert "Retired CAS" not in page
    assert f"/accounts/sso/{hidden.pk}/start/" not in page
    assert 'name="password"' in page
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "使用包头大学统一身份认证登录" in chinese

    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_sign_in_unknown_provider_is_refused_on_the_sign_in_page(client):
    response = client.get("/accounts/sso/424242/start/", follow=True)
    assert "That sign-in service is not known here." in response.content.decode()
    assert SignInEvent.objects.get().code == "provider_unknown"


def test_sign_in_start_of_an_ldap_provider_points_at_the_form(client, unit):
    ldap = provider(
        unit, protocol="ldap", server_url="ldap://127.0.0.1:1", ldap_tls="none", ldap_bind_mode="direct",
        ldap_user_dn_template="uid={username},dc=x",
    )  # fmt: skip
    response = client.get(f"/accounts/sso/{ldap.pk}/start/", follow=True)
    assert "using the form on the sign-in page" in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "unit_admin"])
def test_provider_pages_are_for_platform_admins_only(client, unit, who):
    existing = provider(unit)
    if who != "anonymous":
        client.force_login(MembershipFactory(unit=unit, role="admin" if who == "unit_admin" else "member").user)
    for url in ["/identity/providers/", "/identity/providers/new/", f"/identity/providers/{existing.pk}/"]:
        response = client.get(url)
        assert response.status_code == (302 if who == "anonymous" else 403), url
    assert client.post(f"/identity/providers/{existing.pk}/delete/").status_code in {302, 403}
    assert IdentityProvider.objects.filter(pk=existing.pk).exists()


def test_provider_pages_register_edit_and_delete(client, platform_admin, unit):
    client.force_login(platform_admin)
    form = {
        "unit": unit.pk,
        "display_name": "包头大学 OpenID",
        "display_name_en": "Baotou OpenID",
        "protocol": "oidc",
        "enabled": "on",
        "auto_membership": "on",
        "server_url": "https://id.btu.example.edu.cn",
        "timeout_seconds": 10,
        "cas_version": "3",
        "ldap_tls": "",
        "ldap_bind_mode": "",
        "oidc_client_id": "instrument-platform",
        "oidc_scopes": "openid email profile",
        "secret": "client-secret-Xy",
        "attribute_map": '{"staff_number": "employee_id"}',
    }
    response = client.post("/identity/providers/new/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    created = IdentityProvider.objects.get()
    assert secret_decrypt(created.secret_encrypted) == "client-secret-Xy"
    assert created.attribute_map == {"staff_number": "employee_id"}
    listing = client.get("/identity/providers/").content.decode()
    assert "Baotou OpenID" in listing
    edit = client.get(f"/identity/providers/{created.pk}/").content.decode()
    assert "client-secret-Xy" not in edit
    assert "A secret is stored (encrypted); it is never shown." in edit

    # Leaving the secret empty keeps it; a bad mapping is refused with a form error and changes nothing.
    bad = client.post(f"/identity/providers/{created.pk}/", form | {"secret": "", "attribute_map": '{"x": "y"}'})
    assert bad.status_code == 200
    assert "Unknown keys x" in bad.content.decode()
    kept = client.post(f"/identity/providers/{created.pk}/", form | {"secret": "", "display_name_en": "BTU ID"})
    assert kept.status_code == 302
    created.refresh_from_db()
    assert created.display_name_en == "BTU ID"
    assert secret_decrypt(created.secret_encrypted) == "client-secret-Xy"

    assert client.post(f"/identity/providers/{created.pk}/delete/").status_code == 302
    assert not IdentityProvider.objects.exists()


def test_provider_page_refuses_incomplete_ldap_settings(client, platform_admin, unit):
    client.force_login(platform_admin)
    response = client.post(
        "/identity/providers/new/",
        {
            "unit": unit.pk, "display_name": "LDAP", "protocol": "ldap", "server_url": "ldap://ldap.btu.example.edu.cn",
            "timeout_seconds": 10, "cas_version": "3", "ldap_tls": "none", "ldap_bind_mode": "direct",
            "ldap_user_dn_template": "uid=fixed,dc=btu", "oidc_scopes": "openid",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "The DN template must contain {username}." in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_admin_registers_a_provider_with_an_encrypted_secret(client, platform_admin, unit):
    client.force_login(platform_admin)
    assert client.get("/admin/identity/identityprovider/add/").status_code == 200
    response = client.post(
        "/admin/identity/identityprovider/add/",
        {
            "unit": unit.pk, "display_name": "目录", "display_name_en": "Directory", "protocol": "ldap",
            "enabled": "on", "server_url": "ldap://ldap.btu.example.edu.cn", "timeout_seconds": 5,
            "cas_version": "3", "ldap_tls": "start_tls", "ldap_tls_verify": "on", "ldap_bind_mode": "search",
            "ldap_bind_dn": "cn=reader,dc=btu", "ldap_search_base": "dc=btu", "ldap_search_filter": "(uid={username})",
            "oidc_scopes": "openid", "secret": "reader-secret", "attribute_map": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    created = IdentityProvider.objects.get()
    assert secret_decrypt(created.secret_encrypted) == "reader-secret"
    assert "reader-secret" not in client.get(f"/admin/identity/identityprovider/{created.pk}/change/").content.decode()
    assert client.get("/admin/identity/signinevent/").status_code == 200
