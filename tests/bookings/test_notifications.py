"""Booking notifications: who is mailed what, through the real API flow, with tasks run eagerly."""

from datetime import datetime, timedelta
from smtplib import SMTPServerDisconnected
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone, translation

from bookings import notifications
from bookings.models import Booking, BookingEvent, BookingState
from bookings.notifications import REMINDER_ACTION, send_change_notifications, send_reminders
from bookings.services import booking_create
from instruments.models import Membership
from tests.bookings.factories import local_slot
from tests.factories import InstrumentFactory, MembershipFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _clean_cache():
    # The per-recipient "sent" markers live in the cache; tests must not see each other's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def providers(unit):
    """The instrument's unit: a manager and an admin (mailed) and a plain member (not mailed)."""
    return {
        "manager": MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "admin": MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "member": MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user,
    }


@pytest.fixture
def researcher(db):
    return UserFactory(first_name="Mei", last_name="Zhang")


def slot(hours_ahead: float, minutes: int = 60) -> tuple[datetime, datetime]:
    """A slot starting about ``hours_ahead`` from now, on the hour, never crossing local midnight."""
    start = timezone.localtime(timezone.now() + timedelta(hours=hours_ahead), SHANGHAI)
    start = start.replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(minutes=min(minutes, 59))


def book(api_client, *, user, instrument, hours_ahead: float = 48) -> dict:
    start, end = slot(hours_ahead)
    api_client.force_authenticate(user)
    response = api_client.post(
        "/api/v1/bookings/",
        {"instrument": instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "SEM imaging"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def act(api_client, *, user, booking_id: int, action: str, **payload):
    api_client.force_authenticate(user)
    return api_client.post(f"/api/v1/bookings/{booking_id}/{action}/", payload, format="json")


def recipients(outbox) -> set[str]:
    return {address for message in outbox for address in message.to}


# --- request ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_request_mails_managers_and_unit_admins(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(api_client, user=researcher, instrument=instrument)

    assert recipients(mail.outbox) == {providers["manager"].email, providers["admin"].email}
    assert all(len(message.to) == 1 for message in mail.outbox)  # one mail each: no address leaks
    message = mail.outbox[0]
    assert "Booking request" in message.subject
    assert instrument.display_name in message.subject
    assert "Mei Zhang" in message.body
    assert "SEM imaging" in message.body
    assert f"#{booking['id']}" in message.body
    assert "Asia/Shanghai" in message.body
    assert f"http://localhost:8000/bookings/{booking['id']}/" in message.body  # SITE_URL defaults to localhost
    start = timezone.localtime(datetime.fromisoformat(booking["start"]), SHANGHAI)
    assert start.strftime("%Y-%m-%d %H:%M") in message.body


@pytest.mark.django_db
def test_notifications_request_also_mails_instrument_contact(
    api_client, unit, providers, researcher, django_capture_on_commit_callbacks
):
    instrument = InstrumentFactory(unit=unit, contact_email="sem-lab@example.org", contact_name="SEM desk")
    with django_capture_on_commit_callbacks(execute=True):
        book(api_client, user=researcher, instrument=instrument)
    assert "sem-lab@example.org" in recipients(mail.outbox)
    assert researcher.email not in recipients(mail.outbox)


@pytest.mark.django_db
def test_notifications_refused_request_sends_nothing(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    start, end = slot(48)
    api_client.force_authenticate(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/bookings/",
            {"instrument": instrument.pk, "start": end.isoformat(), "end": start.isoformat(), "purpose": "x"},
            format="json",
        )
    assert response.status_code == 400
    assert mail.outbox == []
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_notifications_auto_approval_tells_both_sides_once(
    api_client, unit, providers, researcher, django_capture_on_commit_callbacks
):
    instrument = InstrumentFactory(unit=unit, requires_approval=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(api_client, user=researcher, instrument=instrument)
    assert booking["state"] == BookingState.APPROVED

    to_requester = [message for message in mail.outbox if message.to == [researcher.email]]
    to_providers = [message for message in mail.outbox if message.to != [researcher.email]]
    assert len(to_requester) == 1
    assert "approved" in to_requester[0].subject.lower()
    assert "automatically" in to_requester[0].body
    assert {message.to[0] for message in to_providers} == {providers["manager"].email, providers["admin"].email}
    assert all("New booking" in message.subject for message in to_providers)


@pytest.mark.django_db
def test_notifications_plain_text_is_not_html_escaped(
    api_client, unit, providers, researcher, django_capture_on_commit_callbacks
):
    instrument = InstrumentFactory(unit=unit, name_en="TEM & EDS <200 kV>", location='Lab "A" & B')
    with django_capture_on_commit_callbacks(execute=True):
        book(api_client, user=researcher, instrument=instrument)
    message = mail.outbox[0]
    assert "TEM & EDS <200 kV>" in message.subject
    assert 'Lab "A" & B' in message.body
    assert "&amp;" not in message.body


def test_notifications_languages_default_first(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    assert notifications.notification_languages() == ["zh-hans", "en"]
    settings.LANGUAGE_CODE = "en"
    assert notifications.notification_languages() == ["en", "zh-hans"]


REMINDER_CONTEXT = {
    "booking_id": 7,
    "instrument_name": "NMR 600",
    "unit_name": "Test Unit",
    "location": "",
    "start_text": "2026-05-01 09:00",
    "start_time_text": "09:00",
    "end_text": "10:00",
    "time_zone": "Asia/Shanghai",
    "requester_name": "Mei Zhang",
    "purpose": "",
    "booking_url": "",
    "queue_url": "",
    "recipient_name": "Mei Zhang",
}


def test_notifications_identical_renderings_appear_once(settings):
    # Two site languages that render the same text (no separate catalogue for en-gb): shown once.
    settings.LANGUAGES = [("en", "English"), ("en-gb", "British English")]
    subject, body = notifications.message_render("reminder", REMINDER_CONTEXT)
    assert subject == "Reminder: NMR 600 on 2026-05-01 09:00"
    assert body.count("Hello Mei Zhang") == 1
    assert body.count("#7") == 1


def test_notifications_render_every_translated_language_default_first():
    subject, body = notifications.message_render("reminder", REMINDER_CONTEXT)
    english, chinese = subject.split(" / ")
    assert english == "Reminder: NMR 600 on 2026-05-01 09:00"
    assert "NMR 600" in chinese
    assert chinese != english
    assert body.index("Hello Mei Zhang") < body.index("Mei Zhang", body.index("Hello Mei Zhang") + 1)


# --- decisions --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_approval_mails_the_requester(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    assert response.status_code == 200, response.json()

    (message,) = mail.outbox
    assert message.to == [researcher.email]
    assert message.subject.startswith("Booking approved")
    assert "has approved your booking" in message.body


@pytest.mark.django_db
def test_notifications_refusal_mails_the_requester_with_the_reason(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api_client, user=providers["admin"], booking_id=booking["id"], action="refuse", reason="Detector repair"
        )
    assert response.status_code == 200, response.json()

    (message,) = mail.outbox
    assert message.to == [researcher.email]
    assert message.subject.startswith("Booking refused")
    assert "Detector repair" in message.body


@pytest.mark.django_db
def test_notifications_forbidden_decision_sends_nothing(
    api_client, instrument, providers, researcher, other_unit_manager, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for outsider in (other_unit_manager, providers["member"], researcher):
            response = act(api_client, user=outsider, booking_id=booking["id"], action="approve")
            assert response.status_code in {403, 404}  # 404 where the booking is not even visible
    assert mail.outbox == []
    assert Booking.objects.get(pk=booking["id"]).state == BookingState.REQUESTED


@pytest.mark.django_db
def test_notifications_illegal_transition_sends_nothing(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument)
    act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    assert response.status_code == 409
    assert mail.outbox == []


# --- cancellation -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_cancellation_by_requester_mails_the_provider(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument, hours_ahead=72)
    act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(api_client, user=researcher, booking_id=booking["id"], action="cancel", reason="Sample lost")
    assert response.status_code == 200, response.json()

    assert recipients(mail.outbox) == {providers["manager"].email, providers["admin"].email}
    message = mail.outbox[0]
    assert message.subject.startswith("Booking cancelled")
    assert "Mei Zhang has cancelled" in message.body
    assert "Sample lost" in message.body
    assert "late cancellation" not in message.body


@pytest.mark.django_db
def test_notifications_late_cancellation_says_so(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument, hours_ahead=6)  # inside the 24 h notice
    act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(api_client, user=researcher, booking_id=booking["id"], action="cancel")
    assert mail.outbox
    assert all("late cancellation" in message.body for message in mail.outbox)


@pytest.mark.django_db
def test_notifications_cancellation_by_provider_mails_the_requester(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument, hours_ahead=72)
    act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api_client, user=providers["admin"], booking_id=booking["id"], action="cancel", reason="Power outage"
        )
    assert response.status_code == 200, response.json()

    (message,) = mail.outbox
    assert message.to == [researcher.email]
    assert "has cancelled the booking" in message.body
    assert "Power outage" in message.body


@pytest.mark.django_db
def test_notifications_withdrawn_request_mails_the_provider(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(api_client, user=researcher, booking_id=booking["id"], action="cancel")
    assert recipients(mail.outbox) == {providers["manager"].email, providers["admin"].email}


# --- moves -------------------------------------------------------------------------------------


def move(api_client, *, user, booking_id: int, hours_ahead: float):
    start, end = slot(hours_ahead)
    api_client.force_authenticate(user)
    response = api_client.post(
        f"/api/v1/bookings/{booking_id}/move/", {"start": start.isoformat(), "end": end.isoformat()}, format="json"
    )
    assert response.status_code in {200, 201}, response.json()
    return response.json()


@pytest.mark.django_db
def test_notifications_move_by_requester_asks_the_provider_again(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument, hours_ahead=72)
    act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = move(api_client, user=researcher, booking_id=booking["id"], hours_ahead=96)

    assert researcher.email not in recipients(mail.outbox)
    for provider in (providers["manager"], providers["admin"]):
        subjects = sorted(message.subject for message in mail.outbox if message.to == [provider.email])
        assert len(subjects) == 2
        assert subjects[0].startswith("Booking cancelled")
        assert subjects[1].startswith("Booking request")
    moved_notice = next(m for m in mail.outbox if m.subject.startswith("Booking cancelled"))
    assert f"#{new['id']}" in moved_notice.body


@pytest.mark.django_db
def test_notifications_move_by_provider_tells_the_requester(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking = book(api_client, user=researcher, instrument=instrument, hours_ahead=72)
    act(api_client, user=providers["manager"], booking_id=booking["id"], action="approve")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = move(api_client, user=providers["manager"], booking_id=booking["id"], hours_ahead=96)

    assert recipients(mail.outbox) == {researcher.email}
    subjects = sorted(message.subject for message in mail.outbox)
    assert [subject.split(":")[0] for subject in subjects] == ["Booking approved", "Booking cancelled"]
    moved_notice = next(m for m in mail.outbox if m.subject.startswith("Booking cancelled"))
    assert f"#{new['id']}" in moved_notice.body


# --- the tasks themselves ---------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_task_is_idempotent(api_client, instrument, providers, researcher):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    assert send_change_notifications.delay(booking["id"], "requested", researcher.pk).get() == 2
    assert send_change_notifications.delay(booking["id"], "requested", researcher.pk).get() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_notifications_task_for_a_missing_booking_sends_nothing(db):
    assert send_change_notifications.delay(10**9, "approved", None).get() == 0
    assert mail.outbox == []


class FlakyBackend(LocmemBackend):
    """Fails the sends numbered in ``fail_on`` (1-based, across connections) with a transient SMTP error."""

    fail_on: frozenset | None = frozenset()  # None: every send fails
    attempts = 0

    def send_messages(self, messages):
        FlakyBackend.attempts += 1
        if FlakyBackend.fail_on is None or FlakyBackend.attempts in FlakyBackend.fail_on:
            raise SMTPServerDisconnected("connection dropped")
        return super().send_messages(messages)


@pytest.fixture
def eager_retries():
    """Eager tasks re-run on retry only when they do not propagate errors (Celery's eager apply())."""
    conf = send_change_notifications.app.conf
    previous = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = previous


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_retries")
def test_notifications_transient_failure_is_retried_without_duplicates(
    api_client, instrument, providers, researcher, settings
):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "tests.bookings.test_notifications.FlakyBackend"
    # The second recipient's send fails once: the retry must not mail the first one again.
    FlakyBackend.fail_on, FlakyBackend.attempts = frozenset({2}), 0
    result = send_change_notifications.delay(booking["id"], "requested", researcher.pk)
    assert result.successful()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [providers["manager"].email, providers["admin"].email]
    )
    assert FlakyBackend.attempts == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_retries")
def test_notifications_retries_are_bounded(api_client, instrument, providers, researcher, settings):
    booking = book(api_client, user=researcher, instrument=instrument)
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "tests.bookings.test_notifications.FlakyBackend"
    FlakyBackend.fail_on, FlakyBackend.attempts = None, 0
    result = send_change_notifications.delay(booking["id"], "requested", researcher.pk)
    assert result.failed()
    assert isinstance(result.result, SMTPServerDisconnected)
    assert FlakyBackend.attempts == send_change_notifications.max_retries + 1
    assert mail.outbox == []


# --- reminders --------------------------------------------------------------------------------


def approved_booking(api_client, *, manager, researcher, instrument, hours_ahead: float) -> int:
    booking = book(api_client, user=researcher, instrument=instrument, hours_ahead=hours_ahead)
    response = act(api_client, user=manager, booking_id=booking["id"], action="approve")
    assert response.status_code == 200, response.json()
    return booking["id"]


@pytest.mark.django_db
def test_reminders_pick_approved_bookings_of_the_next_day_once(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    manager = providers["manager"]
    due = approved_booking(api_client, manager=manager, researcher=researcher, instrument=instrument, hours_ahead=23)
    later = approved_booking(api_client, manager=manager, researcher=researcher, instrument=instrument, hours_ahead=26)
    book(api_client, user=researcher, instrument=instrument, hours_ahead=20)  # requested, not approved
    other_instrument = InstrumentFactory(unit=instrument.unit)
    cancelled = approved_booking(
        api_client, manager=manager, researcher=researcher, instrument=other_instrument, hours_ahead=22
    )
    act(api_client, user=researcher, booking_id=cancelled, action="cancel")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders.delay().get() == 1
    (message,) = mail.outbox
    assert message.to == [researcher.email]
    assert message.subject.startswith("Reminder")
    assert f"#{due}" in message.body
    assert BookingEvent.objects.filter(action=REMINDER_ACTION).values_list("booking_id", flat=True).get() == due
    assert Booking.objects.get(pk=due).state == BookingState.APPROVED

    # A second sweep (or a second beat, or a second worker) reminds nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders.delay().get() == 0
    assert len(mail.outbox) == 1
    assert not BookingEvent.objects.filter(booking_id=later, action=REMINDER_ACTION).exists()


@pytest.mark.django_db
def test_reminders_later_booking_is_reminded_when_it_comes_due(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking_id = approved_booking(
        api_client, manager=providers["manager"], researcher=researcher, instrument=instrument, hours_ahead=30
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders.delay().get() == 0
    booking = Booking.objects.get(pk=booking_id)
    assert notifications.reminder_claim(booking_id=booking_id, now=booking.start - timedelta(hours=23)) is True
    assert notifications.reminder_claim(booking_id=booking_id, now=booking.start - timedelta(hours=22)) is False


@pytest.mark.django_db
def test_reminders_skip_a_booking_cancelled_after_the_claim(
    api_client, instrument, providers, researcher, django_capture_on_commit_callbacks
):
    booking_id = approved_booking(
        api_client, manager=providers["manager"], researcher=researcher, instrument=instrument, hours_ahead=23
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert send_reminders.delay().get() == 1
    act(api_client, user=researcher, booking_id=booking_id, action="cancel")
    mail.outbox.clear()
    for callback in callbacks:
        callback()  # the queued reminder runs only now
    assert mail.outbox == []


@pytest.mark.django_db
def test_reminders_query_count_does_not_grow_per_booking_skipped(
    api_client, instrument, providers, researcher, django_assert_max_num_queries
):
    for hours in (30, 40, 50):
        approved_booking(
            api_client, manager=providers["manager"], researcher=researcher, instrument=instrument, hours_ahead=hours
        )
    with django_assert_max_num_queries(1):  # nothing due: one query
        assert send_reminders.delay().get() == 0


@pytest.mark.django_db
def test_periodic_tasks_are_beat_rows_made_by_migrations_and_name_registered_tasks():
    """One way to schedule: every periodic task is a django-celery-beat row from a migration (none made
    by a process at start-up), and each names a task the worker knows."""
    from django_celery_beat.models import PeriodicTask

    from sharing_platform.celery import app

    rows = {row.name: row for row in PeriodicTask.objects.select_related("interval")}
    reminders = rows["bookings: send reminders (every 15 minutes)"]
    assert reminders.task == "bookings.notifications.send_reminders"
    assert reminders.interval.every == 15
    assert reminders.enabled
    app.loader.import_default_modules()
    unknown = sorted(row.task for row in rows.values() if row.task not in app.tasks)
    assert unknown == []
    assert len(rows) >= 6


def test_notifications_translated_languages_are_all_included(monkeypatch, settings):
    settings.LANGUAGE_CODE = "en"

    def render(template, context):
        language = translation.get_language()
        return f"[{language}] {template.rsplit('/', 1)[-1]}"

    monkeypatch.setattr("bookings.notifications.render._render", render)
    subject, body = notifications.message_render("approved", {})
    assert subject == "[en] approved_subject.txt / [zh-hans] approved_subject.txt"
    assert body.index("[en] approved_body.txt") < body.index("[zh-hans] approved_body.txt")


@pytest.mark.django_db
def test_notifications_name_instrument_and_unit_in_each_message_language(unit):
    """The Chinese part of a mail names the instrument and unit in Chinese, the English part in English
    (they used to carry the sender's language's names in both)."""
    unit.name, unit.name_en = "东方大学分析测试中心", "Eastern University Analysis Centre"
    unit.save()
    instrument = InstrumentFactory(unit=unit, name="激光共聚焦拉曼光谱仪", name_en="Confocal Raman spectrometer")
    requester = MembershipFactory(role=Membership.Role.MEMBER).user
    start, end = local_slot(days=3, hour=10)
    booking = booking_create(instrument=instrument, requester=requester, start=start, end=end, purpose="Raman")
    with translation.override("zh-hans"):  # the sender's language must not leak into the other parts
        context = notifications.booking_context(booking)
    subject, body = notifications.message_render("approved", context)
    english, chinese = subject.split(" / ")
    assert "Confocal Raman spectrometer" in english
    assert "激光共聚焦拉曼光谱仪" not in english
    assert "激光共聚焦拉曼光谱仪" in chinese
    assert "Confocal Raman spectrometer" not in chinese
    english_body, chinese_body = body.split("\n\n\n", 1)
    assert "Eastern University Analysis Centre" in english_body
    assert "东方大学分析测试中心" in chinese_body
    assert "Eastern University Analysis Centre" not in chinese_body
