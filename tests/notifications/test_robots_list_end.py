"""The end of a published list entry reaches the group robots told of its publication (issue 18, last stop): an
objection upheld, a repair granted, the period run out (the hourly expire task), a mirror ended with its original;
in the robot's language, with why it ended; once; and never to a robot that was not told of the entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from credit.models import ListEntry
from credit.services import appeal_decide, appeal_submit, list_entry_confirm, repair_request_decide
from credit.services import repair_request_submit as repair_submit
from credit.services.lists import list_entry_robots_notify
from credit.tasks import expire_list_entries_task
from instruments.models import Membership
from notifications.models import RobotEvent, RobotMessage
from tests.credit.factories import ListEntryFactory
from tests.factories import MembershipFactory, UnitFactory, UserFactory

from .test_robots import dingtalk, wecom

pytestmark = pytest.mark.django_db


def _content(call) -> str:
    markdown = call.body["markdown"]
    return markdown.get("content") or markdown["text"]


@pytest.fixture
def moderator():
    return UserFactory(is_staff=True)


@pytest.fixture
def listed_unit():
    unit = UnitFactory(name="化学所", name_en="Institute of Chemistry")
    return unit, MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user


def _published(subject, moderator, **kwargs) -> ListEntry:
    entry = ListEntryFactory(subject=subject, status="proposed", **kwargs)
    return list_entry_confirm(entry=entry, moderator=moderator, reason="Confirmed after review")


def _published_long_ago(subject, moderator, *, days: int, ends_in: timedelta, **kwargs) -> ListEntry:
    """An entry confirmed `days` ago (a published entry's dates are final, even in tests: written so), its
    robots told of it by the service list_entry_confirm calls."""
    now = timezone.now()
    entry = ListEntryFactory(
        subject=subject, status="published", published_at=now - timedelta(days=days), expires_at=now + ends_in,
        moderator=moderator, decision_reason="Confirmed after review", decided_at=now - timedelta(days=days),
        **kwargs,
    )  # fmt: skip
    list_entry_robots_notify(entry)
    return entry


def test_robot_told_when_an_objection_is_upheld_in_each_robots_language(
    robot_receiver, listed_unit, moderator, django_capture_on_commit_callbacks
):
    unit, unit_admin = listed_unit
    chinese = wecom(robot_receiver, unit=unit, events=[RobotEvent.LIST_ENTRY])
    english = dingtalk(robot_receiver, unit=unit, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        entry = _published(unit, moderator)
    later = wecom(robot_receiver, unit=unit, events=[RobotEvent.LIST_ENTRY])  # added after: never told of it
    robot_receiver.calls.clear()

    appeal = appeal_submit(entry=entry, user=unit_admin, reason="The violations were another unit's bookings")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(appeal=appeal, admin=moderator, upheld=True, reason="Bookings of another unit were counted")

    ended = RobotMessage.objects.filter(dedup_key=f"list_entry:{entry.pk}:ended")
    assert {(m.webhook_id, m.status) for m in ended} == {(chinese.pk, "sent"), (english.pk, "sent")}
    assert not RobotMessage.objects.filter(webhook=later).exists()
    texts = {call.path: _content(call) for call in robot_receiver.calls}
    assert len(robot_receiver.calls) == 2
    zh, en = texts["/cgi-bin/webhook/send"], texts["/robot/send"]
    assert zh.startswith("### 移出黑名单\uff1a化学所\n"), zh
    assert "异议成立" in zh
    assert "Bookings of another unit were counted" in zh  # the administrator's words, as written
    assert en.startswith("### Removed from the black list: Institute of Chemistry\n"), en
    assert "Why: an objection to the entry was upheld and the entry was revoked." in en
    assert "Decision: Bookings of another unit were counted" in en
    assert f"Ended: {timezone.localdate().isoformat()}" in en

    # The hourly sweep finds nothing left to tell: once per robot.
    with django_capture_on_commit_callbacks(execute=True):
        expire_list_entries_task.delay()
    assert RobotMessage.objects.filter(dedup_key=f"list_entry:{entry.pk}:ended").count() == 2
    assert len(robot_receiver.calls) == 2


def test_robot_told_when_credit_repair_is_granted_not_when_refused(
    robot_receiver, moderator, django_capture_on_commit_callbacks
):
    person = UserFactory(first_name="Wei", last_name="Li")
    robot = wecom(robot_receiver, user=person, language="en", events=[RobotEvent.LIST_ENTRY])
    with django_capture_on_commit_callbacks(execute=True):
        entry = _published_long_ago(person, moderator, days=800, ends_in=timedelta(days=300))

    refused = repair_submit(entry=entry, user=person, proof_text="Training done", commitment_signed=True)
    with django_capture_on_commit_callbacks(execute=True):
        repair_request_decide(repair=refused, admin=moderator, granted=False, reason="No certificate attached")
    assert not RobotMessage.objects.filter(dedup_key=f"list_entry:{entry.pk}:ended").exists()

    granted = repair_submit(entry=entry, user=person, proof_text="Certificate attached", commitment_signed=True)
    with django_capture_on_commit_callbacks(execute=True):
        repair_request_decide(repair=granted, admin=moderator, granted=True, reason="Training certificate checked")
    message = RobotMessage.objects.get(webhook=robot, dedup_key=f"list_entry:{entry.pk}:ended")
    assert (message.event, message.status) == (RobotEvent.LIST_ENTRY, "sent")
    text = _content(robot_receiver.calls[-1])
    assert text.startswith("### Removed from the black list: Wei Li\n"), text
    assert "Why: credit repair was granted." in text
    assert "Decision: Training certificate checked" in text
    assert "/credit/" in text  # the person's own credit page


def test_robot_told_when_the_publication_runs_out_by_the_hourly_task(
    robot_receiver, listed_unit, moderator, django_capture_on_commit_callbacks
):
    unit, _admin = listed_unit
    robot = wecom(robot_receiver, unit=unit, events=[RobotEvent.LIST_ENTRY])
    gone = -timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        red = _published_long_ago(unit, moderator, days=400, ends_in=gone, list_type="red", severity="")
    quiet = _published_long_ago(UnitFactory(), moderator, days=400, ends_in=gone)  # no robot: nothing to tell

    with django_capture_on_commit_callbacks(execute=True):
        assert expire_list_entries_task.delay().get() == 2
    red.refresh_from_db()
    assert red.status == "expired"
    message = RobotMessage.objects.get(webhook=robot, dedup_key=f"list_entry:{red.pk}:ended")
    assert message.status == "sent"
    text = _content(robot_receiver.calls[-1])
    assert text.startswith("### 移出红名单\uff1a化学所\n"), text
    assert "公示期满" in text
    assert timezone.localtime(red.expires_at).date().isoformat() in text  # the day it ran out
    assert not RobotMessage.objects.filter(dedup_key=f"list_entry:{quiet.pk}:ended").exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert expire_list_entries_task.delay().get() == 0
    assert RobotMessage.objects.filter(dedup_key__endswith=":ended").count() == 1


def test_robot_not_told_of_the_end_of_an_entry_never_published(
    robot_receiver, listed_unit, moderator, django_capture_on_commit_callbacks
):
    """An objection upheld against a proposed entry revokes it; no robot heard of it, none hears of its end."""
    unit, unit_admin = listed_unit
    wecom(robot_receiver, unit=unit)
    entry = ListEntryFactory(subject=unit, status="proposed")
    appeal = appeal_submit(entry=entry, user=unit_admin, reason="Not ours")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(appeal=appeal, admin=moderator, upheld=True, reason="Not theirs")
    entry.refresh_from_db()
    assert entry.status == "revoked"
    assert not RobotMessage.objects.exists()
    assert robot_receiver.calls == []


def test_robot_of_a_mirrored_entry_told_when_the_original_is_revoked(
    robot_receiver, api_client, moderator, django_capture_on_commit_callbacks
):
    """A black entry mirrored to the same person's other account (issue 18.2) ends with its original: that
    account's robot, told of the mirror, is told of its end with the objection's decision."""
    from credit.models import CreditEvent
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
    record(old, CreditEvent.Kind.MISUSE_CONFIRMED, days_ago=2, source_ref="booking:992", severity="serious")
    entry = next(entry for entry in list_entries_propose() if entry.subject_user_id == old.pk)
    original = list_entry_confirm(entry=entry, moderator=moderator, reason="Serious misuse checked")
    with django_capture_on_commit_callbacks(execute=True):
        vouch(fresh)
    mirror = ListEntry.objects.get(subject_user_id=fresh.pk, rule="person")

    appeal = appeal_submit(entry=original, user=old, reason="The interlock was bypassed before my session")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(appeal=appeal, admin=moderator, upheld=True, reason="The service log shows the earlier bypass")
    mirror.refresh_from_db()
    assert mirror.status == "revoked"
    message = RobotMessage.objects.get(webhook=robot, dedup_key=f"list_entry:{mirror.pk}:ended")
    assert message.status == "sent"
    text = _content(robot_receiver.calls[-1])
    assert text.startswith("### Removed from the black list:"), text
    assert "Decision: The service log shows the earlier bypass" in text


def test_robot_that_stopped_wanting_list_entries_or_is_off_is_not_told(
    robot_receiver, listed_unit, moderator, django_capture_on_commit_callbacks
):
    unit, unit_admin = listed_unit
    switched = wecom(robot_receiver, unit=unit, events=[RobotEvent.LIST_ENTRY])
    off = wecom(robot_receiver, unit=unit, events=[RobotEvent.LIST_ENTRY])
    with django_capture_on_commit_callbacks(execute=True):
        entry = _published(unit, moderator)
    switched.events = [RobotEvent.REMINDER]
    switched.save(update_fields=["events"])
    off.enabled = False
    off.save(update_fields=["enabled"])
    appeal = appeal_submit(entry=entry, user=unit_admin, reason="Not ours")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(appeal=appeal, admin=moderator, upheld=True, reason="Not theirs")
    assert not RobotMessage.objects.filter(dedup_key=f"list_entry:{entry.pk}:ended").exists()
