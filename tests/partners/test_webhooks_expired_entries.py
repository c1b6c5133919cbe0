"""list_entry.lifted for entries whose publication ran out (issue 18, last stop): credit's hourly expiry ends them with
a bulk update that sends no signal; the partners' hourly task announces them, signed, once, to the same partners as
any lifted entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from credit.models import ListEntry
from credit.tasks import expire_list_entries_task
from partners.models import WebhookDelivery
from partners.tasks import announce_expired_list_entries
from tests.credit.factories import ListEntryFactory
from tests.factories import UnitFactory

from .factories import user_body
from .receiver import receiver_start
from .test_webhooks import register, verify

pytestmark = pytest.mark.django_db
EVENTS = ["list_entry.published", "list_entry.lifted"]


@pytest.fixture
def receiver():
    receiver = receiver_start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def _ran_out(subject, *, ago: timedelta) -> ListEntry:
    """A published entry whose period ended `ago` (a published entry's dates are final: written so)."""
    now = timezone.now()
    return ListEntryFactory(
        subject=subject, status="published", published_at=now - timedelta(days=400), expires_at=now - ago,
        decided_at=now - timedelta(days=400),
    )  # fmt: skip


def test_expired_entries_announced_as_lifted_once_by_the_hourly_task(
    partner_api, other_partner_api, other_partner, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(partner_api, receiver.url, events=EVENTS)
    other = register(other_partner_api, receiver.url.replace("/hooks", "/other"), events=EVENTS)
    user_id = partner_api.post("/api/v1/partner/users/", user_body("stu-3"), format="json").json()["user_id"]
    unit = UnitFactory()
    with django_capture_on_commit_callbacks(execute=True):
        unit_entry = _ran_out(unit, ago=timedelta(hours=2))
        user_entry = _ran_out(get_user_model().objects.get(pk=user_id), ago=timedelta(minutes=5))
        long_ago = _ran_out(UnitFactory(), ago=timedelta(days=9))  # before the lookback: not announced
    published = WebhookDelivery.objects.filter(event="list_entry.published").count()

    # Published still (credit's expiry has not run): nothing to lift yet.
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_expired_list_entries.delay().get() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_list_entries_task.delay().get() == 3
    assert WebhookDelivery.objects.filter(event="list_entry.lifted").count() == 0  # the bulk update sends nothing

    with django_capture_on_commit_callbacks(execute=True):
        assert announce_expired_list_entries.delay().get() == 2
    lifted = WebhookDelivery.objects.filter(event="list_entry.lifted")
    assert {(d.endpoint_id, d.event_id, d.status) for d in lifted} == {
        (endpoint["id"], f"list-entry:{unit_entry.pk}:expired", "succeeded"),
        (other["id"], f"list-entry:{unit_entry.pk}:expired", "succeeded"),  # units: every subscriber
        (endpoint["id"], f"list-entry:{user_entry.pk}:expired", "succeeded"),  # users: their partner only
    }
    (received,) = [r for r in receiver.received if r.headers["x-webhook-id"] == f"list-entry:{user_entry.pk}:expired"]
    user_payload = verify(endpoint["secret"], received)
    assert user_payload["type"] == "list_entry.lifted"
    assert user_payload["data"]["entry"]["status"] == "expired"
    assert user_payload["data"]["entry"]["ended_at"] == user_payload["data"]["entry"]["expires_at"]
    assert user_payload["data"]["subject"] == {"type": "user", "id": user_id, "external_id": "stu-3"}
    assert not WebhookDelivery.objects.filter(event_id=f"list-entry:{long_ago.pk}:expired").exists()

    # Idempotent: the next hour announces nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_expired_list_entries.delay().get() == 0
    assert WebhookDelivery.objects.filter(event="list_entry.lifted").count() == 3
    assert WebhookDelivery.objects.filter(event="list_entry.published").count() == published
