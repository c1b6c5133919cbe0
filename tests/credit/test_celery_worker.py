"""A real Celery worker against Redis and the test's PostgreSQL database (not eager mode).

The worker is a subprocess of this test with DATABASE_URL pointing at the database pytest created,
so only transactional tests can share data with it.
"""

import os
import signal
import uuid

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from credit.models import CreditEvent, CreditRun, CreditScore
from credit.recompute import recompute_all, score_keys
from credit.scoring.trust import trust_scores
from credit.services import credit_event_record
from credit.tasks import recompute_all_task
from tests.celery_processes import Worker, broker_configured, wait_for, worker_start, worker_stop
from tests.credit.factories import record
from tests.factories import UnitFactory, UserFactory

BROKER_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres]


@pytest.fixture
def broker():
    """Point this process's Celery app at Redis (the suite otherwise runs tasks eagerly), then restore it."""
    redis.Redis.from_url(BROKER_URL).flushdb()
    with broker_configured(BROKER_URL):
        yield BROKER_URL
    redis.Redis.from_url(BROKER_URL).flushdb()


@pytest.fixture
def worker_factory(transactional_db, broker, tmp_path):
    started: list[Worker] = []

    def start(**extra_env) -> Worker:
        env = {key: str(value) for key, value in extra_env.items()}
        worker = worker_start(tmp_path, broker, env, name="credit-test")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker_stop(worker)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_celery_worker_recomputes_subject_after_committed_event(worker_factory):
    worker = worker_factory()
    user = UserFactory()
    with transaction.atomic():
        credit_event_record(subject=user, kind=CreditEvent.Kind.NO_SHOW, source=CreditEvent.Source.BOOKING)
        # Queued on commit only: nothing can have run yet.
        assert not CreditScore.objects.filter(subject_key=f"user:{user.pk}").exists()
    snapshot = wait_for(
        lambda: CreditScore.objects.filter(subject_key=f"user:{user.pk}").first(),
        timeout=30,
        what=f"the worker's snapshot\n{worker.output()}",
    )
    assert snapshot.reasons[0]["text"] == "1 no-show in the last 90 days"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_celery_worker_killed_mid_full_recompute_task_returns_and_completes(worker_factory):
    """SIGKILL the pool process mid-run: acks_late + reject_on_worker_lost requeue the task; it resumes its run."""
    UnitFactory()
    users = [UserFactory() for _ in range(12)]
    for user in users:
        record(user, CreditEvent.Kind.BOOKING_FULFILLED, days_ago=5)
    assert recompute_all().status == "done"
    previous = {row.pk: (row.subject_key, row.score, row.as_of) for row in CreditScore.objects.all()}
    assert len(previous) == 13
    for user in users:
        record(user, CreditEvent.Kind.NO_SHOW, days_ago=1)  # every user's score will move
    # Those commits queued per-subject recomputes; drop them so the full run is what writes the new snapshots.
    redis.Redis.from_url(BROKER_URL).flushdb()

    worker = worker_factory(CREDIT_RECOMPUTE_BATCH_SIZE=2, CREDIT_RECOMPUTE_BATCH_PAUSE_SECONDS=1)
    run_id = uuid.uuid4()
    recompute_all_task.apply_async(task_id=str(run_id))
    wait_for(
        lambda: CreditRun.objects.filter(run_id=run_id, subjects_seen__gte=3).exists(),
        timeout=30,
        what=f"the first batches\n{worker.output()}",
    )
    run = CreditRun.objects.get(run_id=run_id)
    assert run.status == "running"
    assert run.subjects_seen < 13
    children = worker.pool_children()
    assert children, worker.output()
    for pid in children:
        os.kill(pid, signal.SIGKILL)  # the pool process running the task dies mid-run

    wait_for(
        lambda: CreditRun.objects.filter(run_id=run_id, status="done").exists(),
        timeout=90,
        interval=0.5,
        what=f"the redelivered run to finish\n{worker.output()}",
    )
    run.refresh_from_db()
    assert run.subjects_seen == 13  # every subject exactly once: the killed batch was rolled back
    assert "SIGKILL" in worker.output() or "signal 9" in worker.output()
    # The snapshots from before the run are untouched...
    for pk, values in previous.items():
        row = CreditScore.objects.get(pk=pk)
        assert (row.subject_key, row.score, row.as_of) == values
    # ...and every user has exactly one new snapshot from this run, reproducible from the ledger.
    fresh = list(CreditScore.objects.filter(run_id=run_id))
    assert sorted(row.subject_key for row in fresh) == sorted(f"user:{u.pk}" for u in users)
    expected = score_keys([row.subject_key for row in fresh], run.as_of, trust_scores(run.as_of))
    for row in fresh:
        assert row.as_of == run.as_of
        assert row.score == expected[row.subject_key][0].score
    assert run.as_of < timezone.now()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_celery_two_workers_share_a_full_run_batches(worker_factory):
    """Adding a worker spreads one run's batches: both take some, each subject is scored exactly once."""
    UnitFactory()
    users = [UserFactory() for _ in range(12)]
    for user in users:
        record(user, CreditEvent.Kind.BOOKING_FULFILLED, days_ago=2)
    redis.Redis.from_url(BROKER_URL).flushdb()  # the per-subject recomputes those commits queued
    settings = {"CREDIT_RECOMPUTE_BATCH_SIZE": 2, "CREDIT_RECOMPUTE_BATCH_PAUSE_SECONDS": 0.5}
    workers = [worker_factory(**settings), worker_factory(**settings)]
    run_id = uuid.uuid4()
    recompute_all_task.apply_async(task_id=str(run_id))
    wait_for(
        lambda: CreditRun.objects.filter(run_id=run_id, status="done").exists(),
        timeout=90,
        interval=0.5,
        what="the run to finish\n" + "\n".join(w.output() for w in workers),
    )
    run = CreditRun.objects.get(run_id=run_id)
    assert run.subjects_seen == 13
    assert CreditScore.objects.filter(run_id=run_id).count() == 13
    assert all("recompute_batch_task" in w.output() and "succeeded" in w.output() for w in workers)
