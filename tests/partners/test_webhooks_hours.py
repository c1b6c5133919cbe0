"""Hours corrections announced on booking.state_changed (issue 18, last stop): the provider corrects the hours used of
a completed booking of a partner's user through POST /api/v1/bookings/<id>/hours/; the partner's endpoint gets the
recorded and corrected hours, the reason and the overrun the correction left, signed, once; a refused correction
(no reason, after the window) announces nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from bookings import services
from bookings.models import ContestableFact
from instruments.models import Membership
from partners.models import WebhookDelivery
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory
from tests.unchanged import nothing_changed

from .factories import user_body
from .receiver import receiver_start
from .test_webhooks import register, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    receiver = receiver_start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def provider():
    unit = UnitFactory()
    return {
        "manager": MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "instrument": InstrumentFactory(unit=unit, requires_approval=False, hourly_rate_external=Decimal("400.00")),
    }


@pytest.fixture
def partner_user(partner_api):
    user_id = partner_api.post("/api/v1/partner/users/", user_body("stu-7"), format="json").json()["user_id"]
    return get_user_model().objects.get(pk=user_id)


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
    return api_client.post(f"/api/v1/bookings/{booking.pk}/hours/", payload, format="json")


def _corrections():
    return WebhookDelivery.objects.filter(payload__data__action="hours_corrected")


def test_hours_correction_announced_to_the_users_partner_with_the_hours_and_the_pending_overrun(
    partner_api, other_partner_api, partner_user, provider, api_client, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(partner_api, receiver.url)
    register(other_partner_api, receiver.url.replace("/hooks", "/other"))
    booking = _used(provider, partner_user, days_ago=1)
    receiver.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _correct(api_client, provider["manager"], booking, actual_hours="1.5", reason="Left at 11:30")
    assert response.status_code == 200, response.content

    (delivery,) = _corrections()
    fact = ContestableFact.objects.get(booking=booking, kind="usage_overrun")
    assert delivery.endpoint_id == endpoint["id"]
    assert (delivery.event, delivery.status, delivery.attempts) == ("booking.state_changed", "succeeded", 1)
    assert delivery.event_id == f"booking-event:{booking.events.get(action='hours_corrected').pk}"
    (received,) = receiver.received
    payload = verify(endpoint["secret"], received)
    assert payload == delivery.payload
    data = payload["data"]
    assert data["booking"]["id"] == booking.pk
    assert (data["booking"]["external_id"], data["booking"]["state"]) == ("stu-7", "completed")
    assert (data["action"], data["from_state"], data["to_state"]) == ("hours_corrected", "completed", "completed")
    assert data["reason"] == "Left at 11:30"
    assert data["hours"] == {"recorded": "4.00", "corrected": "1.50"}
    assert data["overrun"]["state"] == "pending"
    until = datetime.fromisoformat(data["overrun"]["contestable_until"])
    assert abs(until - fact.contestable_until) < timedelta(milliseconds=1)  # JSON keeps milliseconds
    assert not WebhookDelivery.objects.exclude(endpoint_id=endpoint["id"]).exists()

    # Corrected back up: the pending overrun is withdrawn, and that is announced too (a second fact).
    with django_capture_on_commit_callbacks(execute=True):
        response = _correct(api_client, provider["manager"], booking, actual_hours="3.5", reason="Log shows 13:30")
    assert response.status_code == 200, response.content
    latest = _corrections().order_by("-pk").first()
    assert latest.payload["data"]["hours"] == {"recorded": "1.50", "corrected": "3.50"}
    assert latest.payload["data"]["overrun"]["state"] == "withdrawn"
    assert _corrections().count() == 2


def test_hours_correction_small_without_reason_announced_with_the_recorded_note(
    partner_api, partner_user, provider, api_client, receiver, django_capture_on_commit_callbacks
):
    register(partner_api, receiver.url)
    booking = _used(provider, partner_user, days_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert _correct(api_client, provider["manager"], booking, actual_hours="3.9").status_code == 200
    (delivery,) = _corrections()
    data = delivery.payload["data"]
    assert data["hours"] == {"recorded": "4.00", "corrected": "3.90"}
    assert data["reason"] == "Hours used corrected from 4.00 to 3.90."
    assert data["overrun"] is None


@pytest.mark.parametrize(
    ("days_ago", "payload", "status"),
    [
        (1, {"actual_hours": "1.5"}, 400),  # a large correction needs a reason
        (1, {"actual_hours": "1.5", "reason": "   "}, 400),
        (1, {"actual_hours": "many", "reason": "Left early"}, 400),
        (10, {"actual_hours": "1.5", "reason": "Left early"}, 409),  # after the window to contest
    ],
)
def test_hours_correction_refused_announces_nothing(
    partner_api, partner_user, provider, api_client, receiver, django_capture_on_commit_callbacks, days_ago, payload,
    status,
):  # fmt: skip
    register(partner_api, receiver.url)
    booking = _used(provider, partner_user, days_ago=days_ago)
    receiver.received.clear()
    with nothing_changed(), django_capture_on_commit_callbacks(execute=True):
        response = _correct(api_client, provider["manager"], booking, **payload)
    assert response.status_code == status, response.content
    assert not _corrections().exists()
    assert receiver.received == []


def test_hours_correction_of_a_user_of_no_partner_announces_nothing(
    partner_api, provider, api_client, receiver, django_capture_on_commit_callbacks
):
    register(partner_api, receiver.url)
    booking = _used(provider, MembershipFactory().user, days_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = _correct(api_client, provider["manager"], booking, actual_hours="1.5", reason="Left at 11:30")
    assert response.status_code == 200
    assert not WebhookDelivery.objects.exists()


def _fact_deliveries(action):
    return WebhookDelivery.objects.filter(payload__data__action=action)


def test_overrun_contested_then_dismissed_by_an_administrator_is_announced(
    partner_api, partner_user, provider, api_client, platform_admin, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(partner_api, receiver.url)
    booking = _used(provider, partner_user, days_ago=1)
    response = _correct(api_client, provider["manager"], booking, actual_hours="1", reason="Left at 11:00")
    assert response.status_code == 200, response.content
    fact = ContestableFact.objects.get(booking=booking)
    receiver.received.clear()

    api_client.force_authenticate(partner_user)
    with django_capture_on_commit_callbacks(execute=True):
        contest = {"reason": "I stayed till 14:00"}
        contested = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", contest, format="json")
    assert contested.status_code == 201, contested.content
    (delivery,) = _fact_deliveries("fact_contested")
    assert delivery.event_id == f"contestable-fact:{fact.pk}:contested"
    data = verify(endpoint["secret"], receiver.received[-1])["data"]
    assert (data["action"], data["reason"], data["booking"]["external_id"]) == (
        "fact_contested", "I stayed till 14:00", "stu-7",
    )  # fmt: skip
    assert (data["from_state"], data["to_state"]) == ("completed", "completed")
    assert data["fact"] == {
        **data["fact"], "id": fact.pk, "kind": "usage_overrun", "state": "contested", "reason": "Left at 11:00",
    }  # fmt: skip
    assert data["fact"]["details"]["actual_hours"] == "1.00"

    # A refused decision (no reasons) announces nothing; the decision does, once.
    api_client.force_authenticate(platform_admin)
    decide = f"/api/v1/disputes/{contested.json()['id']}/decide/"
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post(decide, {"decision": "dismissed", "reason": ""}, format="json").status_code == 400
    assert not _fact_deliveries("fact_dismissed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(decide, {"decision": "dismissed", "reason": "The logs show 4 h"}, format="json")
    assert response.status_code == 200, response.content
    (dismissed,) = _fact_deliveries("fact_dismissed")
    assert dismissed.event_id == f"contestable-fact:{fact.pk}:dismissed"
    assert dismissed.status == "succeeded"
    assert (dismissed.payload["data"]["reason"], dismissed.payload["data"]["fact"]["state"]) == (
        "The logs show 4 h", "dismissed",
    )  # fmt: skip
    assert not _fact_deliveries("fact_recorded").exists()


def test_overrun_uncontested_recorded_when_its_window_passed_is_announced_once(
    partner_api, partner_user, provider, api_client, receiver, django_capture_on_commit_callbacks
):
    register(partner_api, receiver.url)
    booking = _used(provider, partner_user, days_ago=1)
    response = _correct(api_client, provider["manager"], booking, actual_hours="1", reason="Left at 11:00")
    assert response.status_code == 200, response.content
    fact = ContestableFact.objects.get(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.contestable_facts_record_due(now=fact.contestable_until) == [fact.pk]
        assert services.contestable_facts_record_due(now=fact.contestable_until + timedelta(days=1)) == []
    (recorded,) = _fact_deliveries("fact_recorded")
    data = recorded.payload["data"]
    assert (data["reason"], data["fact"]["state"]) == ("", "recorded")
    assert abs(datetime.fromisoformat(data["at"]) - fact.contestable_until) < timedelta(milliseconds=1)  # recorded_at
