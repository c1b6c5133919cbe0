"""The billing pages' lists (the provider's desk, the payer's statements) keep the same number of queries
as they grow (2 days of use and statements, then 6), and list every row they must."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from billing.services import payment_declare, statement_issue
from tests.query_counts import ids_in, queries_of

from .conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def grow(used, unit, other_unit, provider_admin, payer_admin):
    """Each day: a used booking (a charge), a statement up to that day, and a payment declared on it."""
    made = {"charges": [], "statements": []}

    def add(days):
        for day in days:
            booking = used(local(f"2026-03-{day:02d} 09:00"))
            made["charges"] += list(booking.charges.values_list("pk", flat=True))
            statement = statement_issue(
                provider_unit=unit, payer_unit=other_unit, period_end=date(2026, 3, day), actor=provider_admin
            )
            payment_declare(statement_id=statement.pk, actor=payer_admin, amount="100", paid_on=timezone.localdate(),
                            reference=f"BANK-{day}")  # fmt: skip
            made["statements"].append(statement.pk)
        return made

    return add


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_provider_desk_query_count_does_not_grow(client, grow, unit, provider_admin, django_assert_num_queries):
    url = f"/billing/provider/{unit.pk}/"
    client.force_login(provider_admin)
    made = grow(range(2, 4))
    _page(client, url)  # the session's first read is not part of the pinned count
    few, body = queries_of(lambda: _page(client, url))
    assert ids_in(body, [f"/billing/statements/{pk}/" for pk in made["statements"]]) == []
    assert ids_in(body, [f"/billing/charges/{pk}/" for pk in made["charges"]]) == []
    assert body.count("BANK-") == 2  # the declared payments awaiting confirmation
    made = grow(range(4, 8))
    with django_assert_num_queries(few):
        body = _page(client, url)
    assert ids_in(body, [f"/billing/statements/{pk}/" for pk in made["statements"]]) == []
    assert ids_in(body, [f"/billing/charges/{pk}/" for pk in made["charges"]]) == []
    assert body.count("BANK-") == 6


def test_payer_statements_query_count_does_not_grow(client, grow, other_unit, payer_admin, django_assert_num_queries):
    url = f"/billing/owed/{other_unit.pk}/"
    client.force_login(payer_admin)
    made = grow(range(2, 4))
    _page(client, url)
    few, body = queries_of(lambda: _page(client, url))
    assert ids_in(body, [f"/billing/statements/{pk}/" for pk in made["statements"]]) == []
    made = grow(range(4, 8))
    with django_assert_num_queries(few):
        body = _page(client, url)
    assert ids_in(body, [f"/billing/statements/{pk}/" for pk in made["statements"]]) == []
    assert len(made["statements"]) == 6
