"""Fixtures for the contract tests: partner keys with chosen scopes, an Api-Key client."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from partners.models import Partner, Scope
from partners.services import partner_key_issue

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Partner throttle counters live in the cache; ids repeat across tests on SQLite."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key_client(db):
    """key_client(scopes) -> an APIClient sending `Authorization: Api-Key <key>` for a new partner key."""

    def make(scopes=None) -> APIClient:
        partner = Partner.objects.get_or_create(name="Contract Test Partner")[0]
        _key, raw = partner_key_issue(
            partner=partner, name="contract", scopes=ALL_SCOPES if scopes is None else scopes, expires_at=None
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        return client

    return make
