"""Robot messages sent by a real Celery worker (Redis broker, the test's PostgreSQL): a failing robot
is retried with exponential backoff until it answers, and a rolled-back change queues nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications.models import RobotEvent, RobotMessage
from notifications.services import robot_notify, robot_webhook_create
from tests.celery_processes import wait_for
from tests.credit.test_celery_worker import broker, worker_factory  # noqa: F401 - fixtures
from tests.factories import UserFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_robot_worker_retries_with_backoff_until_the_robot_answers(worker_factory, robot_receiver):  # noqa: F811
    worker = worker_factory(
        NOTIFICATIONS_ROBOT_HOSTS="qyapi.weixin.qq.com,oapi.dingtalk.com,127.0.0.1",
        NOTIFICATIONS_ROBOT_RETRY_SECONDS=2,
    )
    person = UserFactory()
    robot_webhook_create(
        actor=person, user=person, service="wecom", name="课题组群", url=robot_receiver.wecom_url,
        events=[RobotEvent.STATEMENT_OVERDUE], language="en",
    )  # fmt: skip
    robot_receiver.answers = [(503, 0), (200, 45009)]  # down, then rate-limited, then fine
    with transaction.atomic():
        (message,) = robot_notify(
            event=RobotEvent.STATEMENT_OVERDUE, dedup_key="statement:9:overdue",
            context={"number": "CHEM-2026-0009", "amount": "88.00"}, user_ids=[person.pk],
        )  # fmt: skip
    sent = wait_for(
        lambda: RobotMessage.objects.filter(pk=message.pk, status=RobotMessage.Status.SENT).first(),
        timeout=60,
        what=f"the robot message to be sent\n{worker.output()}",
    )
    assert sent.attempts == 3
    first, second, third = (call.at for call in robot_receiver.calls)
    assert second - first >= 1.9  # 2 s after the first attempt
    assert third - second >= 3.9  # then 4 s: the wait doubles
    assert "Statement overdue: CHEM-2026-0009" in robot_receiver.calls[-1].body["markdown"]["content"]

    def change_that_fails():
        with transaction.atomic():
            robot_notify(event=RobotEvent.STATEMENT_OVERDUE, dedup_key="statement:10:overdue", context={},
                         user_ids=[person.pk])  # fmt: skip
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not RobotMessage.objects.filter(dedup_key="statement:10:overdue").exists()
    assert len(robot_receiver.calls) == 3
