"""Hours corrected after completion (issue 18.1, what was left): the provider may correct the used hours of a
completed booking within the requester's window to contest, with a reason the requester sees when the hours
move 0.25 h or more; an overrun it makes (booked > 2x used) is a pending fact the requester may contest, one it
undoes is withdrawn; billing corrects the use charge; after the window: 409. Through the API and the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Charge
from bookings import services
from bookings.models import ContestableFact
from credit.models import CreditEvent, subject_key_for
from instruments.models import Membership
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db
URL = "/api/v1/bookings/"


@pytest.fixture
def provider():
    unit = UnitFactory()
    return {
        "unit": unit,
        "manager": MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "instrument": InstrumentFactory(
            unit=unit, hourly_rate_internal=Decimal("200.00"), hourly_rate_external=Decimal("400.00")
        ),
    }


@pytest.fixture
def user():
    return MembershipFactory(role=Membership.Role.MEMBER).user


def _used(provider, user, *, days_ago: int, hours: int = 4):
    """Started `days_ago` days ago at 10:00, checked in at the start and out at the end by the requester."""
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    booking = services.booking_create(
        instrument=provider["instrument"], requester=user, start=start, end=start + timedelta(hours=hours),
        purpose="XRD", now=start - timedelta(days=3),
    )  # fmt: skip
    if booking.state == "requested":
        services.booking_approve(booking_id=booking.pk, actor=provider["manager"], now=start - timedelta(days=2))
    services.booking_check_in(booking_id=booking.pk, actor=user, now=start)
    return services.booking_check_out(booking_id=booking.pk, actor=user, now=start + timedelta(hours=hours))


def _correct(api_client, actor, booking, **payload):
    api_client.force_authenticate(actor)
    return api_client.post(f"{URL}{booking.pk}/hours/", payload, format="json")


def _billed(booking) -> Decimal:
    return sum((charge.amount for charge in Charge.objects.filter(booking=booking)), Decimal(0))


def test_hours_correction_makes_a_pending_overrun_the_requester_sees_and_contests(
    api_client, client, provider, user, django_capture_on_commit_callbacks
):
    booking = _used(provider, user, days_ago=1)
    assert _billed(booking) == Decimal("1600.00")  # 4 h at 400
    assert not booking.contestable_facts.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = _correct(api_client, provider["manager"], booking, actual_hours="1.5", reason="Left at 11:30")
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["actual_hours"]) == Decimal("1.50")

    fact = ContestableFact.objects.get(booking=booking)
    assert (fact.kind, fact.state, fact.reason) == ("usage_overrun", "pending", "Left at 11:30")
    assert (fact.details["actual_hours"], fact.details["booked_hours"]) == ("1.50", "4.00")
    # Nothing reaches the ledger before the window; billing follows the hours at once (1.5 h at 400).
    assert not CreditEvent.objects.filter(subject_key=subject_key_for(user), kind="usage_overrun").exists()
    assert _billed(booking) == Decimal("600.00")
    adjustment = Charge.objects.get(booking=booking, kind="adjustment")
    assert (adjustment.amount, adjustment.created_by) == (Decimal("-1000.00"), provider["manager"])
    assert "Left at 11:30" in adjustment.reason

    # The requester sees it in the API and on the booking page (fact, reason, history), and contests it.
    api_client.force_authenticate(user)
    listed = api_client.get(f"{URL}{booking.pk}/facts/").json()
    assert [(row["kind"], row["state"], row["reason"]) for row in listed] == [
        ("usage_overrun", "pending", "Left at 11:30")
    ]
    client.force_login(user)
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert "Left at 11:30" in page
    assert "Hours used corrected" in page
    assert 'data-testid="hours-correction"' not in page  # the form is the provider's
    contested = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", {"reason": "I stayed till 14:00"}, format="json")
    assert contested.status_code == 201, contested.content

    # Contested: an admin decides; the provider cannot move the hours under it any more.
    with nothing_changed():
        response = _correct(api_client, provider["manager"], booking, actual_hours="1", reason="Even less")
    assert response.status_code == 409
    assert "contested" in response.json()["detail"]


def test_hours_correction_back_up_withdraws_the_pending_overrun(api_client, provider, user):
    booking = _used(provider, user, days_ago=1)
    assert _correct(api_client, provider["manager"], booking, actual_hours="1", reason="Left early").status_code == 200
    fact = ContestableFact.objects.get(booking=booking)
    response = _correct(api_client, provider["manager"], booking, actual_hours="3.5", reason="Badge log: 3.5 h")
    assert response.status_code == 200, response.content
    fact.refresh_from_db()
    assert fact.state == "withdrawn"
    assert _billed(booking) == Decimal("1400.00")  # 3.5 h at 400, through two adjustment lines
    assert services.contestable_facts_record_due(now=timezone.now() + timedelta(days=30)) == []
    assert not CreditEvent.objects.filter(subject_key=subject_key_for(user), kind="usage_overrun").exists()
    # Down again: the same fact is stated anew, with a new window.
    assert _correct(api_client, provider["manager"], booking, actual_hours="1", reason="Misread").status_code == 200
    fact.refresh_from_db()
    assert (fact.state, fact.details["actual_hours"], fact.reason) == ("pending", "1.00", "Misread")
    assert fact.contestable_until > timezone.now() + timedelta(days=4)


def test_hours_correction_small_needs_no_reason(api_client, provider, user):
    booking = _used(provider, user, days_ago=1)
    response = _correct(api_client, provider["manager"], booking, actual_hours="3.9")
    assert response.status_code == 200, response.content
    assert not ContestableFact.objects.filter(booking=booking).exists()  # 3.9 of 4: no overrun


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"actual_hours": "1"}, "reason"),  # 3 h apart without a reason
        ({"actual_hours": "1", "reason": "   "}, "reason"),
        ({"actual_hours": "-1", "reason": "x"}, "actual_hours"),
        ({"actual_hours": "abc", "reason": "x"}, "actual_hours"),
        ({"reason": "x"}, "actual_hours"),
        ({"actual_hours": "4", "reason": "x"}, "actual_hours"),  # already the recorded hours
    ],
)
def test_hours_correction_bad_input_is_400_and_changes_nothing(api_client, provider, user, payload, field):
    booking = _used(provider, user, days_ago=1)
    with nothing_changed():
        response = _correct(api_client, provider["manager"], booking, **payload)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body.get("field") == field or field in [item.get("field") for item in body.get("errors") or []], body


def test_hours_correction_refused_for_the_wrong_people_and_states(api_client, provider, user):
    booking = _used(provider, user, days_ago=1)
    stranger = MembershipFactory(role=Membership.Role.ADMIN).user
    with nothing_changed():
        assert _correct(api_client, user, booking, actual_hours="1", reason="x").status_code == 403
        assert _correct(api_client, stranger, booking, actual_hours="1", reason="x").status_code == 404
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    future = services.booking_create(
        instrument=provider["instrument"], requester=user, start=start, end=start + timedelta(hours=2),
        purpose="XRD",
    )  # fmt: skip
    with nothing_changed():
        assert _correct(api_client, provider["manager"], future, actual_hours="1", reason="x").status_code == 409


def test_hours_correction_after_the_window_is_409_with_the_time_it_closed(api_client, client, provider, user):
    booking = _used(provider, user, days_ago=10)  # five working days have passed
    with nothing_changed():
        response = _correct(api_client, provider["manager"], booking, actual_hours="1", reason="Left early")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "correction_window_closed"
    assert "can be corrected until" in body["detail"]
    client.force_login(provider["manager"])
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert 'data-testid="hours-correction"' not in page
    with nothing_changed():
        response = client.post(f"/bookings/{booking.pk}/hours/", {"actual_hours": "1", "reason": "Left early"})
    assert response.status_code == 302
    assert "can be corrected until" in client.get(response["Location"]).content.decode()


def test_hours_correction_page_form_and_its_refusal(client, provider, user):
    booking = _used(provider, user, days_ago=1)
    client.force_login(provider["manager"])
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert 'data-testid="hours-correction"' in page
    with nothing_changed():
        response = client.post(f"/bookings/{booking.pk}/hours/", {"actual_hours": "1"})
    assert response.status_code == 400
    assert "say why the hours used were 1" in response.content.decode()
    response = client.post(f"/bookings/{booking.pk}/hours/", {"actual_hours": "1", "reason": "Left at 11:00"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.actual_hours == Decimal("1.00")
    assert ContestableFact.objects.get(booking=booking).reason == "Left at 11:00"
    client.force_login(user)
    with nothing_changed():
        assert client.post(f"/bookings/{booking.pk}/hours/", {"actual_hours": "4", "reason": "x"}).status_code == 403


def test_hours_correction_in_chinese(client, provider, user):
    booking = _used(provider, user, days_ago=1)
    client.force_login(provider["manager"])
    page = client.get(f"/bookings/{booking.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "更正使用时长" in page
