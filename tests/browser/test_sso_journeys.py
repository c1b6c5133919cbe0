"""Institutional sign-on in Chromium, in English and in Simplified Chinese: a researcher signs in through
the test university's real CAS server and real OpenID Connect provider (tests/identity/idp), lands in
the unit, and is the same account next time; a mis-issued OIDC answer is refused on the sign-in page."""

from __future__ import annotations

import pytest

from identity.models import ExternalIdentity, SignInEvent
from instruments.models import Membership
from tests.identity.factories import cas_provider, oidc_provider

from .test_journeys import assert_language, translated

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sign_in_at_the_university(page, provider, username: str, password: str, idp_url: str) -> None:
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.locator(f"a[href^='/accounts/sso/{provider.pk}/start/']").click()
    assert page.url.startswith(idp_url), page.url  # the university's own sign-in page
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation(url=lambda url: not url.startswith(idp_url)):
        page.locator("form button[type=submit], form input[type=submit]").first.click()


def log_out(page) -> None:
    page.locator("[data-testid=nav-account] summary").click()
    with page.expect_navigation():
        page.locator("form[action='/accounts/logout/'] button").click()


def test_journey_cas_sign_in(page, live_server, idp_server, language, screenshot):
    provider = cas_provider(idp_server)
    sign_in_at_the_university(page, provider, "zhang.san", "campus-pass-1", idp_server.url)

    assert page.url == f"{live_server.url}/"
    assert_language(page, language)
    identity = ExternalIdentity.objects.select_related("user").get(provider=provider, external_id="zhang.san")
    welcome = translated(
        language, "Welcome, %(name)s. Your account was created from %(provider)s.",
        name="张三", provider=provider.display_name if language != "en" else provider.display_name_en,
    )  # fmt: skip
    assert welcome in page.locator("ul.messages").inner_text()
    assert page.locator("[data-testid=nav-account] summary").inner_text().strip() == identity.user.username
    assert Membership.objects.filter(user=identity.user, unit=provider.unit, role="member").exists()
    screenshot(page)

    # Logging out ends the platform session only; the university's CAS session still stands, so the
    # next sign-in comes straight back without a password (single sign-on), to the same account.
    log_out(page)
    page.goto("/accounts/login/")
    with page.expect_navigation(url=f"{live_server.url}/"):
        page.locator(f"a[href^='/accounts/sso/{provider.pk}/start/']").click()
    assert page.locator("[data-testid=nav-account] summary").inner_text().strip() == identity.user.username
    assert ExternalIdentity.objects.count() == 1
    assert SignInEvent.objects.filter(outcome="signed_in", user=identity.user).count() == 1


def test_journey_oidc_sign_in_and_a_forged_answer(page, live_server, idp_server, language, screenshot):
    idp_server.add_redirect_uri(f"{live_server.url}/accounts/oidc/callback/")
    provider = oidc_provider(idp_server)
    sign_in_at_the_university(page, provider, "li.si", "campus-pass-2", idp_server.url)

    assert page.url == f"{live_server.url}/"
    assert_language(page, language)
    identity = ExternalIdentity.objects.select_related("user").get(provider=provider, external_id="li.si")
    assert page.locator("[data-testid=nav-account] summary").inner_text().strip() == identity.user.username

    log_out(page)
    page.context.clear_cookies()  # another person at the university's sign-in page
    sign_in_at_the_university(page, provider, "mallory-aud", "campus-pass-7", idp_server.url)
    assert page.url == f"{live_server.url}/accounts/login/"
    name = provider.display_name if language != "en" else provider.display_name_en
    check = translated(language, "it was issued for another application (audience)")
    refusal = translated(
        language,
        "The answer from %(provider)s failed a security check: %(check)s. You were not signed in; start again.",
        provider=name,
        check=check,
    )
    assert refusal in page.locator("ul.messages").inner_text()
    assert not ExternalIdentity.objects.filter(external_id="mallory-aud").exists()
    screenshot(page)
