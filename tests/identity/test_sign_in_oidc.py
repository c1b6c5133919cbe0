"""OpenID Connect sign-in against a real provider (django-oidc-provider in its own process): code flow with
PKCE, and each forged or mis-issued answer (state, nonce, audience, issuer, signature) refused."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from identity.models import ExternalIdentity, Person, SignInEvent
from instruments.models import Membership
from tests.factories import TEST_PASSWORD, UserFactory

from .conftest import assert_refused, counts
from .factories import oidc_provider
from .flows import idp_sign_in, local_path, query_value
from .servers import free_port

pytestmark = pytest.mark.django_db


def oidc_round_trip(client, idp, provider, username, password, *, tamper=None):
    start = client.get(f"/accounts/sso/{provider.pk}/start/")
    assert start.status_code == 302, start
    back = idp_sign_in(idp, start["Location"], username, password)
    assert back.startswith("http://testserver/accounts/oidc/callback/?"), back
    path = local_path(back)
    if tamper:
        path = tamper(path)
    return start["Location"], client.get(path)


def test_oidc_sign_in_uses_pkce_and_creates_the_person_then_finds_them(client, idp_server):
    provider = oidc_provider(idp_server)
    authorize, response = oidc_round_trip(client, idp_server, provider, "zhang.san", "campus-pass-1")

    assert authorize.startswith(f"{idp_server.issuer}/authorize?")
    assert query_value(authorize, "code_challenge_method") == "S256"
    assert len(query_value(authorize, "code_challenge")) >= 43
    assert query_value(authorize, "nonce")
    assert query_value(authorize, "state")
    assert query_value(authorize, "scope") == "openid email profile"
    assert response.status_code == 302
    assert response["Location"] == "/"
    identity = ExternalIdentity.objects.select_related("user").get(provider=provider, external_id="zhang.san")
    assert identity.user.email == "zhang.san@btu.example.edu.cn"
    assert identity.display_name == "张三"
    assert int(client.session["_auth_user_id"]) == identity.user_id
    assert Membership.objects.filter(user=identity.user, unit=provider.unit).exists()
    assert Person.objects.get(accounts__user=identity.user).verified_by == provider

    client.logout()
    before = counts()
    _authorize, again = oidc_round_trip(client, idp_server, provider, "zhang.san", "campus-pass-1")
    assert again.status_code == 302
    assert int(client.session["_auth_user_id"]) == identity.user_id
    assert counts() == before


def test_oidc_wrong_state_is_refused(client, idp_server, sign_in_log):
    provider = oidc_provider(idp_server)
    before = counts()

    def other_state(path: str) -> str:
        state = query_value("http://x" + path, "state")
        return path.replace(f"state={state}", "state=forged-state-value")

    _authorize, response = oidc_round_trip(client, idp_server, provider, "li.si", "campus-pass-2", tamper=other_state)
    assert_refused(
        client,
        response,
        code="state_invalid",
        message="failed a security check: it belongs to another sign-in attempt (state)",
        before=before,
        caplog=sign_in_log,
    )


@pytest.mark.parametrize(
    ("username", "code", "words"),
    [
        ("mallory-nonce", "nonce_invalid", "its one-time value does not match this sign-in (nonce)"),
        ("mallory-aud", "aud_invalid", "it was issued for another application (audience)"),
        ("mallory-iss", "iss_invalid", "it was issued by another server (issuer)"),
        ("mallory-signature", "signature_invalid", "its signature does not verify against the provider's keys"),
    ],
)
def test_oidc_mis_issued_id_token_is_refused(client, idp_server, sign_in_log, username, code, words):
    provider = oidc_provider(idp_server)
    before = counts()
    _authorize, response = oidc_round_trip(client, idp_server, provider, username, "campus-pass-7")
    assert_refused(
        client, response, code=code, message=f"failed a security check: {words}", before=before, caplog=sign_in_log
    )


def test_oidc_wrong_client_secret_is_refused(client, idp_server, sign_in_log):
    provider = oidc_provider(idp_server, secret="not-the-client-secret")
    before = counts()
    _authorize, response = oidc_round_trip(client, idp_server, provider, "zhang.san", "campus-pass-1")
    assert_refused(
        client, response, code="provider_error", message="did not sign you in", before=before, caplog=sign_in_log
    )


def test_oidc_provider_down_is_refused(client, idp_server, sign_in_log):
    provider = oidc_provider(idp_server, server_url=f"http://127.0.0.1:{free_port()}/openid", timeout_seconds=2)
    before = counts()
    response = client.get(f"/accounts/sso/{provider.pk}/start/")
    assert_refused(
        client, response, code="server_unreachable", message="cannot be reached right now", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_oidc_existing_account_is_linked_only_after_its_password(client, idp_server, sign_in_log):
    provider = oidc_provider(idp_server)
    local = UserFactory(username="zhaoliu-local", email="zhao.liu@btu.example.edu.cn")
    before = counts()
    _authorize, response = oidc_round_trip(client, idp_server, provider, "zhao.liu", "campus-pass-4")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sso/link/"
    assert not client.session.get("_auth_user_id")
    page = client.get("/accounts/sso/link/").content.decode()
    assert "zhaoliu-local" in page
    assert "zhao.liu@btu.example.edu.cn" in page

    wrong = client.post("/accounts/sso/link/", {"password": "not-it"})
    assert wrong.status_code == 200
    assert "That is not the password of this account." in wrong.content.decode()
    assert counts() == before
    assert not client.session.get("_auth_user_id")
    assert SignInEvent.objects.filter(outcome="refused", code="wrong_password", user=local).exists()

    linked = client.post("/accounts/sso/link/", {"password": TEST_PASSWORD})
    assert linked.status_code == 302
    assert int(client.session["_auth_user_id"]) == local.pk
    assert ExternalIdentity.objects.get(provider=provider, external_id="zhao.liu").user == local
    assert Person.objects.get(accounts__user=local).verified_by == provider
    assert get_user_model().objects.count() == before["users"]

    client.logout()
    _authorize, again = oidc_round_trip(client, idp_server, provider, "zhao.liu", "campus-pass-4")
    assert again["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == local.pk


def test_oidc_link_can_be_cancelled_and_expires(client, idp_server, settings):
    provider = oidc_provider(idp_server)
    UserFactory(username="chenqi-local", email="chen.qi@btu.example.edu.cn")
    before = counts()
    oidc_round_trip(client, idp_server, provider, "chen.qi", "campus-pass-5")
    cancelled = client.post("/accounts/sso/link/", {"cancel": "1"})
    assert cancelled["Location"] == "/accounts/login/"
    assert client.post("/accounts/sso/link/", {"password": TEST_PASSWORD})["Location"] == "/accounts/login/"
    assert counts() == before

    settings.IDENTITY_LINK_TTL_SECONDS = -1
    oidc_round_trip(client, idp_server, provider, "chen.qi", "campus-pass-5")
    assert client.post("/accounts/sso/link/", {"password": TEST_PASSWORD})["Location"] == "/accounts/login/"
    assert counts() == before


def test_oidc_unverified_email_never_links_an_existing_account(client, idp_server):
    """The provider says email_verified: false: no link is offered; a separate account without that address."""
    provider = oidc_provider(idp_server)
    local = UserFactory(username="zhoujiu-local", email="zhou.jiu@btu.example.edu.cn")
    _authorize, response = oidc_round_trip(client, idp_server, provider, "unverified.mail", "campus-pass-8")
    assert response["Location"] == "/"
    identity = ExternalIdentity.objects.select_related("user").get(provider=provider)
    assert identity.user != local
    assert identity.user.email == ""
    assert identity.email == "zhou.jiu@btu.example.edu.cn"
    assert not ExternalIdentity.objects.filter(user=local).exists()
