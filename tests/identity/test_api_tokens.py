"""People who signed in through their institution have no password here: they get API tokens from their
session (POST /api/v1/auth/token/ with the CSRF token) or from the token page in the account menu."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from identity.models import IdentityProvider
from identity.protocols import ExternalProfile
from identity.services import external_sign_in
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def sso_user():
    provider = IdentityProvider.objects.create(
        unit=UnitFactory(), display_name="CAS", protocol="cas", server_url="https://cas.example.edu.cn/cas/"
    )
    user = external_sign_in(provider=provider, profile=ExternalProfile(external_id="zhang.san")).user
    assert not user.has_usable_password()
    return user


def _csrf_session(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/accounts/tokens/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client, token


def test_api_token_from_a_session_with_its_csrf_token(sso_user):
    client, csrf = _csrf_session(sso_user)
    response = client.post(TOKEN, content_type="application/json", data={}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    me = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["username"] == sso_user.username


def test_api_token_from_a_session_without_csrf_is_refused(sso_user):
    client, _csrf = _csrf_session(sso_user)
    response = client.post(TOKEN, content_type="application/json", data={})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not AuthToken.objects.filter(user=sso_user).exists()


def test_api_token_without_session_or_credentials_is_refused(api_client):
    response = api_client.post(TOKEN, {}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "username"
    assert not AuthToken.objects.exists()


def test_api_token_page_shows_a_new_token_once(client, sso_user):
    client.force_login(sso_user)
    assert "API tokens" in client.get("/").content.decode()  # in the account menu
    page = client.post("/accounts/tokens/")
    match = re.search(r'data-testid="new-api-token">([^<]+)<', page.content.decode())
    assert match
    assert APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {match.group(1)}").status_code == 200
    again = client.get("/accounts/tokens/").content.decode()
    assert match.group(1) not in again
    assert "You have 1 active token." in again


def test_api_token_page_needs_a_signed_in_person(client):
    response = client.post("/accounts/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not AuthToken.objects.exists()
