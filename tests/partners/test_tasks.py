"""Housekeeping tasks: old idempotency keys forgotten, lost deliveries resumed; beat rows exist."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from partners import tasks
from partners.models import IdempotencyRecord, WebhookDelivery, WebhookEndpoint

from .receiver import receiver_start


def test_purge_idempotency_records_keeps_recent(partner):
    now = timezone.now()
    IdempotencyRecord.objects.create(owner="partner:1", key="old", method="POST", path="/", request_hash="x",
                                     created_at=now - timedelta(hours=25))  # fmt: skip
    IdempotencyRecord.objects.create(owner="partner:1", key="new", method="POST", path="/", request_hash="x",
                                     created_at=now - timedelta(hours=1))  # fmt: skip
    assert tasks.purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_resume_webhook_deliveries_sends_overdue(partner, django_capture_on_commit_callbacks):
    receiver = receiver_start()
    try:
        endpoint = WebhookEndpoint.objects.create(partner=partner, url=receiver.url, events=["booking.state_changed"],
                                                  secret="whsec_x")  # fmt: skip
        overdue = WebhookDelivery.objects.create(endpoint=endpoint, event="booking.state_changed", event_id="a",
                                                 payload={"id": "a"}, status="retrying",
                                                 next_retry_at=timezone.now() - timedelta(hours=1))  # fmt: skip
        WebhookDelivery.objects.create(endpoint=endpoint, event="booking.state_changed", event_id="b",
                                       payload={"id": "b"}, status="retrying",
                                       next_retry_at=timezone.now() + timedelta(seconds=30))  # fmt: skip
        assert tasks.resume_webhook_deliveries() == 1
        overdue.refresh_from_db()
        assert overdue.status == "succeeded"
        assert len(receiver.received) == 1
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_beat_schedules_exist(db):
    names = set(PeriodicTask.objects.filter(task__startswith="partners.").values_list("task", flat=True))
    assert names == {
        "partners.tasks.purge_idempotency_records",
        "partners.tasks.resume_webhook_deliveries",
        "partners.tasks.announce_expired_list_entries",
    }
