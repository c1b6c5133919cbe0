"""Partners' credit.tier_changed webhooks ride on credit_score_changed: both recomputes send them."""

import hashlib
import hmac
import json

import pytest

from credit.models import CreditEvent
from credit.recompute import recompute_all, recompute_subject
from partners.models import WebhookDelivery
from tests.credit.factories import record
from tests.factories import UnitFactory
from tests.partners.conftest import issue_key, partner, partner_api  # noqa: F401 (fixtures)
from tests.partners.receiver import receiver_start

K = CreditEvent.Kind
WEBHOOKS = "/api/v1/webhooks/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    receiver = receiver_start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def endpoint(partner_api, receiver):  # noqa: F811
    response = partner_api.post(WEBHOOKS, {"url": receiver.url, "events": ["credit.tier_changed"]}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _payloads(endpoint, receiver) -> list[dict]:
    payloads = []
    for received in receiver.received:
        timestamp = received.headers["x-webhook-timestamp"]
        signed = f"{timestamp}.".encode() + received.body
        expected = hmac.new(endpoint["secret"].encode(), signed, hashlib.sha256).hexdigest()
        assert received.headers["x-webhook-signature"] == f"sha256={expected}"
        payloads.append(json.loads(received.body))
    return payloads


def _worsen(unit, count=12, start=0):
    for n in range(count):
        record(unit, K.PROVIDER_CANCELLATION, days_ago=n + 1, source_ref=f"booking:{start + n}")


def test_tier_changed_webhook_from_the_per_subject_recompute(endpoint, receiver, django_capture_on_commit_callbacks):
    unit = UnitFactory(accreditations=["CMA"])
    key = f"unit:{unit.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        first = recompute_subject(key)
    assert receiver.received == []  # a first snapshot has no previous tier
    _worsen(unit)
    with django_capture_on_commit_callbacks(execute=True):
        second = recompute_subject(key)
    assert second.tier != first.tier
    [payload] = _payloads(endpoint, receiver)
    assert payload["type"] == "credit.tier_changed"
    assert (payload["data"]["previous_tier"], payload["data"]["tier"]) == (first.tier, second.tier)
    assert payload["data"]["subject"]["id"] == unit.pk
    assert WebhookDelivery.objects.filter(event_id=f"credit-score:{second.pk}").count() == 1


def test_tier_changed_webhook_from_the_full_recompute(endpoint, receiver, django_capture_on_commit_callbacks):
    """A tier moved only by the nightly full run (no ledger listener ran) still reaches partners."""
    unit = UnitFactory(accreditations=["CMA"])
    with django_capture_on_commit_callbacks(execute=True):
        recompute_all()
    assert receiver.received == []
    _worsen(unit)  # outside on-commit capture: no per-subject recompute ran
    with django_capture_on_commit_callbacks(execute=True):
        recompute_all()
    payloads = _payloads(endpoint, receiver)
    assert [p["data"]["subject"]["id"] for p in payloads] == [unit.pk]


def test_score_change_within_a_tier_sends_no_webhook(endpoint, receiver, django_capture_on_commit_callbacks):
    unit = UnitFactory()
    key = f"unit:{unit.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        first = recompute_subject(key)
    # A light fact (half a late answer's weight): since model 2026.12-6 a whole one takes a fresh unit from "fair"
    # (660) to "poor" (595), a change of tier; this one moves the score within "fair".
    record(unit, K.RESPONSE_LATE, days_ago=1, source_ref="booking:1", weight=0.5)
    with django_capture_on_commit_callbacks(execute=True):
        second = recompute_subject(key)
    assert second.score != first.score
    assert second.tier == first.tier, (first.score, second.score)
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()
