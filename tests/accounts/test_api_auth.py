"""Accounts API: register, token, logout, me; tokens work on other endpoints."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken

from instruments.models import Membership
from tests.errors import error_fields, error_messages
from tests.factories import TEST_PASSWORD, MembershipFactory, UnitFactory, UserFactory

User = get_user_model()
REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_ALL = "/api/v1/auth/logoutall/"
ME = "/api/v1/auth/me/"
GOOD = {"username": "marie", "email": "marie@example.org", "password": "radium-and-polonium-1898"}


@pytest.mark.django_db
def test_register_creates_user(api_client):
    response = api_client.post(REGISTER, GOOD, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "username", "email", "pending_email", "detail"}
    assert (body["username"], body["email"], body["pending_email"]) == ("marie", "", "marie@example.org")
    user = User.objects.get(username="marie")
    assert user.check_password(GOOD["password"])
    assert user.password != GOOD["password"]
    assert not user.is_staff


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "12345678"}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "password"}, "password"),
        ({"password": "marie123"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"username": ""}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"username": ["a", "b"]}, "username"),
        ({"password": 12345}, "password"),
    ],
)
def test_register_refuses_bad_fields(api_client, changes, field):
    response = api_client.post(REGISTER, {**GOOD, **changes}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in error_fields(body)
    assert error_messages(body, field)[0]
    assert body["detail"]
    assert User.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_refuses_missing_field(api_client, missing):
    payload = {key: value for key, value in GOOD.items() if key != missing}
    response = api_client.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    assert missing in error_fields(response.json())
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_register_refuses_taken_username(api_client):
    UserFactory(username="Marie", email="other@example.org")
    response = api_client.post(REGISTER, {**GOOD, "email": "OTHER@example.org"}, format="json")
    assert response.status_code == 400
    assert "already exists" in error_messages(response.json(), "username")[0]
    assert error_fields(response.json()) == {"username"}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_register_refuses_malformed_json(api_client):
    response = api_client.post(REGISTER, '{"username": "marie",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    response = api_client.post(REGISTER, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_token_obtain_returns_hashed_expiring_token(api_client, user):
    response = api_client.post(TOKEN, {"username": user.username, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    stored = AuthToken.objects.get(user=user)
    assert stored.digest != body["token"]
    assert body["token"] not in stored.digest
    assert stored.expiry > timezone.now() + timedelta(hours=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"username": "nobody", "password": TEST_PASSWORD},
        {"username": "USER", "password": "wrong-password"},
    ],
)
def test_token_obtain_refuses_wrong_credentials(api_client, user, payload):
    payload = {**payload, "username": user.username if payload["username"] == "USER" else payload["username"]}
    response = api_client.post(TOKEN, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert "username and password" in response.json()["detail"]
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_token_obtain_refuses_inactive_user_and_missing_fields(api_client):
    inactive = UserFactory(is_active=False)
    response = api_client.post(TOKEN, {"username": inactive.username, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 400
    response = api_client.post(TOKEN, {"username": inactive.username}, format="json")
    assert response.status_code == 400
    assert "password" in error_fields(response.json())
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_token_obtain_enforces_limit_per_user(api_client, user, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    for _ in range(2):
        assert api_client.post(TOKEN, {"username": user.username, "password": TEST_PASSWORD}).status_code == 200
    response = api_client.post(TOKEN, {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert AuthToken.objects.filter(user=user).count() == 2


def _token_for(api_client, user) -> str:
    response = api_client.post(TOKEN, {"username": user.username, "password": TEST_PASSWORD}, format="json")
    return response.json()["token"]


@pytest.mark.django_db
def test_token_works_on_other_endpoints_and_logout_revokes_it(api_client, user, unit):
    token = _token_for(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(ME).json()["username"] == user.username
    # A write on another app's endpoint authenticates with the token (the unit API).
    response = api_client.patch(f"/api/v1/units/{unit.pk}/", {"address": "x"}, format="json")
    assert response.status_code == 403  # authenticated, but not this unit's admin
    assert api_client.post(LOGOUT).status_code == 204
    assert AuthToken.objects.filter(user=user).count() == 0
    assert api_client.get(ME).status_code == 401


@pytest.mark.django_db
def test_token_expired_is_refused(api_client, user):
    token = _token_for(api_client, user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(ME).status_code == 401


@pytest.mark.django_db
def test_token_garbage_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get(ME).status_code == 401


@pytest.mark.django_db
def test_logout_all_revokes_every_token(api_client, user):
    first = _token_for(api_client, user)
    _token_for(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api_client.post(LOGOUT_ALL).status_code == 204
    assert AuthToken.objects.filter(user=user).count() == 0


@pytest.mark.django_db
def test_logout_needs_a_token(api_client, user):
    assert api_client.post(LOGOUT).status_code == 401
    api_client.force_login(user)
    # A browser session has no token to revoke: the endpoint accepts only token authentication.
    assert api_client.post(LOGOUT).status_code in {401, 403}


@pytest.mark.django_db
def test_me_anonymous_is_refused(api_client):
    assert api_client.get(ME).status_code in {401, 403}


@pytest.mark.django_db
def test_me_lists_units_and_roles_in_fixed_queries(api_client, django_assert_num_queries):
    user = UserFactory(is_staff=True)
    pending = UnitFactory(name="A pending", status="pending")
    verified = UnitFactory(name="B verified")
    MembershipFactory(user=user, unit=pending, role=Membership.Role.ADMIN)
    MembershipFactory(user=user, unit=verified, role=Membership.Role.MANAGER)
    api_client.force_authenticate(user)
    with django_assert_num_queries(1):
        response = api_client.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["is_platform_admin"] is True
    assert body["units"] == [
        {"id": pending.pk, "name": pending.display_name, "status": "pending", "role": "admin"},
        {"id": verified.pk, "name": verified.display_name, "status": "verified", "role": "manager"},
    ]
