"""/api/v1/identity-providers/: platform admins only; secrets write-only and encrypted; bad input changes nothing."""

from __future__ import annotations

import pytest

from identity.models import ExternalIdentity, IdentityProvider
from sharing_platform.secret_box import secret_decrypt
from tests.factories import MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/identity-providers/"


def ldap_payload(unit, **extra) -> dict:
    return {
        "unit": unit.pk,
        "display_name": "包头大学目录",
        "display_name_en": "Baotou University directory",
        "protocol": "ldap",
        "server_url": "ldaps://ldap.btu.example.edu.cn",
        "ldap_tls": "ldaps",
        "ldap_bind_mode": "search",
        "ldap_bind_dn": "cn=reader,dc=btu",
        "ldap_search_base": "ou=people,dc=btu",
        "ldap_search_filter": "(uid={username})",
        "attribute_map": {"staff_number": "employeeNumber"},
        **extra,
    }


@pytest.mark.parametrize("who", ["anonymous", "member", "unit_admin"])
def test_api_identity_providers_refuse_everyone_but_platform_admins(api_client, unit, who):
    provider = IdentityProvider.objects.create(
        unit=unit, display_name="CAS", protocol="cas", server_url="https://cas.example.edu.cn/cas/"
    )
    if who != "anonymous":
        role = "admin" if who == "unit_admin" else "member"
        api_client.force_authenticate(MembershipFactory(unit=unit, role=role).user)
    expected = {401, 403} if who == "anonymous" else {403}
    assert api_client.get(URL).status_code in expected
    assert api_client.post(URL, ldap_payload(unit), format="json").status_code in expected
    assert api_client.patch(f"{URL}{provider.pk}/", {"enabled": False}, format="json").status_code in expected
    assert api_client.delete(f"{URL}{provider.pk}/").status_code in expected
    provider.refresh_from_db()
    assert provider.enabled
    assert IdentityProvider.objects.count() == 1


def test_api_identity_provider_create_stores_the_secret_encrypted_and_never_returns_it(
    api_client, platform_admin, unit
):
    api_client.force_authenticate(platform_admin)
    response = api_client.post(URL, ldap_payload(unit, secret="reader-pw-S3cret"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_secret"] is True
    assert "secret" not in body
    assert "reader-pw-S3cret" not in response.content.decode()
    assert body["secret_env_var"] == ""
    provider = IdentityProvider.objects.get(pk=body["id"])
    assert "reader-pw-S3cret" not in provider.secret_encrypted
    assert secret_decrypt(provider.secret_encrypted) == "reader-pw-S3cret"
    assert provider.secret() == "reader-pw-S3cret"
    assert provider.attribute("staff_number") == "employeeNumber"
    assert provider.attribute("user_id") == "uid"  # the protocol's default
    detail = api_client.get(f"{URL}{provider.pk}/")
    assert "reader-pw-S3cret" not in detail.content.decode()
    assert detail.json()["name"] == "Baotou University directory"


def test_api_identity_provider_patch_switches_the_secret_to_an_environment_variable(
    api_client, platform_admin, unit, monkeypatch
):
    api_client.force_authenticate(platform_admin)
    created = api_client.post(URL, ldap_payload(unit, secret="first"), format="json").json()
    response = api_client.patch(
        f"{URL}{created['id']}/", {"secret_env_var": "BTU_LDAP_PASSWORD", "enabled": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    provider = IdentityProvider.objects.get(pk=created["id"])
    assert provider.secret_encrypted == ""
    assert not provider.enabled
    monkeypatch.setenv("BTU_LDAP_PASSWORD", "from-the-environment")
    assert provider.secret() == "from-the-environment"
    both = api_client.patch(f"{URL}{provider.pk}/", {"secret": "x", "secret_env_var": "OTHER"}, format="json")
    assert both.status_code == 400
    provider.refresh_from_db()
    assert provider.secret_env_var == "BTU_LDAP_PASSWORD"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ldap_search_filter": "(uid=someone)"}, "ldap_search_filter"),
        ({"server_url": "https://not-ldap.example"}, "server_url"),
        ({"ldap_tls": "start_tls"}, "ldap_tls"),  # an ldaps:// address with StartTLS
        ({"attribute_map": {"shoe_size": "x"}}, "attribute_map"),
        ({"secret_env_var": "lower-case"}, "secret_env_var"),
        ({"protocol": "saml"}, "protocol"),
        ({"unit": 999999}, "unit"),
    ],
)
def test_api_identity_provider_bad_input_is_refused_and_nothing_is_created(
    api_client, platform_admin, unit, change, field
):
    api_client.force_authenticate(platform_admin)
    response = api_client.post(URL, ldap_payload(unit) | change, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field, response.json()
    assert not IdentityProvider.objects.exists()


def test_api_identity_provider_oidc_needs_a_client_id_and_openid_scope(api_client, platform_admin, unit):
    api_client.force_authenticate(platform_admin)
    payload = {"unit": unit.pk, "display_name": "OIDC", "protocol": "oidc", "server_url": "https://id.example.edu.cn"}
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "oidc_client_id"
    response = api_client.post(URL, payload | {"oidc_client_id": "x", "oidc_scopes": "email"}, format="json")
    assert response.json()["field"] == "oidc_scopes"
    assert not IdentityProvider.objects.exists()


def test_api_identity_provider_in_use_cannot_be_deleted_or_change_protocol(api_client, platform_admin, unit):
    api_client.force_authenticate(platform_admin)
    provider = IdentityProvider.objects.create(
        unit=unit, display_name="CAS", protocol="cas", server_url="https://cas.example.edu.cn/cas/"
    )
    ExternalIdentity.objects.create(provider=provider, external_id="zhang.san", user=UserFactory())
    response = api_client.delete(f"{URL}{provider.pk}/")
    assert response.status_code == 409
    assert "Disable it instead" in response.json()["detail"]
    changed = api_client.patch(f"{URL}{provider.pk}/", {"protocol": "oidc", "oidc_client_id": "x"}, format="json")
    assert changed.status_code == 409
    assert IdentityProvider.objects.get(pk=provider.pk).protocol == "cas"
    unused = IdentityProvider.objects.create(
        unit=unit, display_name="Old", protocol="cas", server_url="https://old.example.edu.cn/cas/"
    )
    assert api_client.delete(f"{URL}{unused.pk}/").status_code == 204
    assert api_client.get(f"{URL}{unused.pk}/").status_code == 404


def test_api_identity_provider_list_query_count_is_constant(api_client, platform_admin, django_assert_num_queries):
    api_client.force_authenticate(platform_admin)

    made = set()

    def add(n):
        for i in range(n):
            made.add(IdentityProvider.objects.create(
                unit=UnitFactory(), display_name=f"CAS {i}", protocol="cas", server_url="https://cas.example/cas/"
            ).pk)  # fmt: skip

    def listed():
        response = api_client.get(URL)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    add(2)
    with django_assert_num_queries(1):  # the page with its units (a short page needs no count)
        assert listed() == made
    add(8)
    with django_assert_num_queries(1):
        assert listed() == made
    assert len(made) == 10


def test_api_identity_provider_production_refuses_plain_http(api_client, platform_admin, unit, settings):
    settings.IDENTITY_ALLOW_INSECURE_URLS = False
    api_client.force_authenticate(platform_admin)
    payload = {"unit": unit.pk, "display_name": "CAS", "protocol": "cas", "server_url": "http://cas.example.edu.cn/"}
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "https://" in response.json()["detail"]
    assert (
        api_client.post(URL, payload | {"server_url": "https://cas.example.edu.cn/"}, format="json").status_code == 201
    )
