"""Issue 12.2: with the broker down, booking writes are answered as committed; nothing they queued is lost.

Over HTTP (the Django test client, real commits): create, approve and cancel bookings through the API
and the HTML forms while the broker is unreachable. Each write is answered 201/200/302 and committed,
and its side effects wait in the outbox. On PostgreSQL the whole story runs with a redis-server of this
test's own, stopped and started again, and a real Celery worker: after the relay every notification
and every credit recompute arrives exactly once, and a message published twice is handled once.
"""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import Booking, BookingState
from credit.models import CreditScore
from instruments.models import Membership
from sharing_platform.outbox.models import OutboxMessage
from tests.bookings.factories import local_slot, policy_set
from tests.celery_processes import RedisServer, broker_configured, free_port, wait_for, worker_start, worker_stop
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

ANNOUNCE = "bookings.signals.announce_booking_changed"
RECOMPUTE = "credit.tasks.recompute_subject_task"
MAIL = "bookings.notifications.send_change_notifications"


@dataclass
class Outage:
    """The bookings written during the outage."""

    api_booking: Booking | None = None
    form_booking: Booking | None = None


@pytest.fixture
def people(transactional_db):
    unit = UnitFactory()
    instrument = InstrumentFactory(unit=unit)  # requires approval
    # The requester's cancellation of the form booking (three days ahead) falls inside the notice: late.
    policy_set(instrument, cancellation_notice_hours=24 * 5)
    return {
        "instrument": instrument,
        "unit": unit,
        "manager": MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "admin": MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "researcher": UserFactory(),
    }


def _local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def writes_during_outage(people) -> Outage:
    """Create, approve and cancel one booking through the API and one through the HTML forms."""
    instrument, manager, researcher = people["instrument"], people["manager"], people["researcher"]
    outage = Outage()

    api = APIClient()
    api.force_authenticate(researcher)
    start, end = local_slot(days=2, hour=10, hours=1)
    payload = {"instrument": instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "SEM"}
    response = api.post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 201, response.content
    booking_id = response.json()["id"]
    api.force_authenticate(manager)
    response = api.post(f"/api/v1/bookings/{booking_id}/approve/", {})
    assert response.status_code == 200, response.content
    reason = {"reason": "The instrument needs maintenance"}
    response = api.post(f"/api/v1/bookings/{booking_id}/cancel/", reason)
    assert response.status_code == 200, response.content
    outage.api_booking = Booking.objects.get(pk=booking_id)

    web = Client()
    web.force_login(researcher)
    start, end = local_slot(days=3, hour=14, hours=1)
    form = {"start": _local_input(start), "end": _local_input(end), "purpose": "XRD of thin films"}
    response = web.post(f"/bookings/new/{instrument.pk}/", form)
    assert response.status_code == 302, response.content
    booking = Booking.objects.filter(requester=researcher).order_by("-pk").first()
    assert response["Location"] == f"/bookings/{booking.pk}/"
    web.force_login(manager)
    response = web.post(f"/bookings/{booking.pk}/approve/", {})
    assert response.status_code == 302
    web.force_login(researcher)
    response = web.post(f"/bookings/{booking.pk}/cancel/", {"reason": "", "confirmed": "yes"})
    assert response.status_code == 302
    outage.form_booking = Booking.objects.get(pk=booking.pk)
    return outage


def assert_committed_and_waiting(outage: Outage, people) -> None:
    """Every write is in the database; its side effects wait in the outbox, none lost, none sent."""
    api_booking, form_booking = outage.api_booking, outage.form_booking
    assert (api_booking.state, api_booking.cancelled_by) == (BookingState.CANCELLED, people["manager"])
    assert (form_booking.state, form_booking.cancelled_by) == (BookingState.CANCELLED, people["researcher"])
    assert form_booking.cancellation_late is True
    for booking in (api_booking, form_booking):
        actions = list(booking.events.order_by("pk").values_list("action", flat=True))
        assert actions == ["requested", "approved", "cancelled"]
    announced = OutboxMessage.objects.filter(task_name=ANNOUNCE).order_by("pk")
    assert [(row.args[0], row.args[1]) for row in announced] == [
        (booking.pk, action)
        for booking in (api_booking, form_booking)
        for action in ("requested", "approved", "cancelled")
    ]
    # Two answered requests and one provider cancellation (the unit), one late cancellation (the researcher).
    recomputes = Counter(
        args[0] for args in OutboxMessage.objects.filter(task_name=RECOMPUTE).values_list("args", flat=True)
    )
    assert recomputes == {f"unit:{people['unit'].pk}": 3, f"user:{people['researcher'].pk}": 1}
    for row in OutboxMessage.objects.all():
        assert row.dispatched_at is None
        assert row.attempts == 1  # the immediate send after commit was tried, and failed
        assert "OperationalError" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_outage_booking_writes_are_answered_as_committed_and_their_side_effects_wait(people):
    """Any database: a broker nobody listens on. Before the fix these answered 500 after committing."""
    with broker_configured(f"redis://127.0.0.1:{free_port()}/0"):
        outage = writes_during_outage(people)
    assert_committed_and_waiting(outage, people)


# --- the whole story: a real broker stopped and started, a real worker ---------------------------


def _mails(directory: Path) -> list[email.message.EmailMessage]:
    """Every message the file backend wrote (one file per connection, messages separated by a rule)."""
    rule = b"\n" + b"-" * 79 + b"\n"
    chunks = [chunk for path in sorted(directory.glob("*.log")) for chunk in path.read_bytes().split(rule)]
    return [email.message_from_bytes(chunk, policy=email.policy.default) for chunk in chunks if chunk.strip()]


def _kind(subject: str) -> str:
    for prefix, kind in (("Booking request for", "requested"), ("Booking approved", "approved"),
                         ("Booking cancelled", "cancelled")):  # fmt: skip
        if subject.startswith(prefix):
            return kind
    raise AssertionError(f"unexpected mail: {subject}")


def _start_text(booking: Booking) -> str:
    return timezone.localtime(booking.start).strftime("%Y-%m-%d %H:%M")


def _mail_keys(messages) -> Counter:
    keys = Counter()
    for message in messages:
        subject = " ".join(str(message["Subject"]).split())
        keys[(str(message["To"]), _kind(subject), subject.split(" on ", 1)[1][:16])] += 1
    return keys


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_outage_then_recovery_every_notification_and_recompute_arrives_once(people, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    server = RedisServer(tmp_path)
    server.start()
    worker = None
    try:
        with broker_configured(server.url):
            server.stop()
            assert server.down()
            outage = writes_during_outage(people)
            assert_committed_and_waiting(outage, people)

            server.start()
            env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": mail_dir}
            worker = worker_start(tmp_path, server.url, {k: str(v) for k, v in env.items()}, name="outbox-test")
            out = StringIO()
            call_command("relay_outbox", stdout=out)  # what beat runs every 15 seconds
            waiting = OutboxMessage.objects.filter(task_name__in=[ANNOUNCE, RECOMPUTE]).count()
            assert out.getvalue().startswith(f"{waiting} sent, 0 failed"), out.getvalue()

            def settled() -> bool:
                return len(_mails(mail_dir)) >= 9 and not OutboxMessage.objects.filter(handled_at=None).exists()

            wait_for(settled, timeout=90, interval=0.5, what=f"every side effect\n{worker.output()}")
            time.sleep(2)  # anything sent twice would arrive now
            output = worker.output()

            # Every message the outbox holds (those queued during the outage and those the worker queued
            # when it announced them) was handled exactly once.
            rows = list(OutboxMessage.objects.order_by("pk"))
            assert {row.task_name for row in rows} >= {ANNOUNCE, RECOMPUTE, MAIL}
            for row in rows:
                assert row.dispatched_at is not None
                assert row.handled_at is not None
                assert output.count(f"[{row.task_id}] succeeded") == 1, (row.task_name, row.task_id, output)

            # Every notification arrived once.
            api_booking, form_booking = outage.api_booking, outage.form_booking
            manager, admin, researcher = (people[name].email for name in ("manager", "admin", "researcher"))
            expected = Counter()
            for booking, cancelled_to in ((api_booking, [researcher]), (form_booking, [manager, admin])):
                when = _start_text(booking)
                expected.update([(manager, "requested", when), (admin, "requested", when)])
                expected.update([(researcher, "approved", when)])
                expected.update([(to, "cancelled", when) for to in cancelled_to])
            assert _mail_keys(_mails(mail_dir)) == expected

            # Every recompute arrived once: the provider unit and the late-cancelling researcher are scored.
            recomputed = [row for row in rows if row.task_name == RECOMPUTE]
            assert len(recomputed) == 4
            for key in (f"unit:{people['unit'].pk}", f"user:{people['researcher'].pk}"):
                assert CreditScore.objects.filter(subject_key=key).exists(), key

            # A message published twice (the process died after the broker took it, before the mark
            # committed) is handled once: the worker skips it, nobody is mailed or announced to again.
            again = [next(row for row in rows if row.task_name == name) for name in (MAIL, ANNOUNCE)]
            OutboxMessage.objects.filter(pk__in=[row.pk for row in again]).update(dispatched_at=None)
            out = StringIO()
            call_command("relay_outbox", stdout=out)
            assert out.getvalue().startswith("2 sent, 0 failed"), out.getvalue()
            for row in again:
                skipped = f"{row.task_name}[{row.task_id}] was handled already; skipped"
                wait_for(lambda line=skipped: line in worker.output(), timeout=30, what=skipped)
            time.sleep(1)
            assert _mail_keys(_mails(mail_dir)) == expected
            assert OutboxMessage.objects.count() == len(rows)
    finally:
        if worker is not None:
            worker_stop(worker)
        server.stop()
