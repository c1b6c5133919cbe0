"""Helpers shared by the sign-on tests: what a refusal must leave behind (only its audit row and log line)."""

from __future__ import annotations

import html
import logging

import pytest
from django.contrib.auth import get_user_model

from identity.models import ExternalIdentity, Person, PersonAccount, SignInEvent
from instruments.models import Membership


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "identities": ExternalIdentity.objects.count(),
        "people": Person.objects.count(),
        "accounts": PersonAccount.objects.count(),
        "memberships": Membership.objects.count(),
    }


@pytest.fixture
def sign_in_log(caplog):
    caplog.set_level(logging.INFO, logger="identity.sign_in")
    return caplog


def assert_refused(client, response, *, code: str, message: str, before: dict[str, int], caplog) -> None:
    """Back on the sign-in page with the message, nothing created, the refusal in the audit trail and the log."""
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/accounts/login/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert message in html.unescape(page.content.decode()), html.unescape(page.content.decode())[:3000]
    assert counts() == before
    event = SignInEvent.objects.filter(outcome=SignInEvent.Outcome.REFUSED).order_by("-pk").first()
    assert event is not None
    assert event.code == code, (event.code, event.detail)
    assert any(
        record.levelno == logging.WARNING and f"code={code}" in record.getMessage()
        for record in caplog.records
        if record.name == "identity.sign_in"
    )
    assert not client.session.get("_auth_user_id")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Failed-attempt counters live in the cache; each test starts without any."""
    from django.core.cache import cache

    cache.clear()
