"""A no-show is one-sided and can be contested (issue 18.1); its charge follows the fact: nothing is billed or
forfeited while it is pending or contested, it is billed when it is recorded (window passed, or upheld), and a
dismissed one costs the requester's unit nothing (a no-show billed before it was dismissed is credited by a
negative adjustment line on the next statement). Through the booking services, the contest and dispute API,
and the statements API the paying unit sees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Charge
from billing.services import charge_for_booking, instrument_billing_update
from bookings import services as booking_services
from bookings.models import ContestableFact
from tests.unchanged import nothing_changed

from .conftest import book

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def fee_and_deposit(instrument, unit_admin):
    """A 300 CNY no-show fee, and a 100 CNY deposit set against it."""
    instrument.deposit = D("100.00")
    instrument.save()
    instrument_billing_update(instrument=instrument, actor=unit_admin, no_show_rule="fixed_fee", no_show_fee="300")
    return instrument


def _no_show(instrument, researcher, unit_admin, *, days_ago: int = 1):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    booking = book(instrument, researcher, start)
    assert booking.deposit_state == "held"
    booking_services.booking_record_no_show(booking_id=booking.pk, actor=unit_admin, now=start + timedelta(hours=1))
    booking.refresh_from_db()
    return booking, booking.contestable_facts.get(kind="no_show")


def _issue(api_client, user, unit, payer):
    api_client.force_authenticate(user)
    today = timezone.localdate().isoformat()
    return api_client.post(
        "/api/v1/statements/",
        {"provider_unit": unit.pk, "payer_unit": payer.pk, "period_end": today},
        format="json",
    )


def _contest(api_client, researcher, fact):
    api_client.force_authenticate(researcher)
    response = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", {"reason": "I was there"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _decide(api_client, admin, dispute_id, decision):
    api_client.force_authenticate(admin)
    return api_client.post(
        f"/api/v1/disputes/{dispute_id}/decide/", {"decision": decision, "reason": "Badge logs"}, format="json"
    )


def test_no_show_pending_is_not_billed_and_is_billed_when_its_window_passes(
    api_client, fee_and_deposit, researcher, unit_admin, unit, other_unit, provider_manager
):
    booking, fact = _no_show(fee_and_deposit, researcher, unit_admin)
    # Pending: no charge, the deposit still held; the provider has nothing to bill the researcher's unit.
    assert booking.deposit_state == "held"
    assert not Charge.objects.filter(booking=booking).exists()
    with nothing_changed():
        response = _issue(api_client, provider_manager, unit, other_unit)
    assert response.status_code == 409
    assert response.json()["code"] == "no_unbilled_charges"

    assert booking_services.contestable_facts_record_due(now=fact.contestable_until) == [fact.pk]
    booking.refresh_from_db()
    assert booking.deposit_state == "forfeited"
    charge = Charge.objects.get(booking=booking)
    assert (charge.kind, charge.fee, charge.deposit_applied, charge.amount) == (
        "no_show", D("300.00"), D("100.00"), D("200.00"))  # fmt: skip
    assert charge.incurred_at == fact.contestable_until  # billed when it was recorded, not at the no-show
    # A second sweep bills nothing more.
    assert booking_services.contestable_facts_record_due(now=fact.contestable_until + timedelta(days=1)) == []
    assert Charge.objects.filter(booking=booking).count() == 1


def test_no_show_contested_is_not_billed_until_upheld(
    api_client, fee_and_deposit, researcher, unit_admin, unit, other_unit, provider_manager, platform_admin
):
    booking, fact = _no_show(fee_and_deposit, researcher, unit_admin)
    dispute_id = _contest(api_client, researcher, fact)
    # Contested, even long after the window: nothing billed.
    assert booking_services.contestable_facts_record_due(now=fact.contestable_until + timedelta(days=10)) == []
    assert not Charge.objects.filter(booking=booking).exists()
    assert _issue(api_client, provider_manager, unit, other_unit).status_code == 409

    assert _decide(api_client, platform_admin, dispute_id, "upheld").status_code == 200
    charge = Charge.objects.get(booking=booking)
    assert (charge.kind, charge.amount) == ("no_show", D("200.00"))
    booking.refresh_from_db()
    assert booking.deposit_state == "forfeited"
    response = _issue(api_client, provider_manager, unit, other_unit)
    assert response.status_code == 201, response.content
    assert response.json()["total"] == "200.00"


def test_no_show_dismissed_is_never_billed_and_the_deposit_comes_back(
    api_client, fee_and_deposit, researcher, unit_admin, unit, other_unit, provider_manager, platform_admin
):
    booking, fact = _no_show(fee_and_deposit, researcher, unit_admin)
    dispute_id = _contest(api_client, researcher, fact)
    # Only a platform admin decides: the provider's attempt changes nothing.
    with nothing_changed():
        assert _decide(api_client, provider_manager, dispute_id, "dismissed").status_code == 403
    assert _decide(api_client, platform_admin, dispute_id, "dismissed").status_code == 200

    fact.refresh_from_db()
    booking.refresh_from_db()
    assert fact.state == ContestableFact.State.DISMISSED
    assert booking.deposit_state == "refunded"
    assert booking_services.contestable_facts_record_due(now=fact.contestable_until + timedelta(days=30)) == []
    assert not Charge.objects.filter(booking=booking).exists()
    api_client.force_authenticate(provider_manager)
    assert api_client.get("/api/v1/charges/", {"booking": booking.pk}).json()["results"] == []
    assert _issue(api_client, provider_manager, unit, other_unit).status_code == 409


def test_no_show_billed_before_its_dismissal_is_credited_on_the_next_statement(
    api_client, fee_and_deposit, used, researcher, unit_admin, unit, other_unit, provider_manager, platform_admin,
    payer_admin,
):  # fmt: skip
    """A no-show charged at the no-show (as billing did before no-shows waited for their window) and already on
    a statement: dismissing it writes a negative adjustment line, by the deciding admin, for what the charge
    still amounts to; the paying unit sees it set against its next statement, and its deposit comes back."""
    booking, fact = _no_show(fee_and_deposit, researcher, unit_admin, days_ago=2)
    legacy = charge_for_booking(booking=booking, kind=Charge.Kind.NO_SHOW, at=fact.occurred_at)
    assert legacy is not None
    assert legacy.amount == D("300.00")  # the deposit was still held: nothing was set against it
    first = _issue(api_client, provider_manager, unit, other_unit)
    assert first.status_code == 201, first.content
    assert first.json()["total"] == "300.00"

    dispute_id = _contest(api_client, researcher, fact)
    assert _decide(api_client, platform_admin, dispute_id, "dismissed").status_code == 200
    credit = Charge.objects.get(booking=booking, kind=Charge.Kind.ADJUSTMENT)
    assert (credit.amount, credit.adjusts_id, credit.created_by) == (D("-300.00"), legacy.pk, platform_admin)
    assert "dismissed" in credit.reason
    booking.refresh_from_db()
    assert booking.deposit_state == "refunded"
    # Deciding again is refused and credits nothing twice.
    with nothing_changed():
        assert _decide(api_client, platform_admin, dispute_id, "dismissed").status_code == 409

    # The credit alone cannot be a statement; with a later use of 800 CNY, the next statement bills 500.
    assert _issue(api_client, provider_manager, unit, other_unit).json()["code"] == "total_not_positive"
    used(timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0) - timedelta(days=1), hours=2)
    second = _issue(api_client, provider_manager, unit, other_unit)
    assert second.status_code == 201, second.content
    assert second.json()["total"] == "500.00"
    api_client.force_authenticate(payer_admin)
    amounts = sorted(
        row["amount"] for row in api_client.get("/api/v1/charges/", {"booking": booking.pk}).json()["results"]
    )
    assert amounts == ["-300.00", "300.00"]
