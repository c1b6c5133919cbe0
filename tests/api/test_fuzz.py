"""Schemathesis fuzzes every API operation against the OpenAPI schema, in-process over WSGI.

A seeded database (a verified unit with instruments, bookings, ledger events, a published list
entry, a partner with its own user and booking); every operation runs as a person (knox token, a
unit admin) and as a partner key with every scope. Checks: no 5xx, documented status codes, the
documented content type, bodies matching the documented schema. Bounded (few examples per
operation, derandomized, no deadline) so it runs in about a minute; every failure is collected and
reported at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bookings.services import booking_create
from credit.models import CreditEvent
from partners.models import Partner, Scope
from partners.services import partner_booking_create, partner_key_issue, partner_user_upsert
from sharing_platform.accounts.services import api_token_create
from tests.bookings.factories import local_slot
from tests.credit.factories import ListEntryFactory, record
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 8
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@pytest.fixture
def seeded(db):
    """A small, realistic world; returns the ids fuzzed path parameters are steered towards."""
    unit = UnitFactory()
    admin = MembershipFactory(unit=unit, role="admin").user
    booker = UserFactory()
    instruments = [InstrumentFactory(unit=unit, requires_approval=False) for _ in range(2)]
    bookings = []
    for days, instrument in enumerate(instruments, start=2):
        start, end = local_slot(days=days, hour=10)
        bookings.append(booking_create(instrument=instrument, requester=booker, start=start, end=end, purpose="XRD"))
        start, end = local_slot(days=days, hour=14)
        bookings.append(booking_create(instrument=instrument, requester=admin, start=start, end=end, purpose="SEM"))
    record(booker, CreditEvent.Kind.NO_SHOW, source_ref="booking:seed")
    record(unit, CreditEvent.Kind.SERVICE_DELIVERED, source_ref="booking:seed")
    now = timezone.now()
    entry = ListEntryFactory(
        subject=booker, status="published", published_at=now - timedelta(days=1), expires_at=now + timedelta(days=90)
    )
    partner = Partner.objects.create(name="Fuzz Partner")
    _key, raw_key = partner_key_issue(partner=partner, name="fuzz", scopes=list(Scope.values), expires_at=None)
    partner_user_upsert(partner=partner, external_id="stu-1", email="stu1@example.edu", name="Stu")
    start, end = local_slot(days=5, hour=9)
    partner_booking = partner_booking_create(
        partner=partner, external_id="stu-1", instrument_id=instruments[0].pk, start=start, end=end, purpose="AFM"
    )
    ids = {
        unit.pk,
        admin.pk,
        booker.pk,
        entry.pk,
        partner_booking.pk,
        *(i.pk for i in instruments),
        *(b.pk for b in bookings),
    }
    return {"admin": admin, "raw_key": raw_key, "ids": sorted(ids)}


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Django's WSGI handler closes "old" connections around each request, which would close the
    test transaction's connection on PostgreSQL; the test client disconnects the same receivers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation, headers: dict, ids: list[int]) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(), seeded_id=st.sampled_from(ids), steer=st.booleans())
    def run(case, seeded_id, steer):
        if steer:  # half the cases reach real objects instead of random ids
            for name in case.path_parameters or {}:
                case.path_parameters[name] = seeded_id
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.django_db
def test_fuzz_every_operation_as_person_and_partner(seeded, wsgi_keeps_the_test_connection):
    operations = _operations()
    assert len(operations) > 80
    failures = []
    for operation in operations:
        AuthToken.objects.filter(user=seeded["admin"]).delete()  # a fresh token: logout may have ended the last
        token = api_token_create(user=seeded["admin"])[1]
        for identity, headers in [
            ("token", {"Authorization": f"Token {token}"}),
            ("partner key", {"Authorization": f"Api-Key {seeded['raw_key']}"}),
        ]:
            try:
                _fuzz(operation, headers, seeded["ids"])
            except (Exception, BaseExceptionGroup) as error:  # schemathesis raises a BaseExceptionGroup
                # collected, reported all at once below
                failures.append(f"{operation.label} as {identity}: {type(error).__name__}: {str(error)[:700]}")
    print("\n\n".join(failures))  # noqa: T201 -- the whole list, readable in CI logs
    assert not failures, f"{len(failures)} operations failed (listed above)"
