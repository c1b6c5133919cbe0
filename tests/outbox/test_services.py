"""The outbox's own contract, in-process: written with the change, sent after commit, relayed, handled once."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from sharing_platform import outbox
from sharing_platform.celery import app
from sharing_platform.outbox.models import OutboxMessage
from sharing_platform.outbox.services import messages_prune, outbox_relay
from sharing_platform.outbox.tasks import relay_outbox
from tests.celery_processes import broker_configured, free_port
from tests.factories import UnitFactory

from .tasks import CALLS, FAILURES, record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    FAILURES.clear()
    yield
    CALLS.clear()
    FAILURES.clear()


def _pending(**fields) -> OutboxMessage:
    """A committed message nobody sent yet (as after a broker outage)."""
    return OutboxMessage.objects.create(task_name=record.name, **fields)


# --- enqueue ------------------------------------------------------------------------------------


def test_outbox_enqueue_in_a_rolled_back_transaction_queues_nothing(django_capture_on_commit_callbacks):
    written_inside = []

    def change_that_fails():
        with transaction.atomic():
            outbox.enqueue(record, "lost")
            written_inside.append(OutboxMessage.objects.count())
            raise RuntimeError("the change fails")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()
    assert written_inside == [1]  # written inside the change's transaction...
    assert callbacks == []  # ...and gone with it: nothing to send, nothing run
    assert OutboxMessage.objects.count() == 0
    assert CALLS == []


def test_outbox_enqueue_committed_writes_the_row_and_runs_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        message = outbox.enqueue(record, "kept", extra={"n": 1})
    row = OutboxMessage.objects.get()
    assert row.pk == message.pk
    assert (row.task_name, row.args, row.kwargs) == ("tests.outbox.record", ["kept"], {"extra": {"n": 1}})
    assert (row.dispatched_at, row.handled_at, row.attempts) == (None, None, 0)
    assert CALLS == []  # nothing runs before the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit
    assert CALLS == [("kept", {"n": 1})]
    row.refresh_from_db()
    assert row.dispatched_at is not None
    assert row.handled_at is not None
    assert (row.attempts, row.last_error) == (1, "")


@pytest.mark.django_db(transaction=True)
def test_outbox_enqueue_with_a_real_commit_runs_in_process_right_after_it():
    """The embedded default: no broker, the task runs in this process as soon as the change commits."""
    with transaction.atomic():
        outbox.enqueue("tests.outbox.record", "by name")
        assert CALLS == []
    assert CALLS == [("by name", None)]
    row = OutboxMessage.objects.get()
    assert row.handled_at is not None


def test_outbox_enqueue_refuses_arguments_that_are_not_json():
    with pytest.raises(TypeError, match="plain JSON"):
        outbox.enqueue(record, timezone.now())
    assert not OutboxMessage.objects.exists()


# --- failures in-process and the relay ----------------------------------------------------------


def test_outbox_task_failing_in_process_is_logged_and_left_for_the_relay(django_capture_on_commit_callbacks, caplog):
    FAILURES.append("flaky")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(record, "flaky")  # no exception reaches the caller
    row = OutboxMessage.objects.get()
    assert row.dispatched_at is None
    assert row.handled_at is None
    assert row.last_error == "ValueError: cannot handle flaky right now"
    assert row.available_at > timezone.now()  # waits before the next try
    assert "failed in-process" in caplog.text

    out = StringIO()
    call_command("relay_outbox", stdout=out)
    assert out.getvalue().strip() == "0 sent, 0 failed, 0 pruned, 1 still pending"  # still in its delay
    OutboxMessage.objects.filter(pk=row.pk).update(available_at=timezone.now())
    out = StringIO()
    call_command("relay_outbox", stdout=out)
    assert out.getvalue().strip() == "1 sent, 0 failed, 0 pruned, 0 still pending"
    assert CALLS == [("flaky", None)]
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.handled_at is not None


def test_outbox_relay_sends_oldest_first_in_batches():
    rows = [_pending(args=[f"m{n}"]) for n in range(5)]
    outcome = outbox_relay(batch_size=2)
    assert (outcome.sent, outcome.failed, outcome.pending) == (5, 0, 0)
    assert [value for value, _extra in CALLS] == [f"m{n}" for n in range(5)]
    assert not OutboxMessage.objects.filter(pk__in=[row.pk for row in rows], dispatched_at__isnull=True).exists()
    assert outbox_relay().sent == 0  # nothing is sent twice


def test_outbox_relay_task_from_beat_runs_the_relay():
    _pending(args=["from beat"])
    assert relay_outbox.delay().get() == {"sent": 1, "failed": 0, "pruned": 0, "pending": 0}
    assert CALLS == [("from beat", None)]


def test_outbox_relay_schedule_is_registered_with_beat():
    task = PeriodicTask.objects.get(task="sharing_platform.outbox.tasks.relay_outbox")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (15, "seconds")
    assert task.expire_seconds == 60
    assert task.task in app.tasks


def test_outbox_prune_deletes_only_old_dispatched_messages():
    now = timezone.now()
    old = _pending(dispatched_at=now - timedelta(days=8))
    recent = _pending(dispatched_at=now - timedelta(days=6))
    waiting = _pending(created_at=now - timedelta(days=30))
    assert messages_prune(now=now) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


# --- a broker that is down ------------------------------------------------------------------------


def test_outbox_broker_down_leaves_messages_pending_and_never_raises(django_capture_on_commit_callbacks, caplog):
    with broker_configured(f"redis://127.0.0.1:{free_port()}/0"):  # nobody listens there
        began = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            first = outbox.enqueue(record, "a")
            second = outbox.enqueue(record, "b")
        elapsed = time.monotonic() - began
        outcome = outbox_relay()
    assert elapsed < 1.0  # the request that committed does not wait for the broker
    assert CALLS == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.dispatched_at is None
    assert second.dispatched_at is None
    assert "OperationalError" in first.last_error
    assert first.attempts == 2  # the immediate send, then the relay (which stops at the first failure)
    assert second.attempts == 1
    assert first.available_at <= timezone.now()  # a broker outage is not the message's fault: no delay
    assert (outcome.sent, outcome.failed, outcome.pending) == (0, 1, 2)
    assert "broker unreachable" in caplog.text


# --- the consumer side: handled once --------------------------------------------------------------


def test_outbox_message_delivered_twice_is_handled_once(caplog):
    caplog.set_level("INFO", logger="sharing_platform.outbox")
    row = _pending(args=["twice"])
    for _delivery in range(2):
        record.apply(args=["twice"], task_id=row.task_id)
    assert CALLS == [("twice", None)]
    row.refresh_from_db()
    assert row.handled_at is not None
    assert f"tests.outbox.record[{row.task_id}] was handled already; skipped" in caplog.text


def test_outbox_task_not_sent_by_the_outbox_is_not_deduplicated():
    record.apply(args=["direct"])
    record.apply(args=["direct"])
    assert CALLS == [("direct", None), ("direct", None)]


def test_outbox_claim_is_true_once_per_message():
    row = _pending()
    assert outbox.claim(row.task_id) is True
    assert outbox.claim(row.task_id) is False
    assert outbox.claim(None) is True  # a task the outbox did not send
    assert outbox.claim("0b5e2a3c-beat-task-id") is True


def test_outbox_failed_task_keeps_its_reason_on_the_message():
    row = _pending(args=["broken"])
    FAILURES.append("broken")
    result = record.apply(args=["broken"], task_id=row.task_id, throw=False)  # as a worker runs it: no re-raise
    assert result.failed()
    row.refresh_from_db()
    assert row.handled_at is None
    assert row.last_error == "ValueError: cannot handle broken right now"


# --- signals announced from a task ----------------------------------------------------------------

something_happened = Signal()


@pytest.fixture
def receivers():
    heard: list[int] = []

    def writes_and_queues(sender, *, number, **kwargs):
        heard.append(number)
        UnitFactory(name=f"unit for {number}")
        outbox.enqueue(record, number)

    def broken(sender, **kwargs):
        raise ValueError("receiver bug")

    something_happened.connect(writes_and_queues, dispatch_uid="tests.writes")
    something_happened.connect(broken, dispatch_uid="tests.broken")
    yield heard
    something_happened.disconnect(dispatch_uid="tests.writes")
    something_happened.disconnect(dispatch_uid="tests.broken")


def test_outbox_signal_send_once_commits_receivers_with_the_claim(
    receivers, caplog, django_capture_on_commit_callbacks
):
    row = _pending()
    with django_capture_on_commit_callbacks(execute=True):
        sent = outbox.signal_send_once(row.task_id, something_happened, sender=None, calls=[{"number": 1}])
    assert sent == 1
    assert receivers == [1]  # the broken receiver was logged; the other one still heard it
    assert "receiver bug" in caplog.text
    assert CALLS == [(1, None)]
    # The same message again (a redelivery): nobody hears it twice, nothing is written twice.
    assert outbox.signal_send_once(row.task_id, something_happened, sender=None, calls=[{"number": 1}]) == 0
    assert receivers == [1]
    assert OutboxMessage.objects.filter(task_name=record.name, args=[1]).count() == 1


def test_outbox_signal_send_once_rolls_back_everything_on_a_database_error():
    row = _pending()

    def fails_in_the_database(sender, **kwargs):
        UnitFactory(name="half written")
        raise IntegrityError("duplicate key")

    something_happened.connect(fails_in_the_database, dispatch_uid="tests.db")
    try:
        with pytest.raises(IntegrityError):
            outbox.signal_send_once(row.task_id, something_happened, sender=None, calls=[{"number": 2}])
    finally:
        something_happened.disconnect(dispatch_uid="tests.db")
    row.refresh_from_db()
    assert row.handled_at is None  # the claim rolled back too: the retry announces it
    assert not UnitFactory._meta.model.objects.filter(name="half written").exists()


# --- admin ------------------------------------------------------------------------------------------


def test_outbox_admin_lists_messages_by_state(client, platform_admin):
    _pending(args=["waiting"], last_error="OperationalError: Connection refused")
    _pending(args=["done"], dispatched_at=timezone.now(), handled_at=timezone.now())
    client.force_login(platform_admin)
    for state, count in (("pending", 1), ("failing", 1), ("unhandled", 0), ("handled", 1)):
        response = client.get("/admin/outbox/outboxmessage/", {"state": state})
        assert response.status_code == 200
        assert response.context["cl"].result_count == count
    assert client.get("/admin/outbox/outboxmessage/add/").status_code == 403
