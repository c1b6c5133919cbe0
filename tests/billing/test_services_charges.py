"""Charges created from bookings' lifecycle: rates, billing units, surcharges, no-show and late rules,
deposits, idempotency, and corrections as adjustment lines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import Charge, InstrumentBilling
from billing.policy import amount_parse, billed_hours, money
from billing.services import charge_adjust, instrument_billing_update
from bookings import services as booking_services
from instruments.models import Membership
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError, DomainValidationError
from tests.bookings.factories import policy_set
from tests.factories import MembershipFactory

from .conftest import book, local

pytestmark = pytest.mark.django_db
D = Decimal


def test_money_rounds_half_up_to_the_fen():
    assert money(D("0.005")) == D("0.01")
    assert money(D("2.675")) == D("2.68")
    assert money(D("1.004")) == D("1.00")


def test_billed_hours_round_up_to_the_billing_unit():
    assert billed_hours(D("1.10"), 30) == D("1.50")
    assert billed_hours(D("1.50"), 30) == D("1.50")
    assert billed_hours(D("0.01"), 60) == D("1.00")
    assert billed_hours(D("1.26"), 15) == D("1.50")
    assert billed_hours(D("1.01"), 0) == D("1.02")  # 60.6 minutes -> 61 minutes


@pytest.mark.parametrize("value", ["12.345", "1e-3", "abc", "", "NaN", "Infinity"])
def test_amount_parse_refuses_more_than_two_decimals_and_non_numbers(value):
    with pytest.raises(DomainValidationError):
        amount_parse(value)


def test_charge_on_check_out_uses_actual_hours_rounded_up_and_external_rate(used, researcher, other_unit, unit):
    booking = used(local("2026-03-02 09:00"), hours=3, actual="1.10", project_code="NSFC-123")

    charge = Charge.objects.get(booking=booking)
    assert charge.kind == "usage"
    assert charge.hours == D("1.50")
    assert charge.rate_kind == "external"
    assert charge.rate == D("400.00")
    assert charge.amount == D("600.00")
    assert charge.payer_unit == other_unit
    assert charge.provider_unit == unit
    assert charge.project_code == "NSFC-123"
    assert charge.incurred_at == local("2026-03-02 10:06")


def test_charge_internal_rate_for_members_of_the_provider_unit(used, unit):
    member = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    booking = used(local("2026-03-02 09:00"), hours=2, user=member)

    charge = Charge.objects.get(booking=booking)
    assert (charge.rate_kind, charge.rate, charge.amount, charge.payer_unit) == (
        "internal",
        D("200.00"),
        D("400.00"),
        unit,
    )


def test_charge_booked_hours_where_the_instrument_bills_booked_time(used, instrument, unit_admin):
    instrument_billing_update(instrument=instrument, actor=unit_admin, basis="booked")
    booking = used(local("2026-03-02 09:00"), hours=3, actual="0.5")

    assert Charge.objects.get(booking=booking).amount == D("1200.00")


def test_charge_operator_surcharge_when_assisted(used, instrument, unit_admin):
    policy_set(instrument, operator_assistance_offered=True)
    instrument_billing_update(instrument=instrument, actor=unit_admin, operator_surcharge_per_hour="55.50",
                              billing_unit_minutes=0)  # fmt: skip
    booking = used(local("2026-03-02 09:00"), hours=2, actual="1.25", operator_assisted=True)

    charge = Charge.objects.get(booking=booking)
    assert charge.surcharge_rate == D("55.50")
    assert charge.amount == money(D("1.25") * (D("400") + D("55.50")))  # 569.375 -> 569.38


def test_charge_provider_completes_service_nobody_checked_in(instrument, researcher, unit_admin):
    start = local("2026-03-02 09:00")
    booking = book(instrument, researcher, start, hours=2)
    booking_services.booking_complete(booking_id=booking.pk, actor=unit_admin, actual_hours="1.75",
                                      now=start + timedelta(hours=3))  # fmt: skip

    assert Charge.objects.get(booking=booking).amount == D("800.00")  # 1.75 h -> 2 h at 400


def test_no_show_charges_nothing_by_default(instrument, researcher, unit_admin):
    start = local("2026-03-02 09:00")
    booking = book(instrument, researcher, start)
    booking_services.booking_record_no_show(booking_id=booking.pk, actor=unit_admin, now=start + timedelta(hours=1))

    assert not Charge.objects.filter(booking=booking).exists()


def test_no_show_fixed_fee_less_forfeited_deposit(instrument, researcher, unit_admin):
    instrument.deposit = D("100.00")
    instrument.save()
    instrument_billing_update(instrument=instrument, actor=unit_admin, no_show_rule="fixed_fee", no_show_fee="300")
    start = local("2026-03-02 09:00")
    booking = book(instrument, researcher, start)
    assert booking.deposit_state == "held"
    booking_services.booking_record_no_show(booking_id=booking.pk, actor=unit_admin, now=start + timedelta(hours=1))
    # Billed once the no-show is recorded (its window to contest passed): tests/billing/test_no_show_contests.py.
    assert not Charge.objects.filter(booking=booking).exists()
    fact = booking.contestable_facts.get()
    booking_services.contestable_facts_record_due(now=fact.contestable_until)

    charge = Charge.objects.get(booking=booking)
    assert (charge.kind, charge.fee, charge.deposit_applied, charge.amount) == (
        "no_show", D("300.00"), D("100.00"), D("200.00"))  # fmt: skip


def test_late_cancellation_booked_hours_rule(instrument, researcher, unit_admin):
    instrument_billing_update(instrument=instrument, actor=unit_admin, late_cancellation_rule="booked_hours")
    start = local("2026-03-02 09:00")
    booking = book(instrument, researcher, start, hours=1.5)
    booking_services.booking_cancel(booking_id=booking.pk, actor=researcher, now=start - timedelta(hours=2))

    charge = Charge.objects.get(booking=booking)
    assert (charge.kind, charge.hours, charge.amount) == ("late_cancellation", D("1.50"), D("600.00"))


def test_timely_cancellation_charges_nothing(instrument, researcher, unit_admin):
    instrument_billing_update(instrument=instrument, actor=unit_admin, late_cancellation_rule="booked_hours")
    start = local("2026-03-02 09:00")
    booking = book(instrument, researcher, start)
    booking_services.booking_cancel(booking_id=booking.pk, actor=researcher, now=start - timedelta(days=2))

    assert not Charge.objects.filter(booking=booking).exists()


def test_fixed_fee_rule_without_amount_is_refused_and_nothing_changes(instrument, unit_admin):
    with pytest.raises(DomainValidationError) as caught:
        instrument_billing_update(instrument=instrument, actor=unit_admin, no_show_rule="fixed_fee")
    assert caught.value.field == "no_show_fee"
    assert not InstrumentBilling.objects.filter(instrument=instrument).exclude(no_show_rule="none").exists()


def test_adjustment_is_a_new_line_with_reason_and_author(used, unit_admin):
    booking = used(local("2026-03-02 09:00"), hours=2)
    charge = Charge.objects.get(booking=booking)

    adjustment = charge_adjust(charge_id=charge.pk, actor=unit_admin, amount="-150.00", reason="Fault: 30 min lost")

    charge.refresh_from_db()
    assert charge.amount == D("800.00")  # never edited
    assert (adjustment.kind, adjustment.amount, adjustment.adjusts, adjustment.created_by) == (
        "adjustment", D("-150.00"), charge, unit_admin)  # fmt: skip
    assert adjustment.payer_unit == charge.payer_unit
    assert adjustment.project_code == charge.project_code


def test_adjustment_refusals_change_nothing(used, unit_admin, researcher, payer_admin, outsider):
    charge = Charge.objects.get(booking=used(local("2026-03-02 09:00"), hours=2))
    refusals = [
        ({"actor": unit_admin, "amount": "-10.005", "reason": "x"}, DomainValidationError),
        ({"actor": unit_admin, "amount": "0", "reason": "x"}, DomainValidationError),
        ({"actor": unit_admin, "amount": "-800.01", "reason": "x"}, DomainValidationError),
        ({"actor": unit_admin, "amount": "-10", "reason": "  "}, DomainValidationError),
        ({"actor": payer_admin, "amount": "-10", "reason": "x"}, DomainPermissionError),
        ({"actor": researcher, "amount": "-10", "reason": "x"}, DomainNotFoundError),
        ({"actor": outsider, "amount": "-10", "reason": "x"}, DomainNotFoundError),
    ]
    for kwargs, error in refusals:
        with pytest.raises(error):
            charge_adjust(charge_id=charge.pk, **kwargs)
    assert Charge.objects.count() == 1
