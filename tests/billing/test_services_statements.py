"""Statements and payments through the services: numbering, grouping, due dates, payments, refusals
(each refused write changes nothing), credit facts once, overdue sweep, monthly run, cancellation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from billing import services
from billing.models import Charge, Payment, ProviderBilling, Statement, StatementLine
from billing.selectors import group_by_project, owed_by_project, statement_charges
from credit.models import CreditEvent
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)
from tests.factories import InstrumentFactory, MembershipFactory

from .conftest import local

pytestmark = pytest.mark.django_db
D = Decimal
NOW = local("2026-04-01 10:00")


def snapshot():
    """Everything a refused billing write must leave as it was."""
    return (
        list(Statement.objects.order_by("pk").values_list("pk", "status", "amount_paid", "paid_on")),
        list(StatementLine.objects.order_by("pk").values_list("pk", "voided")),
        list(Payment.objects.order_by("pk").values_list("pk", "status")),
        list(ProviderBilling.objects.values_list("unit_id", "last_statement_number")),
        CreditEvent.objects.filter(kind__in=["payment_on_time", "payment_late", "reversal"]).count(),
    )


@pytest.fixture
def march(used):
    """Three March bookings: two on project A (2 h and 1 h), one without a project code (3 h)."""
    return [
        used(local("2026-03-02 09:00"), hours=2, project_code="A"),
        used(local("2026-03-03 09:00"), hours=1, project_code="A"),
        used(local("2026-03-04 09:00"), hours=3),
    ]


def issue(actor, unit, other_unit, period_end=date(2026, 3, 31), now=NOW):
    return services.statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=period_end, actor=actor,
                                    now=now)  # fmt: skip


def test_statement_bills_unbilled_charges_grouped_by_project(march, unit, other_unit, provider_manager):
    statement = issue(provider_manager, unit, other_unit)

    assert statement.number == 1
    assert statement.total == D("2400.00")
    assert statement.due_date == date(2026, 5, 1)  # 30 days by default
    assert statement.status == "issued"
    groups = group_by_project(statement_charges(statement))
    assert [(g.project_code, g.subtotal, len(g.charges)) for g in groups] == [
        ("A", D("1200.00"), 2),
        ("", D("1200.00"), 1),
    ]


def test_statement_numbers_follow_on_per_provider_and_due_days_apply(used, unit, other_unit, provider_admin):
    services.provider_billing_update(unit=unit, actor=provider_admin, due_days=10)
    used(local("2026-03-02 09:00"))
    first = issue(provider_admin, unit, other_unit, period_end=date(2026, 3, 2))
    used(local("2026-03-05 09:00"))
    second = issue(provider_admin, unit, other_unit, period_end=date(2026, 3, 31))
    third_payer = MembershipFactory().unit
    used(local("2026-03-06 09:00"), user=MembershipFactory(unit=third_payer).user)
    third = issue(provider_admin, unit, third_payer)

    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert second.due_date == date(2026, 4, 11)
    assert first.reference == f"{unit.pk:04d}-000001"


def test_statement_period_end_leaves_later_charges_unbilled(used, unit, other_unit, provider_admin):
    used(local("2026-03-02 09:00"))
    later = used(local("2026-03-20 09:00"))
    statement = issue(provider_admin, unit, other_unit, period_end=date(2026, 3, 10))

    assert statement.total == D("800.00")
    assert not StatementLine.objects.filter(charge__booking=later).exists()


def test_statement_refusals_change_nothing(march, unit, other_unit, provider_admin, payer_admin, outsider, researcher):
    issue(provider_admin, unit, other_unit)
    before = snapshot()
    cases = [
        # twice for the same charges
        (lambda: issue(provider_admin, unit, other_unit), DomainConflictError, "no_unbilled_charges"),
        # not the provider: the payer's admin, an outsider, a plain researcher
        (lambda: issue(payer_admin, unit, other_unit), DomainPermissionError, "not_provider"),
        (lambda: issue(outsider, unit, other_unit), DomainPermissionError, "not_provider"),
        (lambda: issue(researcher, unit, other_unit), DomainPermissionError, "not_provider"),
        # a payer that owes this provider nothing
        (lambda: issue(provider_admin, unit, MembershipFactory().unit), DomainConflictError, "no_unbilled_charges"),
        # to itself, and a period in the future
        (lambda: issue(provider_admin, unit, unit), DomainValidationError, "internal"),
        (lambda: issue(provider_admin, unit, other_unit, period_end=date(2026, 4, 2)), DomainValidationError, None),
    ]
    for call, error, code in cases:
        with pytest.raises(error) as caught:
            call()
        if code:
            assert caught.value.code == code
        assert caught.value.message
    assert snapshot() == before


def test_each_charge_is_billed_once_by_the_database(march, unit, other_unit, provider_admin):
    from django.db import IntegrityError, transaction

    statement = issue(provider_admin, unit, other_unit)
    charge = statement_charges(statement)[0]
    other = Statement.objects.create(
        provider_unit=unit, payer_unit=other_unit, number=99, period_end=date(2026, 3, 31), issued_at=NOW,
        due_date=date(2026, 5, 1), total=D("1"),
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.create(statement=other, charge=charge)
    assert StatementLine.objects.filter(charge=charge).count() == 1


def test_payments_add_up_and_paid_on_time_is_a_credit_fact_once(march, unit, other_unit, provider_admin):
    statement = issue(provider_admin, unit, other_unit)
    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="1000", paid_on=date(2026, 4, 5),
                            reference="T-1", now=local("2026-04-05 12:00"))  # fmt: skip
    statement.refresh_from_db()
    assert (statement.status, statement.amount_paid) == ("partly_paid", D("1000.00"))
    assert not CreditEvent.objects.filter(kind="payment_on_time").exists()

    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="1400.00",
                            paid_on=date(2026, 4, 20), reference="T-2", now=local("2026-04-20 12:00"))  # fmt: skip

    statement.refresh_from_db()
    assert (statement.status, statement.amount_paid, statement.paid_on) == ("paid", D("2400.00"), date(2026, 4, 20))
    event = CreditEvent.objects.get(kind="payment_on_time")
    assert (event.subject_unit, event.source, event.source_ref) == (
        other_unit,
        "statement",
        f"statement:{statement.pk}",
    )
    assert event.counterparty_key == f"unit:{unit.pk}"


def test_payment_refusals_change_nothing(march, unit, other_unit, provider_admin, payer_admin, outsider):
    statement = issue(provider_admin, unit, other_unit)
    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="400", paid_on=date(2026, 4, 1),
                            reference="T-1", now=NOW)  # fmt: skip
    before = snapshot()
    good = {"amount": "100", "paid_on": date(2026, 4, 1), "reference": "X", "now": NOW}
    cases = [
        ({"amount": "2000.01"}, provider_admin, DomainValidationError, "overpayment"),
        ({"amount": "-5"}, provider_admin, DomainValidationError, "negative_amount"),
        ({"amount": "0"}, provider_admin, DomainValidationError, "zero_amount"),
        ({"amount": "10.001"}, provider_admin, DomainValidationError, "too_many_decimals"),
        ({"reference": ""}, provider_admin, DomainValidationError, None),
        ({"paid_on": date(2026, 4, 2)}, provider_admin, DomainValidationError, None),  # in the future
        ({"paid_on": date(2026, 3, 31)}, provider_admin, DomainValidationError, None),  # before issue
        ({}, payer_admin, DomainPermissionError, None),  # the payer cannot record, only declare
        ({}, outsider, DomainNotFoundError, None),
    ]
    for change, actor, error, code in cases:
        with pytest.raises(error) as caught:
            services.payment_record(statement_id=statement.pk, actor=actor, **(good | change))
        if code:
            assert caught.value.code == code
    assert snapshot() == before


def test_payment_on_a_cancelled_statement_is_refused(march, unit, other_unit, provider_admin):
    statement = issue(provider_admin, unit, other_unit)
    services.statement_cancel(statement_id=statement.pk, actor=provider_admin, reason="Wrong rates")
    before = snapshot()
    with pytest.raises(DomainConflictError) as caught:
        services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="10",
                                paid_on=date(2026, 4, 1), reference="X", now=NOW)  # fmt: skip
    assert caught.value.code == "cancelled"
    assert snapshot() == before


def test_cancelled_statement_frees_its_charges_for_the_next_one(march, unit, other_unit, provider_admin):
    first = issue(provider_admin, unit, other_unit)
    services.statement_cancel(statement_id=first.pk, actor=provider_admin, reason="Wrong rates")
    second = issue(provider_admin, unit, other_unit)

    assert second.number == 2
    assert second.total == first.total
    assert StatementLine.objects.filter(statement=first, voided=True).count() == 3
    assert len(statement_charges(Statement.objects.get(pk=first.pk))) == 3  # kept for the record


def test_cancel_refused_once_money_came_in(march, unit, other_unit, provider_admin):
    statement = issue(provider_admin, unit, other_unit)
    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="10", paid_on=date(2026, 4, 1),
                            reference="X", now=NOW)  # fmt: skip
    before = snapshot()
    with pytest.raises(DomainConflictError):
        services.statement_cancel(statement_id=statement.pk, actor=provider_admin, reason="x")
    assert snapshot() == before


def test_declared_payment_counts_once_the_provider_confirms(march, unit, other_unit, provider_admin, payer_admin):
    statement = issue(provider_admin, unit, other_unit)
    declared = services.payment_declare(statement_id=statement.pk, actor=payer_admin, amount="2400.00",
                                        paid_on=date(2026, 4, 1), reference="ICBC 77", now=NOW)  # fmt: skip
    statement.refresh_from_db()
    assert (declared.status, statement.amount_paid, statement.status) == ("declared", D("0"), "issued")

    with pytest.raises(DomainPermissionError):
        services.payment_confirm(payment_id=declared.pk, actor=payer_admin)
    services.payment_confirm(payment_id=declared.pk, actor=provider_admin, now=local("2026-05-10 09:00"))

    statement.refresh_from_db()
    assert (statement.status, statement.paid_on) == ("paid", date(2026, 4, 1))
    # Paid on 1 April (the payer's date), due 1 May: on time, though confirmed after the due date.
    assert CreditEvent.objects.filter(kind="payment_on_time", subject_unit=other_unit).count() == 1
    with pytest.raises(DomainConflictError):
        services.payment_confirm(payment_id=declared.pk, actor=provider_admin)


def test_declared_payment_can_be_turned_down_with_a_reason(march, unit, other_unit, provider_admin, payer_admin):
    statement = issue(provider_admin, unit, other_unit)
    declared = services.payment_declare(statement_id=statement.pk, actor=payer_admin, amount="100",
                                        paid_on=date(2026, 4, 1), reference="?", now=NOW)  # fmt: skip
    with pytest.raises(DomainValidationError):
        services.payment_reject(payment_id=declared.pk, actor=provider_admin, reason="")
    services.payment_reject(payment_id=declared.pk, actor=provider_admin, reason="Nothing arrived")
    declared.refresh_from_db()
    assert (declared.status, declared.rejection_reason) == ("rejected", "Nothing arrived")


def test_overdue_sweep_records_payment_late_once_and_mails_admins_and_requesters(
    march, unit, other_unit, provider_admin, payer_admin, researcher, django_capture_on_commit_callbacks
):
    statement = issue(provider_admin, unit, other_unit)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.statements_mark_overdue(now=local("2026-05-01 23:00")) == []  # due that day: not yet
        marked = services.statements_mark_overdue(now=local("2026-05-02 01:00"))
    assert marked == [statement.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.statements_mark_overdue(now=local("2026-05-03 01:00")) == []

    statement.refresh_from_db()
    assert statement.status == "overdue"
    late = CreditEvent.objects.get(kind="payment_late")
    assert (late.subject_unit, late.source_ref) == (other_unit, f"statement:{statement.pk}")
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([payer_admin.email, researcher.email])
    assert statement.reference in mail.outbox[0].subject

    # Paid late: no second fact, no on-time fact.
    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="2400", paid_on=date(2026, 5, 5),
                            reference="late", now=local("2026-05-05 10:00"))  # fmt: skip
    statement.refresh_from_db()
    assert statement.status == "paid"
    assert CreditEvent.objects.filter(kind="payment_late").count() == 1
    assert not CreditEvent.objects.filter(kind="payment_on_time").exists()


def test_payment_recorded_after_the_sweep_but_made_on_time_reverses_the_late_fact(
    march, unit, other_unit, provider_admin
):
    statement = issue(provider_admin, unit, other_unit)
    services.statements_mark_overdue(now=local("2026-05-03 01:00"))
    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="2400", paid_on=date(2026, 4, 28),
                            reference="on time", now=local("2026-05-04 10:00"))  # fmt: skip

    late = CreditEvent.objects.get(kind="payment_late")
    reversal = CreditEvent.objects.get(kind="reversal")
    assert reversal.details["reverses"] == late.pk
    assert CreditEvent.objects.filter(kind="payment_on_time").count() == 1


def test_statements_overdue_command(march, unit, other_unit, provider_admin, capsys):
    statement = issue(provider_admin, unit, other_unit, now=local("2026-04-01 10:00"))
    Statement.objects.filter(pk=statement.pk).update(due_date=date(2026, 3, 1))

    call_command("statements_overdue")
    call_command("statements_overdue")

    assert "1 statements overdue" in capsys.readouterr().out
    statement.refresh_from_db()
    assert statement.status == "overdue"
    assert CreditEvent.objects.filter(kind="payment_late").count() == 1


def test_monthly_run_issues_for_providers_that_opted_in_only(used, unit, other_unit, provider_admin):
    used(local("2026-03-02 09:00"))
    elsewhere = InstrumentFactory(requires_approval=False, deposit=D("0"))
    used(local("2026-03-03 09:00"), target=elsewhere)
    used(local("2026-04-02 09:00"))  # April: after the period
    services.provider_billing_update(unit=unit, actor=provider_admin, monthly_statements=True)

    issued = services.statements_issue_monthly(now=local("2026-04-03 03:00"))
    again = services.statements_issue_monthly(now=local("2026-04-03 04:00"))

    statement = Statement.objects.get(pk__in=issued)
    assert (statement.provider_unit, statement.payer_unit, statement.period_end) == (
        unit,
        other_unit,
        date(2026, 3, 31),
    )
    assert statement.issued_by is None
    assert statement.total == D("800.00")
    assert again == []
    assert Charge.objects.filter(provider_unit=elsewhere.unit).exclude(statement_lines__isnull=False).count() == 1


def test_owed_by_project_for_the_payer(march, unit, other_unit, provider_admin, used):
    issue(provider_admin, unit, other_unit)
    used(local("2026-04-01 08:00"), hours=1, project_code="B")

    rows = owed_by_project(payer_unit=other_unit)

    assert rows == [
        {"project_code": "A", "on_open_statements": D("1200.00"), "not_billed_yet": D("0.00")},
        {"project_code": "B", "on_open_statements": D("0.00"), "not_billed_yet": D("400.00")},
        {"project_code": "", "on_open_statements": D("1200.00"), "not_billed_yet": D("0.00")},
    ]


def test_adjustment_goes_on_the_next_statement(march, unit, other_unit, provider_admin):
    first = issue(provider_admin, unit, other_unit)
    charge = statement_charges(first)[0]
    services.charge_adjust(charge_id=charge.pk, actor=provider_admin, amount="50", reason="Extra sample prep",
                           now=local("2026-04-01 09:00"))  # fmt: skip
    second = issue(provider_admin, unit, other_unit, period_end=date(2026, 4, 1), now=local("2026-04-01 11:00"))
    assert second.total == D("50.00")
    assert first.total == D("2400.00")


def test_statement_with_credits_outweighing_charges_is_refused(march, unit, other_unit, provider_admin):
    first = issue(provider_admin, unit, other_unit)
    charge = statement_charges(first)[0]
    services.charge_adjust(charge_id=charge.pk, actor=provider_admin, amount="-100", reason="Goodwill",
                           now=local("2026-04-01 09:00"))  # fmt: skip
    before = snapshot()
    with pytest.raises(DomainConflictError) as caught:
        issue(provider_admin, unit, other_unit, period_end=date(2026, 4, 1), now=local("2026-04-01 11:00"))
    assert caught.value.code == "total_not_positive"
    assert snapshot() == before


def test_payment_facts_move_the_paying_units_fulfilment(march, unit, other_unit, provider_admin):
    """The unit's payment component counts once it has payment facts: on time raises it, late lowers it."""
    from credit.recompute import recompute_subject

    before = recompute_subject(f"unit:{other_unit.pk}")
    statement = issue(provider_admin, unit, other_unit)
    services.statements_mark_overdue(now=local("2026-05-03 01:00"))
    late = recompute_subject(f"unit:{other_unit.pk}")
    services.payment_record(statement_id=statement.pk, actor=provider_admin, amount="2400", paid_on=date(2026, 4, 28),
                            reference="on time after all", now=local("2026-05-04 10:00"))  # fmt: skip
    on_time = recompute_subject(f"unit:{other_unit.pk}")

    assert late.fulfilment < before.fulfilment < on_time.fulfilment
    assert late.score < before.score < on_time.score


def test_new_statement_mails_the_paying_units_admins(
    march, unit, other_unit, provider_admin, payer_admin, researcher, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue(provider_admin, unit, other_unit)

    assert [message.to for message in mail.outbox] == [[payer_admin.email]]  # not the requesters: nothing is late
    message = mail.outbox[0]
    assert statement.reference in message.subject
    assert "2400.00" in message.subject
    assert f"/billing/statements/{statement.pk}/" in message.body
    assert "对账单" in message.subject  # both site languages, Chinese after English
