"""credit_score_changed: sent after commit by both recomputes, once per subject whose score or tier moved."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from credit.models import CreditEvent, CreditScore
from credit.recompute import recompute_all, recompute_subject
from credit.signals import credit_score_changed
from tests.credit.factories import record
from tests.factories import MembershipFactory, UnitFactory, UserFactory

K = CreditEvent.Kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    calls: list[dict] = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal", None)
        calls.append(kwargs)

    credit_score_changed.connect(receiver, dispatch_uid="tests.credit.test_signals")
    yield calls
    credit_score_changed.disconnect(dispatch_uid="tests.credit.test_signals")


def _keys(calls) -> list[str]:
    return [call["subject_key"] for call in calls]


def test_credit_score_changed_per_subject_first_snapshot_then_changes_only(
    received, django_capture_on_commit_callbacks
):
    user = MembershipFactory().user
    key = f"user:{user.pk}"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = recompute_subject(key)
    assert received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert received == [
        {
            "subject_key": key,
            "old_score": None,
            "new_score": first.score,
            "old_tier": None,
            "new_tier": first.tier,
            "as_of": first.as_of,
            "snapshot_id": first.pk,
        }
    ]

    # Nothing new on the ledger: no snapshot, no signal.
    with django_capture_on_commit_callbacks(execute=True):
        recompute_subject(key)
    assert len(received) == 1

    for n in range(3):
        record(user, K.NO_SHOW, days_ago=n + 1, source_ref=f"booking:{n}")
    with django_capture_on_commit_callbacks(execute=True):
        after = recompute_subject(key)
    assert after.score < first.score
    change = received[-1]
    assert (change["old_score"], change["new_score"]) == (first.score, after.score)
    assert (change["old_tier"], change["new_tier"]) == (first.tier, after.tier)
    assert change["snapshot_id"] == after.pk


def test_credit_score_changed_not_sent_when_the_transaction_rolls_back(received, django_capture_on_commit_callbacks):
    user = UserFactory()

    def dies_after_writing():
        with transaction.atomic():
            recompute_subject(f"user:{user.pk}")
            raise RuntimeError("worker died")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        dies_after_writing()
    assert callbacks == []
    assert received == []
    assert not CreditScore.objects.filter(subject_key=f"user:{user.pk}").exists()


def test_credit_score_changed_full_recompute_sends_for_changed_subjects_only(
    received, django_capture_on_commit_callbacks
):
    steady, moved = MembershipFactory().user, UserFactory()
    unit = UnitFactory()
    record(unit, K.SERVICE_DELIVERED, days_ago=2, source_ref="booking:1")
    as_of = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        recompute_all(as_of=as_of)
    everyone = set(_keys(received))
    assert {f"user:{steady.pk}", f"user:{moved.pk}", f"unit:{unit.pk}"} <= everyone
    assert all(call["old_score"] is None for call in received)
    received.clear()

    record(moved, K.NO_SHOW, days_ago=0, source_ref="booking:2", as_of=as_of)
    before = CreditScore.objects.filter(subject_key=f"user:{moved.pk}").get()
    with django_capture_on_commit_callbacks(execute=True):
        recompute_all(as_of=as_of + timedelta(seconds=1))
    assert _keys(received) == [f"user:{moved.pk}"]
    change = received[0]
    after = CreditScore.objects.filter(subject_key=f"user:{moved.pk}").order_by("-as_of").first()
    assert (change["old_score"], change["new_score"]) == (before.score, after.score)
    assert (change["old_tier"], change["new_tier"]) == (before.tier, after.tier)
    assert change["as_of"] == after.as_of


def test_credit_score_changed_failing_receiver_does_not_break_the_recompute(
    received, django_capture_on_commit_callbacks
):
    def broken(sender, **kwargs):
        raise ValueError("receiver bug")

    credit_score_changed.connect(broken, dispatch_uid="tests.credit.broken")
    try:
        user = UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            snapshot = recompute_subject(f"user:{user.pk}")
    finally:
        credit_score_changed.disconnect(dispatch_uid="tests.credit.broken")
    assert snapshot is not None
    assert _keys(received) == [f"user:{user.pk}"]  # the other receivers still heard it


def test_announcements_are_columnar_and_messages_of_the_old_form_are_still_sent(
    received, django_capture_on_commit_callbacks
):
    """A batch's changes travel as one list per field (the full run's outbox row); a message queued before that,
    one dict per change, is still announced the same way."""
    from sharing_platform.outbox.models import OutboxMessage

    user = MembershipFactory().user
    key = f"user:{user.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        first = recompute_subject(key)
    message = OutboxMessage.objects.filter(task_name="credit.signals.announce_score_changes").latest("pk")
    columns, moment = message.args
    assert columns == {
        "subject_key": [key],
        "old_score": [None],
        "new_score": [first.score],
        "old_tier": [None],
        "new_tier": [first.tier],
        "snapshot_id": [first.pk],
    }
    assert moment == first.as_of.isoformat()
    expected = {
        "subject_key": key,
        "old_score": None,
        "new_score": first.score,
        "old_tier": None,
        "new_tier": first.tier,
        "as_of": first.as_of,
        "snapshot_id": first.pk,
    }
    assert received == [expected]

    from credit.signals import announce_score_changes

    old_form = [{**expected, "as_of": first.as_of.isoformat()}]
    announce_score_changes.apply(args=[old_form], task_id="old-form-message", throw=True)
    assert received == [expected, expected]
