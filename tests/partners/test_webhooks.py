"""Webhooks: registration rules, real deliveries to a local HTTP server, signatures, retries, replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from credit.models import CreditEvent, CreditScore, ListEntry
from credit.services import appeal_decide, appeal_submit, list_entries_propose, list_entry_confirm
from instruments.models import Membership
from partners.models import WebhookDelivery, WebhookEndpoint
from partners.signals import tier_change_notify
from tests.credit.factories import ListEntryFactory, record
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory
from tests.unchanged import nothing_changed

from .factories import booking_body, user_body
from .receiver import receiver_start

WEBHOOKS = "/api/v1/webhooks/"


@pytest.fixture
def receiver():
    receiver = receiver_start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def auto_instrument(unit):
    return InstrumentFactory(unit=unit, requires_approval=False)


def register(client, url, events=("booking.state_changed",)):
    response = client.post(WEBHOOKS, {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def verify(secret: str, received) -> dict:
    """What a partner's receiver does (the same code as docs/partners.md)."""
    timestamp = received.headers["x-webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) < 300
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["x-webhook-signature"], f"sha256={expected}")
    payload = json.loads(received.body)
    assert received.headers["x-webhook-id"] == payload["id"]
    return payload


# --- Registration -----------------------------------------------------------------------------


def test_webhook_register_returns_secret_once(partner_api):
    created = register(partner_api, "https://portal.example.edu/hooks")
    assert created["secret"].startswith("whsec_")
    listed = partner_api.get(WEBHOOKS).json()
    assert [row["id"] for row in listed] == [created["id"]]
    assert "secret" not in listed[0]


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("ftp://example.org/x", ["booking.state_changed"]),
        ("not a url", ["booking.state_changed"]),
        ("https://user:pw@example.org/x", ["booking.state_changed"]),
        ("https://example.org/x", []),
        ("https://example.org/x", ["booking.exploded"]),
    ],
)
def test_webhook_register_bad_input_is_400(partner_api, url, events):
    response = partner_api.post(WEBHOOKS, {"url": url, "events": events}, format="json")
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@override_settings(PARTNERS_WEBHOOK_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "https://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_webhook_register_private_address_refused_in_production(partner_api, url):
    response = partner_api.post(WEBHOOKS, {"url": url, "events": ["booking.state_changed"]}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


@override_settings(PARTNERS_WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_webhook_register_public_address_accepted_in_production(partner_api, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    register(partner_api, "https://hooks.example.org/x")


def test_webhook_delete_and_isolation(partner_api, other_partner_api):
    mine = register(partner_api, "https://a.example.org/x")
    theirs = register(other_partner_api, "https://b.example.org/x")
    with nothing_changed():
        assert partner_api.delete(f"{WEBHOOKS}{theirs['id']}/").status_code == 404
    assert partner_api.get(f"{WEBHOOKS}{theirs['id']}/deliveries/").status_code == 404
    assert WebhookEndpoint.objects.get(pk=theirs["id"]).is_active
    assert partner_api.delete(f"{WEBHOOKS}{mine['id']}/").status_code == 204
    assert partner_api.get(WEBHOOKS).json() == []
    assert partner_api.delete(f"{WEBHOOKS}{mine['id']}/").status_code == 404


def test_webhook_register_idempotent(partner_api):
    body = {"url": "https://a.example.org/x", "events": ["booking.state_changed"]}
    first = partner_api.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="w1")
    again = partner_api.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="w1")
    assert again.json() == first.json()
    assert WebhookEndpoint.objects.count() == 1


# --- Deliveries to a real receiver ------------------------------------------------------------


def test_webhook_booking_delivered_signed(
    partner_api, other_partner_api, auto_instrument, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(partner_api, receiver.url)
    register(other_partner_api, receiver.url.replace("/hooks", "/other"))
    partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        booking = partner_api.post("/api/v1/partner/bookings/", booking_body(auto_instrument), format="json").json()
    # Requested, then approved automatically: two facts, two deliveries, none to the other partner.
    assert len(receiver.received) == 2
    payloads = [verify(endpoint["secret"], received) for received in receiver.received]
    assert [p["data"]["action"] for p in payloads] == ["requested", "approved"]
    assert all(p["type"] == "booking.state_changed" for p in payloads)
    assert payloads[1]["data"]["booking"] == {
        **payloads[1]["data"]["booking"],
        "id": booking["id"],
        "external_id": "stu-1",
        "state": "approved",
    }
    assert {r.headers["x-webhook-event"] for r in receiver.received} == {"booking.state_changed"}
    deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint["id"])
    assert {(d.status, d.response_code, d.attempts) for d in deliveries} == {("succeeded", 200, 1)}
    assert all(d.delivered_at for d in deliveries)
    assert not WebhookDelivery.objects.exclude(endpoint_id=endpoint["id"]).exists()

    log = partner_api.get(f"{WEBHOOKS}{endpoint['id']}/deliveries/").json()
    assert [row["status"] for row in log["results"]] == ["succeeded", "succeeded"]


def test_webhook_retried_after_500_until_delivered(
    partner_api, auto_instrument, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(partner_api, receiver.url)
    partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json")
    receiver.statuses = [500, 503]
    body = booking_body(auto_instrument)
    with django_capture_on_commit_callbacks(execute=True):
        partner_api.post("/api/v1/partner/bookings/", body, format="json")
    # The first fact needed three attempts (500, 503, 200); the second went through at once.
    ids = [r.headers["x-webhook-id"] for r in receiver.received]
    assert len(ids) == 4
    assert ids[0] == ids[1] == ids[2] != ids[3]
    for received in receiver.received:
        verify(endpoint["secret"], received)
    first = WebhookDelivery.objects.get(event_id=ids[0])
    assert (first.status, first.attempts, first.response_code) == ("succeeded", 3, 200)


@override_settings(PARTNERS_WEBHOOK_MAX_ATTEMPTS=3)
def test_webhook_gives_up_after_max_attempts_then_admin_replays(
    partner_api, auto_instrument, receiver, django_capture_on_commit_callbacks, platform_admin, client
):
    endpoint = register(partner_api, receiver.url)
    partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json")
    booking = partner_api.post("/api/v1/partner/bookings/", booking_body(auto_instrument), format="json").json()
    receiver.statuses = [500, 500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        partner_api.post(f"/api/v1/partner/bookings/{booking['id']}/cancel/", {}, format="json")
    delivery = WebhookDelivery.objects.get(endpoint_id=endpoint["id"], payload__data__action="cancelled")
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 500)
    assert len(receiver.received) == 3

    client.force_login(platform_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/partners/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)
    assert len(receiver.received) == 4
    verify(endpoint["secret"], receiver.received[-1])


def test_webhook_unreachable_receiver_is_logged(partner_api, auto_instrument, django_capture_on_commit_callbacks):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = register(partner_api, f"http://127.0.0.1:{port}/x")
    partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json")
    with override_settings(PARTNERS_WEBHOOK_MAX_ATTEMPTS=2), django_capture_on_commit_callbacks(execute=True):
        partner_api.post("/api/v1/partner/bookings/", booking_body(auto_instrument), format="json")
    deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint["id"])
    assert deliveries.count() == 2
    assert all(d.status == "failed" and d.response_code is None and d.last_error for d in deliveries)


def test_webhook_internal_address_refused_at_send_time_in_production(
    partner_api, auto_instrument, receiver, django_capture_on_commit_callbacks
):
    register(partner_api, receiver.url)
    partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json")
    with (
        override_settings(PARTNERS_WEBHOOK_ALLOW_PRIVATE_URLS=False, PARTNERS_WEBHOOK_MAX_ATTEMPTS=1),
        django_capture_on_commit_callbacks(execute=True),
    ):
        partner_api.post("/api/v1/partner/bookings/", booking_body(auto_instrument), format="json")
    assert receiver.received == []
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}


def test_webhook_list_entry_published_and_lifted(
    partner_api, unit, platform_admin, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(partner_api, receiver.url, events=["list_entry.published", "list_entry.lifted"])
    entry = ListEntryFactory(subject=unit, status="proposed", list_type="red", severity="")
    with django_capture_on_commit_callbacks(execute=True):
        list_entry_confirm(entry=entry, moderator=platform_admin, reason="confirmed by review")
    assert len(receiver.received) == 1
    payload = verify(endpoint["secret"], receiver.received[0])
    assert payload["type"] == "list_entry.published"
    assert payload["data"]["subject"] == {
        "type": "unit",
        "id": unit.pk,
        "name": unit.name,
        "credit_code": unit.credit_code,
    }
    from credit.services.lists import _end_publication  # the path appeal_decide and repair take

    with django_capture_on_commit_callbacks(execute=True):
        _end_publication(entry, "revoked", timezone.now())
    assert len(receiver.received) == 2
    assert verify(endpoint["secret"], receiver.received[1])["type"] == "list_entry.lifted"


def test_webhook_user_events_only_to_the_users_partner(
    partner_api, other_partner_api, partner, receiver, django_capture_on_commit_callbacks
):
    mine = register(partner_api, receiver.url, events=["credit.tier_changed"])
    register(other_partner_api, receiver.url, events=["credit.tier_changed"])
    user_id = partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json").json()["user_id"]
    now = timezone.now()
    for days, tier in ((2, "good"), (1, "excellent")):
        CreditScore.objects.create(
            subject_user_id=user_id, subject_key=f"user:{user_id}", score=800, tier=tier, record=1, fulfilment=1,
            external=1, identity=1, relationships=1, model_version="t", run_id="00000000-0000-0000-0000-000000000001",
            as_of=now - timedelta(days=days),
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert tier_change_notify(f"user:{user_id}") == 1
        assert tier_change_notify(f"user:{user_id}") == 1  # the same snapshot is sent once per endpoint
    assert len(receiver.received) == 1
    payload = verify(mine["secret"], receiver.received[0])
    assert payload["data"]["subject"] == {"type": "user", "id": user_id, "external_id": "stu-1"}
    assert (payload["data"]["previous_tier"], payload["data"]["tier"]) == ("good", "excellent")
    assert WebhookDelivery.objects.count() == 1


def test_webhook_deliveries_list_fixed_queries(partner_api, partner, django_assert_num_queries):
    endpoint = register(partner_api, "https://a.example.org/x")
    row = WebhookEndpoint.objects.get(pk=endpoint["id"])
    for number in range(5):
        WebhookDelivery.objects.create(endpoint=row, event="booking.state_changed", event_id=f"e{number}", payload={})
    partner_api.get(WEBHOOKS)  # last_used_at written on first use; not part of the pinned count
    # key, endpoint, one page
    with django_assert_num_queries(3):
        page = partner_api.get(f"{WEBHOOKS}{endpoint['id']}/deliveries/?page_size=2").json()
    assert [row["event_id"] for row in page["results"]] == ["e4", "e3"]
    assert page["next"]


@override_settings(PARTNERS_WEBHOOK_MAX_ATTEMPTS=1)
def test_webhook_redirect_not_followed(partner_api, auto_instrument, receiver, django_capture_on_commit_callbacks):
    register(partner_api, receiver.url)
    partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json")
    receiver.statuses = [302, 302]
    with django_capture_on_commit_callbacks(execute=True):
        partner_api.post("/api/v1/partner/bookings/", booking_body(auto_instrument), format="json")
    assert len(receiver.received) == 2  # one per fact, none to /elsewhere
    assert set(WebhookDelivery.objects.values_list("status", "response_code")) == {("failed", 302)}


def test_webhook_mirrored_black_entry_published_and_lifted_with_its_original(
    partner_api, other_partner_api, other_partner, platform_admin, receiver, django_capture_on_commit_callbacks
):
    """A person's black entry mirrored to their other account (rule "person", issue 18.2) reaches the partner of
    that account as list_entry.published, and its end (the original revoked on appeal) as list_entry.lifted."""
    endpoint = register(partner_api, receiver.url, events=["list_entry.published", "list_entry.lifted"])
    register(other_partner_api, receiver.url, events=["list_entry.published", "list_entry.lifted"])
    unit = UnitFactory(status="verified")
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    old = MembershipFactory(unit=unit).user  # not a partner's user: its own entry goes to no partner
    user_id = partner_api.post("/api/v1/partner/users/", user_body("stu-9"), format="json").json()["user_id"]
    fresh = get_user_model().objects.get(pk=user_id)
    MembershipFactory(unit=unit, user=fresh)
    vouching = APIClient()
    vouching.force_authenticate(admin)

    def vouch(account):
        body = {"unit": unit.pk, "user": account.username, "display_name": "Wang Wu", "staff_number": "S-1001"}
        response = vouching.post("/api/v1/identity/vouches/", body, format="json")
        assert response.status_code == 201, response.content

    vouch(old)
    record(old, CreditEvent.Kind.MISUSE_CONFIRMED, days_ago=2, source_ref="booking:990", severity="serious")
    proposed = [entry for entry in list_entries_propose() if entry.subject_user_id == old.pk]
    with django_capture_on_commit_callbacks(execute=True):
        original = list_entry_confirm(entry=proposed[0], moderator=platform_admin, reason="Serious misuse checked")
    assert receiver.received == []  # the original's account is no partner's
    with django_capture_on_commit_callbacks(execute=True):
        vouch(fresh)  # the same person: the entry is mirrored to the partner's account
    mirror = ListEntry.objects.get(subject_user_id=fresh.pk)
    assert (mirror.rule, mirror.status) == ("person", "published")
    assert len(receiver.received) == 1  # the partner of the mirrored account, once
    payload = verify(endpoint["secret"], receiver.received[0])
    assert payload["type"] == "list_entry.published"
    assert (payload["data"]["entry"]["id"], payload["data"]["entry"]["list"]) == (mirror.pk, "black")
    assert payload["data"]["entry"]["rule"] == "person"
    assert payload["data"]["subject"] == {"type": "user", "id": fresh.pk, "external_id": "stu-9"}

    appeal = appeal_submit(entry=original, user=old, reason="The interlock was bypassed before my session")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            appeal=appeal, admin=platform_admin, upheld=True, reason="The service log shows the earlier bypass"
        )
    mirror.refresh_from_db()
    assert mirror.status == "revoked"
    assert len(receiver.received) == 2
    lifted = verify(endpoint["secret"], receiver.received[1])
    assert lifted["type"] == "list_entry.lifted"
    assert (lifted["data"]["entry"]["id"], lifted["data"]["entry"]["status"]) == (mirror.pk, "revoked")
    assert lifted["data"]["subject"]["external_id"] == "stu-9"
    assert not WebhookDelivery.objects.filter(endpoint__partner=other_partner).exists()
