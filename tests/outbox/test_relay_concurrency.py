"""Two relays at once on PostgreSQL (FOR UPDATE SKIP LOCKED) publish every pending message exactly once."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from sharing_platform.outbox.models import OutboxMessage
from sharing_platform.outbox.services import outbox_relay
from tests.celery_processes import RedisServer, broker_configured

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 400


def _relay_in_thread(barrier: threading.Barrier, outcomes: list, errors: list) -> None:
    try:
        barrier.wait(timeout=30)
        outcomes.append(outbox_relay(batch_size=5))
    except Exception as exc:  # reported by the test below
        errors.append(exc)
    finally:
        connection.close()  # each thread has its own database connection


def test_outbox_two_concurrent_relays_never_publish_a_message_twice(tmp_path):
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(task_name="credit.tasks.recompute_subject_task", args=[f"user:{n}"]) for n in range(MESSAGES)
    )
    server = RedisServer(tmp_path)
    server.start()
    try:
        with broker_configured(server.url):
            barrier = threading.Barrier(2)
            outcomes: list = []
            errors: list = []
            threads = [threading.Thread(target=_relay_in_thread, args=(barrier, outcomes, errors)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert errors == []
            queued = server.client().lrange("celery", 0, -1)
    finally:
        server.stop()

    assert sorted(outcome.sent for outcome in outcomes)[0] > 0  # both relays really took part...
    assert sum(outcome.sent for outcome in outcomes) == MESSAGES  # ...and between them sent each message once
    task_ids = [json.loads(raw)["headers"]["id"] for raw in queued]
    assert len(task_ids) == MESSAGES
    assert sorted(task_ids) == sorted(row.task_id for row in rows)
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert not OutboxMessage.objects.filter(dispatched_at=None).exists()
