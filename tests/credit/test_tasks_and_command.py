"""Tasks (eager in the suite), the on-commit listener, beat schedules, reliability settings, the command."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from credit.models import CreditEvent, CreditRun, CreditScore, ListEntry
from credit.services import credit_event_record
from credit.tasks import (
    expire_list_entries_task,
    propose_list_entries_task,
    recompute_all_task,
    review_trusted_badges_task,
)
from tests.credit.factories import violations_warned
from tests.factories import UnitFactory, UserFactory

K = CreditEvent.Kind


@pytest.mark.django_db
def test_credit_event_record_recomputes_subject_on_commit(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        credit_event_record(subject=user, kind=K.NO_SHOW, source="booking")
        assert not CreditScore.objects.exists()  # nothing before commit
    snapshot = CreditScore.objects.get(subject_key=f"user:{user.pk}")
    assert snapshot.reasons[0]["params"]["kind"] == "no_show"


@pytest.mark.django_db
def test_recompute_all_task_runs_a_full_run_with_its_task_id(django_capture_on_commit_callbacks):
    UnitFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the batches go out through the outbox
        result = recompute_all_task.apply(task_id="9b0c1b7e-1111-4222-8333-444455556666")
    assert result.get() == "planned"
    run = CreditRun.objects.get()
    assert run.status == "done"
    assert str(run.run_id) == "9b0c1b7e-1111-4222-8333-444455556666"
    assert CreditScore.objects.count() == 1


@pytest.mark.django_db
def test_periodic_tasks_created_by_migration():
    tasks = dict(PeriodicTask.objects.filter(task__startswith="credit.").values_list("task", "crontab__hour"))
    assert tasks["credit.tasks.recompute_all_task"] == "2"
    assert {
        "credit.tasks.propose_list_entries_task",
        "credit.tasks.expire_list_entries_task",
        "credit.tasks.review_trusted_badges_task",
    } <= set(tasks)


def test_celery_reliability_settings():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility <= 60
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db
def test_list_tasks_propose_expire_and_badges():
    user = UserFactory()
    violations_warned(user, K.LATE_CANCELLATION)
    assert propose_list_entries_task.apply().get() == 1
    assert expire_list_entries_task.apply().get() == 0
    assert review_trusted_badges_task.apply().get() == {"awarded": 0, "revoked": 0}


@pytest.mark.django_db
def test_recompute_credit_command_all_and_one(capsys):
    user = UserFactory()
    violations_warned(user, K.NO_SHOW)
    call_command("recompute_credit")
    out = capsys.readouterr().out
    assert "1 list entries proposed" in out
    assert ListEntry.objects.get().subject_key == f"user:{user.pk}"
    call_command("recompute_credit", "--subject", f"user:{user.pk}")
    assert f"user:{user.pk}:" in capsys.readouterr().out
    with pytest.raises(CommandError, match="must look like"):
        call_command("recompute_credit", "--subject", "robot:1")
