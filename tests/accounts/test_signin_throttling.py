"""Password guessing: failed sign-ins are throttled per account and per client address on every
sign-in path (API token, sign-in page, Django admin), with the real limits; admins unlock."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from tests.deploy.test_production_settings import production_env, run_python
from tests.factories import TEST_PASSWORD, AdminUserFactory, UserFactory

TOKEN = "/api/v1/auth/token/"
ACCOUNT_LIMIT = settings.SIGNIN_FAILURE_LIMITS["username"]
ADDRESS_LIMIT = settings.SIGNIN_FAILURE_LIMITS["ip_address"]


def token_attempt(client, username, password, address="198.51.100.7"):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def test_real_limits_are_sensible():
    """The limits the platform runs with (the tests below use these, not lowered ones)."""
    assert ACCOUNT_LIMIT == 10
    assert ADDRESS_LIMIT == 50
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


@pytest.mark.django_db
def test_api_token_locks_account_after_limit_then_cools_off(api_client):
    victim = UserFactory()
    for _attempt in range(ACCOUNT_LIMIT - 1):
        response = token_attempt(api_client, victim.username, "wrong-guess")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"
    locked = token_attempt(api_client, victim.username, "wrong-guess")
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "signin_locked"
    assert "15 minutes" in body["detail"]
    assert body["retry_after"] == 15 * 60
    assert locked["Retry-After"] == str(15 * 60)
    # Even the right password is refused now, from this address and from any other.
    assert token_attempt(api_client, victim.username, TEST_PASSWORD).status_code == 429
    assert token_attempt(api_client, victim.username, TEST_PASSWORD, address="203.0.113.9").status_code == 429
    assert AuthToken.objects.count() == 0
    # Another account from the same address is not affected (the address limit is higher).
    other = UserFactory()
    assert token_attempt(api_client, other.username, TEST_PASSWORD).status_code == 200
    # The cool-off counts from the last failure: 15 minutes later the right password works again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert token_attempt(api_client, victim.username, TEST_PASSWORD).status_code == 200


@pytest.mark.django_db
def test_api_token_locks_address_after_its_limit_across_accounts(api_client):
    """Guessing across many accounts from one address: each account stays under its limit, the address not."""
    account = UserFactory()
    for attempt in range(ADDRESS_LIMIT - 1):
        assert token_attempt(api_client, f"guess{attempt % 7}", "wrong").status_code == 400
    assert token_attempt(api_client, "guess-last", "wrong").status_code == 429
    assert token_attempt(api_client, account.username, TEST_PASSWORD).status_code == 429
    # The same account from another address signs in.
    assert token_attempt(api_client, account.username, TEST_PASSWORD, address="203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_successful_sign_in_forgets_only_own_failures_from_that_address(api_client):
    """An attacker signing in to their own account between guesses does not reset the address's count."""
    attacker = UserFactory()
    victim = UserFactory()
    for _attempt in range(ACCOUNT_LIMIT - 1):
        token_attempt(api_client, victim.username, "wrong")
    token_attempt(api_client, attacker.username, "typo")
    assert token_attempt(api_client, attacker.username, TEST_PASSWORD).status_code == 200
    assert not AccessAttempt.objects.filter(username=attacker.username).exists()
    assert AccessAttempt.objects.get(username=victim.username).failures_since_start == ACCOUNT_LIMIT - 1
    assert token_attempt(api_client, victim.username, "wrong").status_code == 429


@pytest.mark.django_db
def test_sign_in_page_locks_out_with_translated_message(client):
    victim = UserFactory()
    url = reverse("login")
    for _attempt in range(ACCOUNT_LIMIT - 1):
        response = client.post(url, {"username": victim.username, "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 200  # the form again, with its error
    response = client.post(url, {"username": victim.username, "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert response["Retry-After"] == str(15 * 60)
    response = client.post(
        url,
        {"username": victim.username, "password": TEST_PASSWORD},
        REMOTE_ADDR="198.51.100.7",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_sign_in_locks_out(client):
    admin = AdminUserFactory()
    url = reverse("admin:login")
    for _attempt in range(ACCOUNT_LIMIT - 1):
        response = client.post(url, {"username": admin.username, "password": "wrong", "next": "/admin/"})
        assert response.status_code == 200
    response = client.post(url, {"username": admin.username, "password": "wrong", "next": "/admin/"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    response = client.post(url, {"username": admin.username, "password": TEST_PASSWORD, "next": "/admin/"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def _lock(api_client, username, address="198.51.100.7"):
    for _attempt in range(ACCOUNT_LIMIT):
        token_attempt(api_client, username, "wrong", address=address)
    assert token_attempt(api_client, username, TEST_PASSWORD, address=address).status_code == 429


@pytest.mark.django_db
def test_platform_admin_unlocks_in_the_admin(api_client, client):
    victim = UserFactory()
    _lock(api_client, victim.username)
    admin = AdminUserFactory()
    client.force_login(admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert victim.username in page.content.decode()
    attempt_ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    confirm = client.post(changelist, {"action": "delete_selected", "_selected_action": attempt_ids, "post": "yes"})
    assert confirm.status_code == 302
    assert token_attempt(api_client, victim.username, TEST_PASSWORD).status_code == 200


@pytest.mark.django_db
def test_unlock_command_unlocks_one_account(api_client):
    victim, other = UserFactory(), UserFactory()
    _lock(api_client, victim.username)
    _lock(api_client, other.username, address="203.0.113.9")
    call_command("axes_reset_username", victim.username)
    assert token_attempt(api_client, victim.username, TEST_PASSWORD).status_code == 200
    assert token_attempt(api_client, other.username, TEST_PASSWORD, address="203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_client_address_behind_one_proxy_is_the_one_the_proxy_appended(api_client, settings):
    """With TRUSTED_PROXY_COUNT=1 (production: one TLS proxy), the right-most X-Forwarded-For entry is the
    client; entries a client writes itself further left cannot spread its guesses over many addresses."""
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(ADDRESS_LIMIT):
        response = api_client.post(
            TOKEN,
            {"username": f"guess{attempt}", "password": "wrong"},
            format="json",
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}, 198.51.100.7",  # forged left part, real client right
        )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    account = UserFactory()
    another_client = api_client.post(
        TOKEN,
        {"username": account.username, "password": TEST_PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert another_client.status_code == 200


@pytest.mark.django_db
def test_client_address_without_proxy_ignores_forwarded_header(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    api_client.post(
        TOKEN,
        {"username": "nobody", "password": "wrong"},
        format="json",
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


def test_production_trusts_one_proxy_by_default():
    """docker-compose.yml runs gunicorn behind one TLS-terminating proxy: DEBUG off trusts one, DRF alike."""
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print('proxies', s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    completed = run_python(code, production_env(LOG_FORMAT="plain"))
    assert completed.returncode == 0, completed.stderr
    assert "proxies 1 1" in completed.stdout
    completed = run_python(code, production_env(LOG_FORMAT="plain", TRUSTED_PROXY_COUNT="2"))
    assert "proxies 2 2" in completed.stdout
