"""WeCom and DingTalk group robots: added by a unit's admins or a person, told about booking decisions,
reminders, list entries and overdue statements, with each service's signing, against a local receiver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from bookings import services as bookings
from bookings.notifications import reminder_claim
from credit.services import list_entry_confirm
from instruments.models import Membership
from notifications.models import RobotEvent, RobotMessage, RobotWebhook
from notifications.robots import dingtalk_sign
from notifications.services import robot_message_attempt, robot_notify, robot_webhook_create
from sharing_platform.secret_box import secret_decrypt
from tests.bookings.factories import local_slot
from tests.credit.factories import ListEntryFactory
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

from .robot_receiver import DINGTALK_SECRET

pytestmark = pytest.mark.django_db
ALL = list(RobotEvent.values)


def wecom(receiver, *, unit=None, user=None, actor=None, language="zh-hans", events=ALL) -> RobotWebhook:
    return robot_webhook_create(
        actor=actor or user or UserFactory(is_staff=True), unit=unit, user=user, service="wecom", name="实验室群",
        url=receiver.wecom_url, events=events, language=language,
    )  # fmt: skip


def dingtalk(receiver, *, unit=None, user=None, secret=DINGTALK_SECRET, language="zh-hans") -> RobotWebhook:
    return robot_webhook_create(
        actor=UserFactory(is_staff=True), unit=unit, user=user, service="dingtalk", name="钉钉群",
        url=receiver.dingtalk_url, secret=secret, events=ALL, language=language,
    )  # fmt: skip


@pytest.fixture
def booking_parties(db):
    provider_unit = UnitFactory(name="物理所", name_en="Institute of Physics")
    manager = MembershipFactory(unit=provider_unit, role=Membership.Role.MANAGER).user
    instrument = InstrumentFactory(unit=provider_unit, name="透射电镜", name_en="TEM JEM-2100")
    requester_membership = MembershipFactory(role=Membership.Role.MEMBER)
    return instrument, manager, requester_membership.user, requester_membership.unit


def _request(instrument, requester, days=2):
    start, end = local_slot(days=days)
    return bookings.booking_create(instrument=instrument, requester=requester, start=start, end=end, purpose="TEM")


def test_robot_booking_approval_reaches_the_requesters_wecom_robot_in_chinese(
    robot_receiver, booking_parties, django_capture_on_commit_callbacks
):
    instrument, manager, requester, _requester_unit = booking_parties
    robot = wecom(robot_receiver, user=requester)
    booking = _request(instrument, requester)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_approve(booking_id=booking.pk, actor=manager)

    message = RobotMessage.objects.get(webhook=robot)
    assert message.event == RobotEvent.BOOKING_DECISION
    assert message.status == RobotMessage.Status.SENT
    assert message.attempts == 1
    (call,) = robot_receiver.calls
    assert call.path == "/cgi-bin/webhook/send"
    assert call.body["msgtype"] == "markdown"
    content = call.body["markdown"]["content"]
    assert content.startswith("### 预约已批准\uff1a透射电镜\n"), content  # fullwidth colon, as Chinese writes it
    assert "物理所" in content
    assert f"/bookings/{booking.pk}/" in content


def test_robot_booking_refusal_reaches_the_requesting_units_dingtalk_robot_signed(
    robot_receiver, booking_parties, django_capture_on_commit_callbacks
):
    instrument, manager, requester, requester_unit = booking_parties
    robot = dingtalk(robot_receiver, unit=requester_unit, language="en")
    assert secret_decrypt(robot.secret_encrypted) == DINGTALK_SECRET
    assert DINGTALK_SECRET not in robot.secret_encrypted
    booking = _request(instrument, requester)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_refuse(booking_id=booking.pk, actor=manager, reason="Maintenance that week")

    assert RobotMessage.objects.get(webhook=robot).status == RobotMessage.Status.SENT
    (call,) = robot_receiver.calls
    assert call.path == "/robot/send"
    assert call.query["sign"] == [dingtalk_sign(DINGTALK_SECRET, call.query["timestamp"][0]).replace("%2B", "+")
                                  .replace("%2F", "/").replace("%3D", "=")]  # fmt: skip
    markdown = call.body["markdown"]
    assert markdown["title"] == "Booking refused: TEM JEM-2100"
    assert "Reason: Maintenance that week" in markdown["text"]


def test_robot_dingtalk_wrong_secret_is_refused_by_the_service_and_not_retried(robot_receiver, booking_parties):
    *_, requester, _unit = booking_parties
    robot = dingtalk(robot_receiver, user=requester, secret="SECnot-the-right-one")
    (message,) = robot_notify(event=RobotEvent.STATEMENT_OVERDUE, dedup_key="statement:1:overdue",
                              context={"number": "S-1"}, user_ids=[requester.pk])  # fmt: skip
    result = robot_message_attempt(message.pk)
    assert result.status == RobotMessage.Status.FAILED
    assert "errcode 310000" in result.last_error
    assert robot_message_attempt(message.pk) is None  # a failed message is not sent again
    assert len(robot_receiver.calls) == 1
    assert robot.pk == message.webhook_id


def test_robot_rate_limit_and_server_errors_are_retried_with_backoff(robot_receiver, booking_parties, settings):
    settings.NOTIFICATIONS_ROBOT_RETRY_SECONDS = 30
    *_, requester, _unit = booking_parties
    wecom(robot_receiver, user=requester)
    robot_receiver.answers = [(503, 0), (200, 45009)]
    (message,) = robot_notify(event=RobotEvent.STATEMENT_OVERDUE, dedup_key="statement:2:overdue",
                              context={"number": "S-2"}, user_ids=[requester.pk])  # fmt: skip
    before = timezone.now()
    first = robot_message_attempt(message.pk)
    assert first.status == RobotMessage.Status.RETRYING
    assert timedelta(seconds=29) < first.next_retry_at - before <= timedelta(seconds=31)
    second = robot_message_attempt(message.pk)
    assert second.status == RobotMessage.Status.RETRYING
    assert "errcode 45009" in second.last_error
    assert timedelta(seconds=59) < second.next_retry_at - before <= timedelta(seconds=62)  # doubled
    third = robot_message_attempt(message.pk)
    assert third.status == RobotMessage.Status.SENT
    assert third.attempts == 3


def test_robot_reminder_and_list_entry_and_statement(
    robot_receiver, booking_parties, django_capture_on_commit_callbacks
):
    instrument, manager, requester, requester_unit = booking_parties
    wecom(robot_receiver, user=requester, language="en")
    booking = _request(instrument, requester, days=1)
    bookings.booking_approve(booking_id=booking.pk, actor=manager)
    robot_receiver.calls.clear()
    RobotMessage.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_claim(booking_id=booking.pk, now=booking.start - timedelta(hours=20))
    assert (
        robot_receiver.calls[-1].body["markdown"]["content"].startswith("### Reminder: booking tomorrow: TEM JEM-2100")
    )

    admin = UserFactory(is_staff=True)
    entry = ListEntryFactory(subject=requester)
    with django_capture_on_commit_callbacks(execute=True):
        list_entry_confirm(entry=entry, moderator=admin, reason="Confirmed after review")
    listed = robot_receiver.calls[-1].body["markdown"]["content"]
    assert listed.startswith("### Added to the black list:")
    assert "3 violations in 12 months" in listed

    # What billing will call when a statement becomes overdue (docs: notifications/services.py).
    unit_robot = wecom(robot_receiver, unit=requester_unit, language="zh-hans", events=[RobotEvent.STATEMENT_OVERDUE])
    with django_capture_on_commit_callbacks(execute=True):
        robot_notify(
            event=RobotEvent.STATEMENT_OVERDUE, dedup_key="statement:7:overdue",
            context={"number": "PHY-2026-0007", "provider_unit": "物理所", "paying_unit": "化学所",
                     "amount": "1200.00", "due_date": "2026-11-30", "url": ""},
            unit_ids=[requester_unit.pk],
        )  # fmt: skip
    assert RobotMessage.objects.get(webhook=unit_robot).status == RobotMessage.Status.SENT
    overdue = robot_receiver.calls[-1].body["markdown"]["content"]
    assert "PHY-2026-0007" in overdue
    assert "¥1200.00" in overdue


def test_robot_same_fact_goes_once_and_a_rolled_back_change_sends_nothing(
    robot_receiver, booking_parties, django_capture_on_commit_callbacks
):
    *_, requester, _unit = booking_parties
    wecom(robot_receiver, user=requester)
    kwargs = {"event": RobotEvent.STATEMENT_OVERDUE, "context": {"number": "S-3"}, "user_ids": [requester.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        assert len(robot_notify(dedup_key="statement:3:overdue", **kwargs)) == 1
        assert robot_notify(dedup_key="statement:3:overdue", **kwargs) == []

    class RollbackError(Exception):
        pass

    def change_that_fails():
        with transaction.atomic():
            robot_notify(dedup_key="statement:4:overdue", **kwargs)
            raise RollbackError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RollbackError):
        change_that_fails()
    assert callbacks == []
    assert RobotMessage.objects.count() == 1
    assert len(robot_receiver.calls) == 1


def test_robot_events_not_chosen_are_not_sent(robot_receiver, booking_parties):
    *_, requester, _unit = booking_parties
    wecom(robot_receiver, user=requester, events=[RobotEvent.REMINDER])
    assert robot_notify(event=RobotEvent.LIST_ENTRY, dedup_key="x", context={}, user_ids=[requester.pk]) == []


def test_admin_changes_a_robot_through_the_service_and_shows_its_refusals(client, robot_receiver):
    robot = wecom(robot_receiver, user=UserFactory())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/notifications/robotwebhook/{robot.pk}/change/"
    form = {"name": "  实验室二群 ", "events": '["list_entry"]', "language": "en"}
    assert client.post(url, form).status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.events, robot.language, robot.enabled) == ("实验室二群", ["list_entry"], "en", False)
    response = client.post(url, {**form, "events": '["no_such_event"]', "enabled": "on"})
    assert response.status_code == 200
    assert "Choose at least one kind of message." in response.content.decode()
    robot.refresh_from_db()
    assert (robot.events, robot.enabled) == (["list_entry"], False)


def test_robot_mirrored_black_entry_reaches_the_other_accounts_robot(
    robot_receiver, api_client, django_capture_on_commit_callbacks
):
    """A black entry mirrored to the same person's other account (issue 18.2) is published like any entry: that
    account's group robot is told, once."""
    from credit.models import CreditEvent, ListEntry
    from credit.services import list_entries_propose
    from tests.credit.factories import record

    unit = UnitFactory(status="verified")
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    old, fresh = MembershipFactory(unit=unit).user, MembershipFactory(unit=unit).user
    robot = wecom(robot_receiver, user=fresh, language="en", events=[RobotEvent.LIST_ENTRY])
    api_client.force_authenticate(admin)

    def vouch(account):
        body = {"unit": unit.pk, "user": account.username, "display_name": "Wang Wu", "staff_number": "S-1001"}
        assert api_client.post("/api/v1/identity/vouches/", body, format="json").status_code == 201

    vouch(old)
    record(old, CreditEvent.Kind.MISUSE_CONFIRMED, days_ago=2, source_ref="booking:991", severity="serious")
    entry = next(entry for entry in list_entries_propose() if entry.subject_user_id == old.pk)
    list_entry_confirm(entry=entry, moderator=UserFactory(is_staff=True), reason="Serious misuse checked")
    assert not RobotMessage.objects.filter(webhook=robot).exists()
    with django_capture_on_commit_callbacks(execute=True):
        vouch(fresh)
    mirror = ListEntry.objects.get(subject_user_id=fresh.pk, rule="person")
    message = RobotMessage.objects.get(webhook=robot)
    assert (message.dedup_key, message.status) == (f"list_entry:{mirror.pk}:published", RobotMessage.Status.SENT)
    listed = robot_receiver.calls[-1].body["markdown"]["content"]
    assert listed.startswith("### Added to the black list:")
    assert "The same person's other account is on the black list" in listed
