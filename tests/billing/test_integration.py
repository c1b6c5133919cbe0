"""Billing against the real services: statements issued concurrently on PostgreSQL (threads, real
transactions) never bill a charge twice and are numbered without gaps; the overdue beat task run by a
real Celery worker against Redis records payment_late once and mails the people concerned."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections
from rest_framework.test import APIClient

from billing.models import Charge, Statement, StatementLine
from billing.tasks import mark_statements_overdue
from credit.models import CreditEvent
from instruments.models import Membership
from tests.celery_processes import wait_for
from tests.credit.test_celery_worker import broker, worker_factory  # noqa: F401 - fixtures
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory

from .conftest import local, use

THREADS = 8


def _post_all(bodies: list[dict], user) -> list[int]:
    barrier = threading.Barrier(len(bodies))
    results: list[int] = []
    lock = threading.Lock()

    def worker(body):
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=30)
            response = client.post("/api/v1/statements/", body, format="json")
            with lock:
                results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _provider_with_charges(payers: int, per_payer: int = 2):
    provider = UnitFactory()
    admin = MembershipFactory(unit=provider, role=Membership.Role.ADMIN).user
    instrument = InstrumentFactory(unit=provider, requires_approval=False, deposit=Decimal("0"))
    units = [UnitFactory() for _ in range(payers)]
    slot = 0
    for payer in units:
        researcher = MembershipFactory(unit=payer).user
        for _ in range(per_payer):
            slot += 1
            use(instrument, researcher, local("2026-03-02 08:00") + timedelta(hours=2 * slot), hours=1)
    return provider, admin, units


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuing_for_one_payer_bills_each_charge_once():
    provider, admin, (payer,) = _provider_with_charges(payers=1, per_payer=4)
    body = {"provider_unit": provider.pk, "payer_unit": payer.pk, "period_end": "2026-03-31"}

    results = _post_all([body] * THREADS, admin)

    assert sorted(results) == [201] + [409] * (THREADS - 1)
    statement = Statement.objects.get(provider_unit=provider)
    assert statement.number == 1
    assert statement.total == Decimal("1600.00")
    charges = Charge.objects.filter(provider_unit=provider)
    assert StatementLine.objects.filter(charge__in=charges).count() == charges.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuing_for_many_payers_numbers_without_gaps():
    provider, admin, payers = _provider_with_charges(payers=THREADS, per_payer=1)
    bodies = [{"provider_unit": provider.pk, "payer_unit": p.pk, "period_end": "2026-03-31"} for p in payers]

    results = _post_all(bodies, admin)

    assert results == [201] * THREADS
    numbers = sorted(Statement.objects.filter(provider_unit=provider).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    assert StatementLine.objects.count() == THREADS


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_celery_worker_marks_overdue_records_payment_late_once_and_mails(worker_factory):  # noqa: F811
    provider, admin, (payer,) = _provider_with_charges(payers=1, per_payer=1)
    payer_admin = MembershipFactory(unit=payer, role=Membership.Role.ADMIN).user
    client = APIClient()
    client.force_authenticate(admin)
    response = client.post(
        "/api/v1/statements/",
        {"provider_unit": provider.pk, "payer_unit": payer.pk, "period_end": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 201
    statement = Statement.objects.get(pk=response.json()["id"])
    Statement.objects.filter(pk=statement.pk).update(due_date=date(2026, 4, 1))  # long past

    worker = worker_factory()
    mark_statements_overdue.delay()
    wait_for(
        lambda: Statement.objects.filter(pk=statement.pk, status="overdue").exists(),
        timeout=60,
        what=f"the overdue statement\n{worker.output()}",
    )
    # The console mail backend prints each message (its subject is MIME-encoded: it has Chinese in it).
    wait_for(
        lambda: "is not paid in full" in worker.output(),
        timeout=90,
        what=f"the overdue mail\n{worker.output()}",
    )
    mark_statements_overdue.delay()  # a second run changes nothing
    wait_for(
        lambda: worker.output().count("billing.tasks.mark_statements_overdue") >= 4,  # received + succeeded, twice
        timeout=60,
        what=f"the second run\n{worker.output()}",
    )
    late = CreditEvent.objects.filter(kind="payment_late", subject_unit=payer)
    assert late.count() == 1
    assert late.get().source_ref == f"statement:{statement.pk}"
    overdue_mail = worker.output().split("is not paid in full")[0].rsplit("Content-Type:", 1)[1]
    assert f"To: {payer_admin.email}" in worker.output()
    assert "billing.notifications.send_statement_notifications" in worker.output()
    assert worker.output().count("is not paid in full") == 2  # one message each to the payer's admin and the requester
    assert overdue_mail
