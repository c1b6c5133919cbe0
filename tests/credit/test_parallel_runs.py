"""Parallel full runs (credit.recompute.recompute_all_plan / recompute_batch): batches, no overlap, interruptions.

The worker processes themselves are exercised in test_celery_worker.py (PostgreSQL); here the same
functions run in-process, on either database.
"""

import pytest
from django.db import transaction
from django.utils import timezone

from credit import params
from credit.models import CreditEvent, CreditRun, CreditRunBatch, CreditScore
from credit.recompute import recompute_all, recompute_all_plan, recompute_batch, score_keys
from credit.scoring.trust import trust_scores
from tests.credit.factories import record
from tests.factories import UnitFactory, UserFactory

K = CreditEvent.Kind


def _people(n: int):
    UnitFactory()
    users = [UserFactory() for _ in range(n)]
    for user in users:
        record(user, K.BOOKING_FULFILLED, days_ago=3)
    return users


@pytest.mark.django_db
def test_parallel_run_batches_cover_everyone_once_and_the_last_batch_closes_the_run(monkeypatch):
    monkeypatch.setattr(params, "RECOMPUTE_BATCH_SIZE", 3)
    users = _people(7)
    as_of = timezone.now()
    outcome = recompute_all_plan(as_of=as_of)
    assert outcome.status == "planned"
    batches = list(CreditRunBatch.objects.filter(run__run_id=outcome.run_id))
    assert [b.phase for b in batches].count("user") == 3
    assert outcome.batches == len(batches) == 4
    # Out of order, as parallel workers would take them; a batch taken twice is done once.
    for batch in reversed(batches):
        assert recompute_batch(batch.pk) == "done"
        assert CreditRun.objects.get(run_id=outcome.run_id).status == ("done" if batch == batches[0] else "running")
    assert recompute_batch(batches[1].pk) == "already_done"
    run = CreditRun.objects.get(run_id=outcome.run_id)
    assert run.subjects_seen == 8
    assert run.snapshots_written == 8
    expected = score_keys([f"user:{u.pk}" for u in users], as_of, trust_scores(as_of))
    for key, (result, reasons) in expected.items():
        snapshot = CreditScore.objects.get(subject_key=key)
        assert (snapshot.score, snapshot.reasons, snapshot.as_of) == (result.score, reasons, as_of)


@pytest.mark.django_db
def test_two_full_runs_never_overlap():
    _people(2)
    first = recompute_all_plan()
    assert first.status == "planned"
    # While it runs, neither another parallel run nor a sequential one starts...
    assert recompute_all_plan().status == "already_running"
    assert recompute_all().status == "already_running"
    # ...but the same run, redelivered, resumes (its pending batches again).
    again = recompute_all_plan(run_id=first.run_id)
    assert (again.status, again.run_id, again.batches) == ("planned", first.run_id, first.batches)
    for batch in CreditRunBatch.objects.filter(run__run_id=first.run_id):
        recompute_batch(batch.pk)
    assert recompute_all().status == "done"  # once it is done, the next one may start
    assert recompute_all_plan(run_id=first.run_id).status == "done"


@pytest.mark.django_db
def test_an_interrupted_batch_leaves_the_previous_snapshots_valid_and_is_taken_again(monkeypatch):
    monkeypatch.setattr(params, "RECOMPUTE_BATCH_SIZE", 2)
    users = _people(4)
    assert recompute_all().status == "done"
    before = {row.pk: (row.subject_key, row.score, row.as_of) for row in CreditScore.objects.all()}
    for user in users:
        record(user, K.NO_SHOW, days_ago=1)
    outcome = recompute_all_plan()
    batch = CreditRunBatch.objects.filter(run__run_id=outcome.run_id, phase="user").first()

    def batch_then_die() -> None:
        with transaction.atomic():
            recompute_batch(batch.pk)
            assert CreditScore.objects.filter(run_id=outcome.run_id).exists()
            raise InterruptedError

    # The batch wrote its snapshots and counters, then died before its commit (a worker killed, a
    # connection lost): everything it did is rolled back, nothing else changes.
    with pytest.raises(InterruptedError):
        batch_then_die()
    assert {row.pk: (row.subject_key, row.score, row.as_of) for row in CreditScore.objects.all()} == before
    batch.refresh_from_db()
    assert batch.done_at is None
    assert CreditRun.objects.get(run_id=outcome.run_id).subjects_seen == 0
    for pk in CreditRunBatch.objects.filter(run__run_id=outcome.run_id).values_list("pk", flat=True):
        assert recompute_batch(pk) == "done"
    run = CreditRun.objects.get(run_id=outcome.run_id)
    assert (run.status, run.subjects_seen) == ("done", 5)
    assert CreditScore.objects.filter(run_id=outcome.run_id).count() == 4  # the users' scores moved, not the unit's
