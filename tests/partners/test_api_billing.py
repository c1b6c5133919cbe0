"""Partners and billing: the charges and statements of the partner's users under the
billing:read scope, never other people's lines, and the statement.issued webhook to a real receiver."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from billing.services import statement_issue
from instruments.models import Membership
from partners.models import WebhookDelivery
from partners.services import partner_user_upsert
from tests.billing.conftest import local, use
from tests.factories import InstrumentFactory, MembershipFactory

from .conftest import key_client
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
def billed(unit, other_unit, partner, other_partner):
    """At `unit`'s instrument: one booking each by a user of `partner`, of `other_partner`, and by a plain
    member, all three of `other_unit` (the paying unit)."""
    instrument = InstrumentFactory(unit=unit, requires_approval=False, deposit=0)
    people = {}
    for name, owner in (("mine", partner), ("theirs", other_partner)):
        link, _created = partner_user_upsert(partner=owner, external_id=f"ext-{name}", email=f"{name}@example.edu")
        MembershipFactory(user=link.user, unit=other_unit)
        people[name] = link.user
    people["plain"] = MembershipFactory(unit=other_unit).user
    for day, name in enumerate(("mine", "theirs", "plain"), start=2):
        use(instrument, people[name], local(f"2026-03-{day:02d} 09:00"), hours=1, project_code=f"P-{name}")
    return people


def test_partner_billing_needs_the_billing_read_scope(billed, issue_key):
    _key, raw = issue_key(["bookings:write"])
    response = key_client(raw).get("/api/v1/partner/charges/")
    assert response.status_code == 403
    assert "billing:read" in response.json()["detail"]
    assert APIClient().get("/api/v1/partner/charges/").status_code == 401


def test_partner_sees_only_its_users_charges_and_lines(billed, issue_key, unit, other_unit):
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=date(2026, 3, 31), actor=admin)
    _key, raw = issue_key(["billing:read"])
    client = key_client(raw)

    charges = client.get("/api/v1/partner/charges/").json()["results"]
    assert [(c["external_id"], c["project_code"], c["amount"], c["billed"]) for c in charges] == [
        ("ext-mine", "P-mine", "400.00", True)]  # fmt: skip

    statements = client.get("/api/v1/partner/statements/").json()["results"]
    assert [s["id"] for s in statements] == [statement.pk]
    assert statements[0]["total"] == "1200.00"  # the statement's own total...
    assert [c["external_id"] for c in statements[0]["charges"]] == ["ext-mine"]  # ...but only our users' lines
    detail = client.get(f"/api/v1/partner/statements/{statement.pk}/").json()
    assert [c["project_code"] for c in detail["charges"]] == ["P-mine"]


def test_partner_statement_of_other_people_is_404(unit, other_unit, issue_key):
    instrument = InstrumentFactory(unit=unit, requires_approval=False, deposit=0)
    use(instrument, MembershipFactory(unit=other_unit).user, local("2026-03-02 09:00"), hours=1)
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=date(2026, 3, 31), actor=admin)
    _key, raw = issue_key(["billing:read"])
    assert key_client(raw).get(f"/api/v1/partner/statements/{statement.pk}/").status_code == 404
    assert key_client(raw).get("/api/v1/partner/statements/").json()["results"] == []


def test_statement_issued_webhook_to_each_partner_with_its_lines(
    billed, partner_api, other_partner_api, receiver, unit, other_unit, django_capture_on_commit_callbacks
):
    mine = register(partner_api, receiver.url, events=["statement.issued"])
    register(other_partner_api, receiver.url.replace("/hooks", "/other"), events=["statement.issued"])
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    with django_capture_on_commit_callbacks(execute=True):
        statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=date(2026, 3, 31),
                                    actor=admin)  # fmt: skip

    assert len(receiver.received) == 2
    ours = [r for r in receiver.received if _signed_with(mine["secret"], r)]
    assert len(ours) == 1
    payload = verify(mine["secret"], ours[0])
    assert [c["external_id"] for c in payload["data"]["charges"]] == ["ext-mine"]
    assert payload["type"] == "statement.issued"
    assert payload["id"] == f"statement:{statement.pk}"
    assert payload["data"]["statement"]["reference"] == statement.reference
    assert payload["data"]["statement"]["total"] == "1200.00"
    external_ids = sorted(c["external_id"] for r in receiver.received for c in _data(r)["charges"])
    assert external_ids == ["ext-mine", "ext-theirs"]  # each partner got its own user's line only
    assert all(len(_data(r)["charges"]) == 1 for r in receiver.received)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def _signed_with(secret: str, received) -> bool:
    import hashlib
    import hmac

    timestamp = received.headers["x-webhook-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["x-webhook-signature"], f"sha256={expected}")


def _data(received) -> dict:
    import json

    return json.loads(received.body)["data"]
