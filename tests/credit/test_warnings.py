"""The violations rule, rate-based and warned first (issue 18.8), and the providers' violations rule (18.6):
through the nightly proposal run, the credit page, the API and the warning mail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from credit import params
from credit.models import CreditEvent, CreditWarning, ListEntry
from credit.services import list_entries_propose
from instruments.models import Membership
from tests.credit.factories import record
from tests.factories import MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

K = CreditEvent.Kind


def booking(subject, kind, days_ago: float, ref: int, **kwargs) -> CreditEvent:
    return record(subject, kind, days_ago=days_ago, source_ref=f"booking:{ref}", **kwargs)


def ago(days: float):
    return timezone.now() - timedelta(days=days)


def test_careful_user_with_two_violations_among_many_bookings_is_warned_not_proposed():
    user = UserFactory()
    for n in range(40):
        booking(user, K.BOOKING_FULFILLED, days_ago=200 - 5 * n, ref=n)
    booking(user, K.NO_SHOW, days_ago=100, ref=100)
    booking(user, K.LATE_CANCELLATION, days_ago=90, ref=101)
    assert list_entries_propose(as_of=ago(80)) == []
    (warning,) = CreditWarning.objects.all()
    assert (warning.subject_user_id, warning.status, warning.violations, warning.bookings) == (user.pk, "open", 2, 27)
    booking(user, K.NO_SHOW, days_ago=10, ref=102)  # a third violation after the warning, among 43 bookings
    assert list_entries_propose() == []  # 3 of 43 (7%): under the count and the rate
    assert not ListEntry.objects.exists()
    assert CreditWarning.objects.get().status == "open"  # still one warning, still open


def test_careless_user_is_warned_then_proposed_when_violations_continue():
    user = UserFactory()
    for n in range(8):
        booking(user, K.BOOKING_FULFILLED, days_ago=70 - n, ref=n)
    for n, days in enumerate((60, 50)):
        booking(user, K.NO_SHOW, days_ago=days, ref=100 + n)
    assert list_entries_propose(as_of=ago(45)) == []
    for n, days in enumerate((30, 20, 10)):
        booking(user, K.USAGE_OVERRUN, days_ago=days, ref=200 + n)
    (entry,) = list_entries_propose()
    assert (entry.subject_user_id, entry.list_type, entry.rule) == (user.pk, "black", "violations")
    assert "5 violations in 13 bookings" in entry.reason
    assert CreditWarning.objects.get().status == "escalated"


def test_careless_user_is_proposed_at_the_third_violation_after_the_warning():
    """Warned at the second violation; the third, after the warning's notice, proposes (issue 18.8: a warning
    after the second violation, shown before any proposal)."""
    user = UserFactory()
    for n in range(8):
        booking(user, K.BOOKING_FULFILLED, days_ago=70 - n, ref=n)
    for n, days in enumerate((60, 50)):
        booking(user, K.NO_SHOW, days_ago=days, ref=100 + n)
    assert list_entries_propose(as_of=ago(45)) == []
    assert CreditWarning.objects.get().status == "open"
    booking(user, K.LATE_CANCELLATION, days_ago=20, ref=200)
    (entry,) = list_entries_propose()
    assert (entry.subject_user_id, entry.list_type, entry.rule) == (user.pk, "black", "violations")
    assert "3 violations in 11 bookings" in entry.reason
    assert CreditWarning.objects.get().status == "escalated"


def test_third_violation_inside_the_warnings_notice_is_not_yet_proposed():
    user = UserFactory()
    for n, days in enumerate((60, 50)):
        booking(user, K.NO_SHOW, days_ago=days, ref=100 + n)
    assert list_entries_propose(as_of=ago(12)) == []  # warned 12 days ago
    booking(user, K.NO_SHOW, days_ago=5, ref=102)
    assert list_entries_propose() == []  # the notice (14 days) has not passed
    (entry,) = list_entries_propose(as_of=timezone.now() + timedelta(days=params.WARNING_NOTICE_DAYS))
    assert entry.rule == "violations"


def test_violations_without_an_earlier_warning_are_not_proposed():
    """Five violations found at once: a warning first, the proposal only after the notice and a new violation."""
    user = UserFactory()
    for n, days in enumerate((9, 8, 7, 6, 5)):
        booking(user, K.NO_SHOW, days_ago=days, ref=n)
    assert list_entries_propose() == []
    assert CreditWarning.objects.get().status == "open"
    later = timezone.now() + timedelta(days=params.WARNING_NOTICE_DAYS)
    assert list_entries_propose(as_of=later) == []  # no violation since the warning
    record(user, K.NO_SHOW, days_ago=-1, source_ref="booking:99")  # tomorrow
    (entry,) = list_entries_propose(as_of=later)
    assert entry.rule == "violations"


def test_provider_with_repeated_unjustified_refusals_is_warned_then_proposed():
    unit = UnitFactory()
    for n in range(12):
        booking(unit, K.APPROVED_ON_TIME, days_ago=80 - n, ref=n)
        booking(unit, K.SERVICE_DELIVERED, days_ago=79 - n, ref=n)
    for n, days in enumerate((60, 58, 56, 55)):
        booking(unit, K.REFUSAL_UNJUSTIFIED, days_ago=days, ref=100 + n)
    assert list_entries_propose(as_of=ago(50)) == []
    warning = CreditWarning.objects.get()
    assert (warning.subject_unit_id, warning.status) == (unit.pk, "open")
    for n, days in enumerate((40, 35, 30, 25, 20, 15)):
        booking(unit, K.REFUSAL_UNJUSTIFIED, days_ago=days, ref=200 + n)
    (entry,) = list_entries_propose()
    assert (entry.subject_unit_id, entry.list_type, entry.rule, entry.severity) == (
        unit.pk,
        "black",
        "violations",
        "general",
    )
    assert "10 violations in 22 bookings" in entry.reason
    assert "refusal without a valid reason" in entry.reason


def test_good_provider_answering_one_request_in_twenty_late_is_neither_warned_nor_proposed():
    unit = UnitFactory()
    for n in range(100):
        kind = K.RESPONSE_LATE if n % 20 == 0 else K.APPROVED_ON_TIME
        booking(unit, kind, days_ago=300 - 3 * n, ref=n)
        booking(unit, K.SERVICE_DELIVERED, days_ago=300 - 3 * n, ref=n)
    booking(unit, K.PROVIDER_CANCELLATION, days_ago=5, ref=500)
    assert list_entries_propose() == []
    assert not CreditWarning.objects.exists()


def test_reversed_violations_do_not_count_for_a_warning():
    from credit.services import credit_event_reverse

    user = UserFactory()
    booking(user, K.NO_SHOW, days_ago=5, ref=1)
    mistaken = booking(user, K.NO_SHOW, days_ago=4, ref=2)
    credit_event_reverse(event=mistaken, reason="the provider recorded it by mistake")
    assert list_entries_propose() == []
    assert not CreditWarning.objects.exists()


def test_warning_one_open_per_subject_in_the_database():
    user = UserFactory()
    booking(user, K.NO_SHOW, days_ago=5, ref=1)
    booking(user, K.NO_SHOW, days_ago=4, ref=2)
    list_entries_propose()
    assert list_entries_propose() == []
    assert CreditWarning.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditWarning.objects.create(
            subject_user=user, subject_key=f"user:{user.pk}", issued_at=timezone.now(), violations=2, bookings=2
        )


def test_warning_lapses_after_a_year_and_a_new_one_can_follow():
    user = UserFactory()
    booking(user, K.NO_SHOW, days_ago=400, ref=1)
    booking(user, K.NO_SHOW, days_ago=399, ref=2)
    list_entries_propose(as_of=ago(398))
    booking(user, K.NO_SHOW, days_ago=3, ref=3)
    booking(user, K.NO_SHOW, days_ago=2, ref=4)
    assert list_entries_propose() == []  # the old warning lapsed: no proposal on its strength
    assert sorted(CreditWarning.objects.values_list("status", flat=True)) == ["lapsed", "open"]


def test_warning_shown_on_the_credit_page_of_the_person_and_of_their_unit_admin(client):
    unit = UnitFactory()
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER, user__first_name="Mei").user
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    booking(user, K.NO_SHOW, days_ago=5, ref=1)
    booking(user, K.LATE_CANCELLATION, days_ago=4, ref=2)
    list_entries_propose()
    client.force_login(user)
    page = client.get("/credit/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="credit-warnings"' in page
    assert "2 violations in 2 bookings within a year." in page
    client.force_login(admin)
    page = client.get(f"/credit/mine/?unit={unit.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="member-warnings"' in page
    assert user.get_full_name() in page


def test_warning_in_the_api_for_the_person_and_their_unit_admin_not_for_others(api_client):
    unit = UnitFactory()
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    booking(user, K.NO_SHOW, days_ago=5, ref=1)
    booking(user, K.NO_SHOW, days_ago=4, ref=2)
    list_entries_propose()
    for viewer in (user, admin):
        api_client.force_authenticate(viewer)
        body = api_client.get(f"/api/v1/credit/users/{user.pk}/").json()
        (warning,) = body["private"]["warnings"]
        assert (warning["status"], warning["violations"], warning["bookings"]) == ("open", 2, 2)
    api_client.force_authenticate(UserFactory())
    assert api_client.get(f"/api/v1/credit/users/{user.pk}/").status_code == 404


def test_warning_mailed_to_the_person_and_their_unit_admins_once(django_capture_on_commit_callbacks):
    cache.clear()
    unit = UnitFactory()
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    booking(user, K.NO_SHOW, days_ago=5, ref=1)
    booking(user, K.NO_SHOW, days_ago=4, ref=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        list_entries_propose()
    sent = {address for message in mail.outbox for address in message.to}
    assert sent == {user.email, admin.email}
    assert manager.email not in sent
    mine = next(message for message in mail.outbox if message.to == [user.email])
    assert "You have 2 violations in 2 bookings" in mine.body
    with django_capture_on_commit_callbacks(execute=True):
        list_entries_propose()  # the open warning is not issued again
    assert len(mail.outbox) == 2


def test_provider_warning_mailed_to_the_units_admins(django_capture_on_commit_callbacks):
    cache.clear()
    unit = UnitFactory(name="东湖测试中心", name_en="East Lake Testing Centre")
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    MembershipFactory(unit=unit, role=Membership.Role.MEMBER)
    for n, days in enumerate((9, 8, 7, 6)):
        booking(unit, K.PROVIDER_CANCELLATION, days_ago=days, ref=n)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        list_entries_propose()
    (message,) = mail.outbox
    assert message.to == [admin.email]
    assert "Credit warning for East Lake Testing Centre" in message.subject
    assert "东湖测试中心 的信用警告" in message.subject  # every site language whose catalogue translates it
    assert "4 violations in 4 bookings" in message.body
    assert f"/credit/mine/?unit={unit.pk}" in message.body


def test_serious_damage_warning_mailed_and_shown_in_words_not_as_zero_violations(
    client, django_capture_on_commit_callbacks
):
    """A serious damage warns at once (issue 18.8): the mail and the page say so instead of "0 violations"."""
    cache.clear()
    unit = UnitFactory()
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    booking(user, K.BOOKING_FULFILLED, days_ago=6, ref=1)
    record(user, K.DAMAGE_CONFIRMED, days_ago=5, severity="serious", source="incident")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert list_entries_propose() == []
    warning = CreditWarning.objects.get()
    assert warning.serious_damage
    assert warning.violations == 0
    mine = next(message for message in mail.outbox if message.to == [user.email])
    assert "A serious damage you caused was confirmed." in mine.body
    assert "0 violations" not in mine.body
    theirs = next(message for message in mail.outbox if message.to == [admin.email])
    assert "A serious damage by " in theirs.body
    client.force_login(user)
    page = client.get("/credit/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A confirmed serious damage: after this warning" in page
    assert "0 violations" not in page
