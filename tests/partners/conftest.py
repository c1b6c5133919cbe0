"""Fixtures for partner API tests: partners, real keys (only the hash is stored), an Api-Key client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import Partner, Scope
from partners.services import partner_key_issue

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters live in the cache; ids repeat across tests on SQLite."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner(db):
    return Partner.objects.create(name="University Portal")


@pytest.fixture
def other_partner(db):
    return Partner.objects.create(name="City Platform")


@pytest.fixture
def issue_key(partner):
    """issue_key(scopes=[...], partner=..., expires_in=timedelta) -> (PartnerKey, raw key)."""

    def issue(scopes=None, *, for_partner=None, expires_in: timedelta | None = None):
        expires_at = timezone.now() + expires_in if expires_in else None
        return partner_key_issue(
            partner=for_partner or partner,
            name="test key",
            scopes=ALL_SCOPES if scopes is None else scopes,
            expires_at=expires_at,
        )

    return issue


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def partner_api(issue_key):
    """An APIClient carrying a key with every scope for `partner`."""
    _key, raw = issue_key()
    return key_client(raw)


@pytest.fixture
def other_partner_api(issue_key, other_partner):
    _key, raw = issue_key(for_partner=other_partner)
    return key_client(raw)
