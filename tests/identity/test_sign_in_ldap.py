"""LDAP sign-in against a real OpenLDAP slapd: bind as the user, search then bind, StartTLS and LDAPS,
and the bad inputs (refused bind, server down, wrong TLS, empty password, misconfigured service account)."""

from __future__ import annotations

import pytest

from identity.models import ExternalIdentity, IdentityProvider, Person
from instruments.models import Membership
from sharing_platform.secret_box import secret_encrypt

from .conftest import assert_refused, counts
from .factories import ldap_provider
from .servers import LDAP_READER_PASSWORD, free_port

pytestmark = pytest.mark.django_db


def ldap_post(client, provider, username, password, **extra):
    return client.post(
        "/accounts/ldap/login/", {"provider": provider.pk, "username": username, "password": password, **extra}
    )


def test_ldap_sign_in_page_offers_the_directory_form(client, slapd_server):
    provider = ldap_provider(slapd_server)
    page = client.get("/accounts/login/").content.decode()
    assert f'data-testid="sign-in-ldap-{provider.pk}"' in page
    assert "Sign in with Baotou University directory" in page


def test_ldap_bind_as_the_user_creates_the_account_and_finds_it_next_time(client, slapd_server):
    provider = ldap_provider(slapd_server)
    response = ldap_post(client, provider, "zhang.san", "campus-pass-1", next="/catalogue/")
    assert response.status_code == 302
    assert response["Location"] == "/catalogue/"
    identity = ExternalIdentity.objects.select_related("user").get(provider=provider, external_id="zhang.san")
    assert identity.user.email == "zhang.san@btu.example.edu.cn"
    assert (identity.display_name, identity.staff_number, identity.department) == ("张三", "BT2026001", "物理学院")
    assert Membership.objects.filter(user=identity.user, unit=provider.unit, role="member").exists()
    assert Person.objects.get(accounts__user=identity.user).verified_by == provider

    client.logout()
    before = counts()
    assert ldap_post(client, provider, "zhang.san", "campus-pass-1").status_code == 302
    assert int(client.session["_auth_user_id"]) == identity.user_id
    assert counts() == before


def test_ldap_search_then_bind_over_starttls_with_the_directory_ca(client, slapd_server):
    provider = ldap_provider(
        slapd_server,
        mode="search",
        ldap_tls=IdentityProvider.LdapTls.START_TLS,
        ldap_ca_certificate=slapd_server.ca_pem,
    )
    response = ldap_post(client, provider, "li.si", "campus-pass-2")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert ExternalIdentity.objects.get(provider=provider).external_id == "li.si"


def test_ldap_over_ldaps_with_the_directory_ca(client, slapd_server):
    provider = ldap_provider(
        slapd_server,
        server_url=slapd_server.ldaps_url,
        ldap_tls=IdentityProvider.LdapTls.LDAPS,
        ldap_ca_certificate=slapd_server.ca_pem,
    )
    assert ldap_post(client, provider, "zhao.liu", "campus-pass-4").status_code == 302
    assert ExternalIdentity.objects.filter(provider=provider, external_id="zhao.liu").exists()


def test_ldap_service_password_from_an_environment_variable(client, slapd_server, monkeypatch):
    monkeypatch.setenv("BTU_LDAP_READER_PASSWORD", LDAP_READER_PASSWORD)
    provider = ldap_provider(
        slapd_server, mode="search", secret_encrypted="", secret_env_var="BTU_LDAP_READER_PASSWORD"
    )
    assert ldap_post(client, provider, "chen.qi", "campus-pass-5").status_code == 302
    assert ExternalIdentity.objects.filter(provider=provider, external_id="chen.qi").exists()


def test_ldap_wrong_password_is_refused(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server)
    before = counts()
    response = ldap_post(client, provider, "zhang.san", "not-the-password")
    assert_refused(
        client, response, code="bind_refused", message="did not accept that username and password", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_ldap_unknown_person_in_search_mode_is_refused_like_a_wrong_password(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server, mode="search")
    before = counts()
    # A filter injection attempt finds nobody: {username} is escaped before it goes into the filter.
    response = ldap_post(client, provider, "*)(uid=*", "campus-pass-1")
    assert_refused(
        client, response, code="bind_refused", message="did not accept that username and password", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_ldap_empty_password_never_binds(client, slapd_server, sign_in_log):
    """An empty password would be an unauthenticated bind, which LDAP servers accept."""
    provider = ldap_provider(slapd_server)
    before = counts()
    response = ldap_post(client, provider, "zhang.san", "")
    assert_refused(
        client, response, code="credentials_missing", message="Enter your username and password.", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_ldap_server_down_is_refused(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server, server_url=f"ldap://127.0.0.1:{free_port()}", timeout_seconds=2)
    before = counts()
    response = ldap_post(client, provider, "zhang.san", "campus-pass-1")
    assert_refused(
        client, response, code="server_unreachable", message="cannot be reached right now", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_ldaps_with_an_untrusted_certificate_is_refused(client, slapd_server, sign_in_log):
    # No CA given: the system's trust store does not know the test university's CA.
    provider = ldap_provider(slapd_server, server_url=slapd_server.ldaps_url, ldap_tls=IdentityProvider.LdapTls.LDAPS)
    before = counts()
    response = ldap_post(client, provider, "zhang.san", "campus-pass-1")
    assert_refused(
        client, response, code="tls_failed", message="could not be reached securely", before=before, caplog=sign_in_log
    )


def test_ldap_service_account_refused_is_a_configuration_problem(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server, mode="search", secret_encrypted=secret_encrypt("wrong-reader-password"))
    before = counts()
    response = ldap_post(client, provider, "zhang.san", "campus-pass-1")
    assert_refused(
        client, response, code="provider_misconfigured", message="is not configured correctly", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_ldap_disabled_provider_is_refused(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server, enabled=False)
    before = counts()
    response = ldap_post(client, provider, "zhang.san", "campus-pass-1")
    assert_refused(
        client, response, code="provider_disabled", message="is turned off on this platform", before=before,
        caplog=sign_in_log,
    )  # fmt: skip
    assert f"sign-in-ldap-{provider.pk}" not in client.get("/accounts/login/").content.decode()


def test_ldap_answer_without_a_user_id_is_refused(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server, attribute_map={"user_id": "employeeNumber"})
    before = counts()
    response = ldap_post(client, provider, "wang.wu", "campus-pass-3")
    assert_refused(
        client, response, code="no_user_id", message="did not say who you are", before=before, caplog=sign_in_log
    )


def test_ldap_repeated_wrong_passwords_are_throttled(client, slapd_server, sign_in_log):
    provider = ldap_provider(slapd_server)
    for _attempt in range(10):
        ldap_post(client, provider, "li.si", "wrong")
    before = counts()
    response = ldap_post(client, provider, "li.si", "campus-pass-2")  # right, but too late
    assert_refused(
        client,
        response,
        code="too_many_attempts",
        message="Too many failed attempts",
        before=before,
        caplog=sign_in_log,
    )
