"""Catalogue and public credit reads: open to everyone; a partner key must hold the read scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import Scope
from tests.credit.factories import ListEntryFactory

CATALOGUE = ["/api/v1/instruments/", "/api/v1/categories/", "/api/v1/stats/", "/api/v1/regions/"]
CREDIT = ["/api/v1/credit/lists/red/", "/api/v1/credit/lists/black/"]


def _credit_subject_urls(user, unit) -> list[str]:
    """A person's credit is public only through their published list entries (issue 12.6): list them."""
    now = timezone.now()
    ListEntryFactory(
        subject=user, status="published", published_at=now - timedelta(days=1), expires_at=now + timedelta(days=30)
    )
    return [f"/api/v1/credit/users/{user.pk}/", f"/api/v1/credit/units/{unit.pk}/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", CATALOGUE)
def test_public_reads_catalogue_with_catalogue_key_is_200(key_client, instrument, url):
    assert key_client([Scope.CATALOGUE_READ]).get(url).status_code == 200


@pytest.mark.django_db
def test_public_reads_catalogue_detail_with_catalogue_key_is_200(key_client, instrument):
    response = key_client([Scope.CATALOGUE_READ]).get(f"/api/v1/instruments/{instrument.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == instrument.pk


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*CATALOGUE, "/api/v1/instruments/{instrument}/"])
def test_public_reads_catalogue_without_scope_is_403_naming_it(key_client, instrument, url):
    response = key_client([Scope.CREDIT_READ, Scope.BOOKINGS_WRITE]).get(url.format(instrument=instrument.pk))
    assert response.status_code == 403
    assert response.json()["code"] == "missing_scope"
    assert "catalogue:read" in response.json()["detail"]


@pytest.mark.django_db
def test_public_reads_credit_with_credit_key_is_200(key_client, user, unit):
    client = key_client([Scope.CREDIT_READ])
    for url in [*CREDIT, *_credit_subject_urls(user, unit)]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_public_reads_credit_without_scope_is_403_naming_it(key_client, user, unit):
    client = key_client([Scope.CATALOGUE_READ, Scope.CREDIT_REPORT])
    for url in [*CREDIT, *_credit_subject_urls(user, unit)]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "credit:read" in response.json()["detail"], url


@pytest.mark.django_db
def test_public_reads_unknown_key_is_401_not_anonymous(instrument):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key nope.nothing")
    for url in [*CATALOGUE, *CREDIT]:
        assert client.get(url).status_code == 401, url


@pytest.mark.django_db
def test_public_reads_anonymous_session_and_token_unchanged(api_client, client, user, unit, instrument):
    urls = [*CATALOGUE, *CREDIT, *_credit_subject_urls(user, unit)]
    for url in urls:
        assert api_client.get(url).status_code == 200, url  # anonymous
    client.force_login(user)
    for url in urls:
        assert client.get(url).status_code == 200, url  # session
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "x"}, format="json"
    )  # wrong password: the token route still answers in the error shape
    assert token.status_code == 400
    api_client.force_authenticate(user)
    for url in urls:
        assert api_client.get(url).status_code == 200, url  # token (forced)


@pytest.mark.django_db
def test_public_reads_key_cannot_write_the_catalogue(key_client, unit):
    response = key_client().post("/api/v1/instruments/", {"unit": unit.pk, "name": "X"}, format="json")
    assert response.status_code in {401, 403}
