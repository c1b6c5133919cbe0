"""CAS sign-in against the real test CAS server (django-mama-cas in its own process): CAS 3.0 and 2.0,
accounts keyed by (provider, user id), unit membership, and every bad input."""

from __future__ import annotations

import time

import pytest
import requests
from django.contrib.auth import get_user_model

from identity.models import ExternalIdentity, IdentityProvider, Person, SignInEvent
from instruments.models import Membership

from .conftest import assert_refused, counts
from .factories import cas_provider
from .flows import idp_sign_in, local_path, query_value
from .servers import idp_start

pytestmark = pytest.mark.django_db


def cas_round_trip(client, idp, provider, username, password):
    """Start at the platform, sign in at the CAS server, come back: the callback's response."""
    start = client.get(f"/accounts/sso/{provider.pk}/start/")
    assert start.status_code == 302
    assert start["Location"].startswith(f"{idp.cas_url}login?service=")
    back = idp_sign_in(idp, start["Location"], username, password)
    assert back.startswith("http://testserver/accounts/cas/callback/?provider=")
    return client.get(local_path(back)), query_value(back, "ticket")


@pytest.mark.parametrize("version", ["3", "2"])
def test_cas_sign_in_creates_the_person_in_the_unit_and_finds_them_next_time(client, idp_server, sign_in_log, version):
    provider = cas_provider(idp_server, cas_version=version)

    response, _ticket = cas_round_trip(client, idp_server, provider, "zhang.san", "campus-pass-1")

    assert response.status_code == 302
    assert response["Location"] == "/"
    identity = ExternalIdentity.objects.select_related("user").get(provider=provider, external_id="zhang.san")
    user = identity.user
    assert int(client.session["_auth_user_id"]) == user.pk
    assert user.email == "zhang.san@btu.example.edu.cn"
    assert user.first_name == "张三"
    assert not user.has_usable_password()
    assert (identity.staff_number, identity.department) == ("BT2026001", "物理学院")
    assert Membership.objects.get(user=user, unit=provider.unit).role == Membership.Role.MEMBER
    person = Person.objects.get(accounts__user=user)
    assert person.verified_by == provider
    assert person.verified_at is not None
    assert SignInEvent.objects.filter(outcome=SignInEvent.Outcome.CREATED, user=user, provider=provider).exists()

    client.logout()
    before = counts()
    again, _ticket = cas_round_trip(client, idp_server, provider, "zhang.san", "campus-pass-1")
    assert again.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    assert counts() == before
    assert SignInEvent.objects.filter(outcome=SignInEvent.Outcome.SIGNED_IN, user=user).count() == 1


def test_cas_sign_in_without_automatic_membership_adds_no_membership(client, idp_server):
    provider = cas_provider(idp_server, auto_membership=False)
    response, _ticket = cas_round_trip(client, idp_server, provider, "li.si", "campus-pass-2")
    assert response.status_code == 302
    user = ExternalIdentity.objects.get(provider=provider, external_id="li.si").user
    assert not Membership.objects.filter(user=user).exists()
    assert Person.objects.get(accounts__user=user).verified_by == provider


def test_cas_sign_in_keeps_an_existing_role_in_the_unit(client, idp_server):
    provider = cas_provider(idp_server)
    _response, _ticket = cas_round_trip(client, idp_server, provider, "chen.qi", "campus-pass-5")
    user = ExternalIdentity.objects.get(provider=provider).user
    Membership.objects.filter(user=user).update(role=Membership.Role.ADMIN)
    client.logout()
    cas_round_trip(client, idp_server, provider, "chen.qi", "campus-pass-5")
    assert Membership.objects.get(user=user).role == Membership.Role.ADMIN


def test_cas_forged_ticket_is_refused(client, idp_server, sign_in_log):
    provider = cas_provider(idp_server)
    client.get(f"/accounts/sso/{provider.pk}/start/")
    before = counts()
    response = client.get(f"/accounts/cas/callback/?provider={provider.pk}&ticket=ST-1-forgedforgedforgedforged-cas")
    assert_refused(
        client,
        response,
        code="ticket_invalid",
        message="did not accept the sign-in ticket: it is forged, already used or expired",
        before=before,
        caplog=sign_in_log,
    )
    assert "INVALID_TICKET" in SignInEvent.objects.get(code="ticket_invalid").detail


def test_cas_replayed_ticket_is_refused(client, idp_server, sign_in_log):
    provider = cas_provider(idp_server)
    response, ticket = cas_round_trip(client, idp_server, provider, "zhao.liu", "campus-pass-4")
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")
    client.logout()
    client.get(f"/accounts/sso/{provider.pk}/start/")
    before = counts()
    replay = client.get(f"/accounts/cas/callback/?provider={provider.pk}&ticket={ticket}")
    assert_refused(
        client,
        replay,
        code="ticket_invalid",
        message="forged, already used or expired",
        before=before,
        caplog=sign_in_log,
    )


def test_cas_expired_ticket_is_refused(client, idp_server, sign_in_log, tmp_path):
    # The same test university, its tickets living one second (a copy of the prepared server).
    short_lived = idp_start(tmp_path / "idp-short", ticket_expire=1, copy_of=idp_server)
    try:
        provider = cas_provider(short_lived)
        start = client.get(f"/accounts/sso/{provider.pk}/start/")
        back = idp_sign_in(short_lived, start["Location"], "zhang.san", "campus-pass-1")
        time.sleep(2.5)
        before = counts()
        response = client.get(local_path(back))
        assert_refused(
            client,
            response,
            code="ticket_invalid",
            message="forged, already used or expired",
            before=before,
            caplog=sign_in_log,
        )
        assert "expired" in SignInEvent.objects.get(code="ticket_invalid").detail.lower()
    finally:
        short_lived.stop()


def test_cas_answer_without_a_user_id_is_refused(client, idp_server, sign_in_log):
    # This provider names people by staff number; wang.wu has none in the directory.
    provider = cas_provider(idp_server, attribute_map={"user_id": "employeeNumber"})
    start = client.get(f"/accounts/sso/{provider.pk}/start/")
    back = idp_sign_in(idp_server, start["Location"], "wang.wu", "campus-pass-3")
    before = counts()
    response = client.get(local_path(back))
    assert_refused(
        client,
        response,
        code="no_user_id",
        message="did not say who you are (no user id in its answer)",
        before=before,
        caplog=sign_in_log,
    )


def test_cas_disabled_provider_is_refused_at_the_start_and_at_the_callback(client, idp_server, sign_in_log):
    provider = cas_provider(idp_server, enabled=False)
    before = counts()
    response = client.get(f"/accounts/sso/{provider.pk}/start/")
    assert_refused(
        client, response, code="provider_disabled", message="is turned off on this platform", before=before,
        caplog=sign_in_log,
    )  # fmt: skip

    # Disabled while the person was at the CAS server: the ticket is not even validated.
    IdentityProvider.objects.filter(pk=provider.pk).update(enabled=True)
    start = client.get(f"/accounts/sso/{provider.pk}/start/")
    back = idp_sign_in(idp_server, start["Location"], "zhang.san", "campus-pass-1")
    IdentityProvider.objects.filter(pk=provider.pk).update(enabled=False)
    response = client.get(local_path(back))
    assert_refused(
        client, response, code="provider_disabled", message="is turned off on this platform", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_cas_callback_nobody_here_started_is_refused(client, idp_server, sign_in_log):
    """Login CSRF: a ticket obtained by someone else and sent to this browser does not sign it in."""
    provider = cas_provider(idp_server)
    other_browser = client.__class__()
    start = other_browser.get(f"/accounts/sso/{provider.pk}/start/")
    back = idp_sign_in(idp_server, start["Location"], "li.si", "campus-pass-2")
    before = counts()
    response = client.get(local_path(back))
    assert_refused(
        client, response, code="no_pending_sign_in", message="was not started from this browser", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_cas_account_linked_to_another_provider_is_refused(client, idp_server, sign_in_log):
    first = cas_provider(idp_server)
    cas_round_trip(client, idp_server, first, "sun.ba", "campus-pass-6")
    client.logout()
    # Another unit registers the same CAS server: same e-mail, but the account is already linked to the first.
    second = cas_provider(idp_server, display_name="第二个", display_name_en="Second provider")
    start = client.get(f"/accounts/sso/{second.pk}/start/")
    back = idp_sign_in(idp_server, start["Location"], "sun.ba", "campus-pass-6")
    before = counts()
    response = client.get(local_path(back))
    assert_refused(
        client,
        response,
        code="linked_to_another_provider",
        message="is already linked to Baotou University CAS",
        before=before,
        caplog=sign_in_log,
    )


def test_cas_server_down_is_refused(client, idp_server, sign_in_log):
    from .servers import free_port

    provider = cas_provider(idp_server, server_url=f"http://127.0.0.1:{free_port()}/cas/")
    client.get(f"/accounts/sso/{provider.pk}/start/")
    before = counts()
    response = client.get(f"/accounts/cas/callback/?provider={provider.pk}&ticket=ST-1-anything")
    assert_refused(
        client, response, code="server_unreachable", message="cannot be reached right now", before=before,
        caplog=sign_in_log,
    )  # fmt: skip


def test_cas_single_log_out_request_for_an_unknown_ticket_changes_nothing(client, idp_server):
    provider = cas_provider(idp_server)
    body = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="x" Version="2.0" IssueInstant="2026-11-25T10:00:00Z">'
        "<saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>ST-unknown</samlp:SessionIndex></samlp:LogoutRequest>"
    )
    response = client.post(f"/accounts/cas/callback/?provider={provider.pk}", {"logoutRequest": body})
    assert response.status_code == 200
    assert not SignInEvent.objects.filter(outcome=SignInEvent.Outcome.LOGGED_OUT).exists()
    assert client.post(f"/accounts/cas/callback/?provider={provider.pk}", {"logoutRequest": "<oops"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_cas_single_log_out_from_the_server_ends_the_platform_session(live_server, idp_server):
    """Sign in over real HTTP, log out at the CAS server: it POSTs a log-out request that ends our session."""
    provider = cas_provider(idp_server)
    browser = requests.Session()  # one cookie jar for the platform (localhost) and the IdP (127.0.0.1)
    start = browser.get(f"{live_server.url}/accounts/sso/{provider.pk}/start/", allow_redirects=False, timeout=30)
    back = idp_sign_in(idp_server, start.headers["Location"], "zhang.san", "campus-pass-1", session=browser)
    assert back.startswith(live_server.url)
    assert browser.get(back, allow_redirects=False, timeout=30).status_code == 302
    me = browser.get(f"{live_server.url}/api/v1/auth/me/", timeout=30)
    assert me.status_code == 200
    assert me.json()["username"] == "zhang.san"

    logout = browser.get(f"{idp_server.cas_url}logout", timeout=30)
    assert logout.status_code == 200

    assert browser.get(f"{live_server.url}/api/v1/auth/me/", timeout=30).status_code in {401, 403}
    assert SignInEvent.objects.filter(outcome=SignInEvent.Outcome.LOGGED_OUT, provider=provider).exists()
    assert get_user_model().objects.filter(username="zhang.san").exists()  # the account stays, the session ended
