"""Billing pages through HTTP (Django's test client, real sessions and CSRF-free posts): the provider's
desk, issuing, recording and confirming payments, the payer's view by project code, declaring a
payment, corrections, settings; refusals shown as form errors with nothing changed; English and Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Charge, InstrumentBilling, Payment, ProviderBilling, Statement
from billing.services import payment_declare, statement_issue
from tests.unchanged import nothing_changed

from .conftest import local

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def march(used):
    return [used(local("2026-03-02 09:00"), hours=2, project_code="NSFC-1"), used(local("2026-03-03 09:00"), hours=1)]


def login(client, user):
    client.force_login(user)
    return client


def test_navigation_links_to_billing(client, provider_admin):
    page = login(client, provider_admin).get("/bookings/")
    assert 'href="/billing/"' in page.content.decode()


def test_provider_desk_lists_unbilled_by_payer_and_issues(client, march, unit, other_unit, provider_manager):
    login(client, provider_manager)
    desk = client.get(f"/billing/provider/{unit.pk}/")
    text = desk.content.decode()
    assert desk.status_code == 200
    assert other_unit.display_name in text
    assert "1200.00" in text

    today = timezone.localdate().isoformat()
    response = client.post(f"/billing/provider/{unit.pk}/issue/", {"payer_unit": other_unit.pk, "period_end": today})
    statement = Statement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/billing/statements/{statement.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert statement.reference in page
    assert "NSFC-1" in page
    assert "?format=pdf" in page


def test_issue_twice_shows_the_refusal_and_changes_nothing(client, march, unit, other_unit, provider_admin):
    login(client, provider_admin)
    today = timezone.localdate().isoformat()
    statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(), actor=provider_admin)
    response = client.post(f"/billing/provider/{unit.pk}/issue/", {"payer_unit": other_unit.pk, "period_end": today})
    assert response.status_code == 400
    # the paying unit has nothing unbilled any more, so it is no longer a choice
    assert "errorlist" in response.content.decode()
    assert Statement.objects.count() == 1


def test_provider_pages_hidden_from_payers_and_outsiders(client, march, unit, payer_admin, outsider, researcher):
    for user in (payer_admin, outsider, researcher):
        login(client, user)
        assert client.get(f"/billing/provider/{unit.pk}/").status_code == 404
        today = timezone.localdate().isoformat()
        assert client.post(f"/billing/provider/{unit.pk}/issue/", {"period_end": today}).status_code == 404
    assert not Statement.objects.exists()
    client.logout()
    assert client.get(f"/billing/provider/{unit.pk}/").status_code == 302  # to the login page


def test_record_payment_form_and_bad_amount(client, march, unit, other_unit, provider_admin):
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(),
                                actor=provider_admin)  # fmt: skip
    login(client, provider_admin)
    today = timezone.localdate().isoformat()
    url = f"/billing/statements/{statement.pk}/payments/"
    bad = client.post(url, {"amount": "100.005", "paid_on": today, "reference": "T"})
    assert bad.status_code == 400
    assert "at most two decimals" in bad.content.decode()
    over = client.post(url, {"amount": "5000", "paid_on": today, "reference": "T"})
    assert over.status_code == 400
    assert "more than the 1200.00 CNY still owed" in over.content.decode()
    assert not Payment.objects.exists()
    good = client.post(url, {"amount": "1200.00", "paid_on": today, "reference": "T-77"})
    assert good.status_code == 302
    statement.refresh_from_db()
    assert statement.status == "paid"


def test_payer_sees_owed_by_project_and_declares(client, march, unit, other_unit, provider_admin, payer_admin):
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(),
                                actor=provider_admin)  # fmt: skip
    login(client, payer_admin)
    assert f'href="/billing/owed/{other_unit.pk}/"' in client.get("/billing/").content.decode()
    owed = client.get(f"/billing/owed/{other_unit.pk}/").content.decode()
    assert "NSFC-1" in owed and "800.00" in owed and "1200.00" in owed  # noqa: PT018
    page = client.get(f"/billing/statements/{statement.pk}/").content.decode()
    assert 'data-testid="declare-payment"' in page
    assert 'data-testid="record-payment"' not in page

    today = timezone.localdate().isoformat()
    response = client.post(f"/billing/statements/{statement.pk}/declare/",
                           {"amount": "1200", "paid_on": today, "reference": "ICBC 1"})  # fmt: skip
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.status == "declared"
    # The payer cannot confirm its own declaration.
    with nothing_changed():
        assert client.post(f"/billing/payments/{payment.pk}/confirm/").status_code == 403

    login(client, provider_admin)
    assert (
        f"/billing/payments/{payment.pk}/confirm/"
        in client.get(f"/billing/statements/{statement.pk}/").content.decode()
    )
    client.post(f"/billing/payments/{payment.pk}/confirm/")
    statement.refresh_from_db()
    assert statement.status == "paid"


def test_owed_page_hidden_from_non_admins_of_the_payer(client, march, other_unit, researcher, provider_admin):
    for user in (researcher, provider_admin):
        assert login(client, user).get(f"/billing/owed/{other_unit.pk}/").status_code == 404


def test_reject_declared_payment_needs_a_reason(client, march, unit, other_unit, provider_admin, payer_admin):
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(),
                                actor=provider_admin)  # fmt: skip
    payment = payment_declare(statement_id=statement.pk, actor=payer_admin, amount="100",
                              paid_on=timezone.localdate(), reference="?")  # fmt: skip
    login(client, provider_admin)
    with nothing_changed():
        refused = client.post(f"/billing/payments/{payment.pk}/reject/", {"reason": ""}, follow=True)
    assert refused.redirect_chain == [(f"/billing/statements/{statement.pk}/", 302)]  # back, with the reason asked
    assert "Say why the declared payment is not accepted." in refused.content.decode()
    payment.refresh_from_db()
    assert payment.status == "declared"
    client.post(f"/billing/payments/{payment.pk}/reject/", {"reason": "Nothing on our account"})
    payment.refresh_from_db()
    assert payment.status == "rejected"


def test_cancel_statement_page(client, march, unit, other_unit, provider_admin):
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(),
                                actor=provider_admin)  # fmt: skip
    login(client, provider_admin)
    with nothing_changed():  # still issued, its charges still billed
        assert client.post(f"/billing/statements/{statement.pk}/cancel/", {"reason": ""}).status_code == 400
    assert client.post(f"/billing/statements/{statement.pk}/cancel/", {"reason": "Wrong period"}).status_code == 302
    statement.refresh_from_db()
    assert statement.status == "cancelled"


def test_charge_page_adjustment(client, march, provider_admin, payer_admin):
    charge = Charge.objects.get(booking=march[0])
    login(client, provider_admin)
    bad = client.post(f"/billing/charges/{charge.pk}/", {"amount": "-900", "reason": "too much"})
    assert bad.status_code == 400
    assert "at most 800.00 CNY can be taken off" in bad.content.decode()
    good = client.post(f"/billing/charges/{charge.pk}/", {"amount": "-100", "reason": "Late start by us"})
    assert good.status_code == 302
    assert "Late start by us" in client.get(f"/billing/charges/{charge.pk}/").content.decode()
    login(client, payer_admin)
    assert client.get(f"/billing/charges/{charge.pk}/").status_code == 200
    assert client.post(f"/billing/charges/{charge.pk}/", {"amount": "-1", "reason": "x"}).status_code == 403
    assert Charge.objects.filter(kind="adjustment").count() == 1


def test_settings_pages(client, instrument, unit, provider_admin, provider_manager, payer_admin):
    login(client, provider_manager)
    assert client.get(f"/billing/provider/{unit.pk}/terms/").status_code == 403
    with nothing_changed():  # a manager may not set the unit's terms
        assert client.post(f"/billing/provider/{unit.pk}/terms/", {"due_days": 45}).status_code == 403
    response = client.post(f"/billing/instruments/{instrument.pk}/", {
        "basis": "booked", "billing_unit_minutes": 15, "operator_surcharge_per_hour": "80.00",
        "no_show_rule": "fixed_fee", "no_show_fee": "0", "late_cancellation_rule": "none",
        "late_cancellation_fee": "0"})  # fmt: skip
    assert response.status_code == 400  # a fixed fee of 0
    assert not InstrumentBilling.objects.exclude(no_show_rule="none").exists()
    response = client.post(f"/billing/instruments/{instrument.pk}/", {
        "basis": "booked", "billing_unit_minutes": 15, "operator_surcharge_per_hour": "80.00",
        "no_show_rule": "fixed_fee", "no_show_fee": "250", "late_cancellation_rule": "none",
        "late_cancellation_fee": "0"})  # fmt: skip
    assert response.status_code == 302
    assert InstrumentBilling.objects.get(instrument=instrument).no_show_fee == D("250.00")

    login(client, provider_admin)
    with nothing_changed():
        assert client.post(f"/billing/provider/{unit.pk}/terms/", {"due_days": 400}).status_code == 400
    assert (
        client.post(f"/billing/provider/{unit.pk}/terms/", {"due_days": 45, "monthly_statements": "on"}).status_code
        == 302
    )
    assert ProviderBilling.objects.get(unit=unit).due_days == 45
    login(client, payer_admin)
    assert client.get(f"/billing/instruments/{instrument.pk}/").status_code == 403


def test_statement_page_in_chinese(client, march, unit, other_unit, provider_admin):
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(),
                                actor=provider_admin)  # fmt: skip
    login(client, provider_admin)
    page = client.get(f"/billing/statements/{statement.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "对账单" in page
    assert "按项目编号" in page


def test_home_lists_the_charges_of_my_own_bookings(client, march, researcher):
    page = login(client, researcher).get("/billing/").content.decode()
    assert 'data-testid="my-charges"' in page
    assert "800.00 CNY" in page


def test_admin_lists_billing_records_read_only(client, march, unit, other_unit, provider_admin, platform_admin):
    statement = statement_issue(provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(),
                                actor=provider_admin)  # fmt: skip
    login(client, platform_admin)
    for url in (
        "/admin/billing/charge/",
        "/admin/billing/statement/",
        f"/admin/billing/statement/{statement.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.post(f"/admin/billing/statement/{statement.pk}/change/", {"total": "1"}).status_code == 403
    statement.refresh_from_db()
    assert statement.total == D("1200.00")
