"""Every operation answers as the OpenAPI schema says, checked by schemathesis in-process over WSGI.

The world (tests/api/world.py) holds every kind of object in its awkward states. Two passes, both
with schemathesis's response checks (no 5xx, a documented status code, the documented content type,
a body matching the documented schema, documented headers), every failure collected and reported
at once:

- a walk: every GET operation, called once with real ids and required parameters, must answer 2xx,
  so each success body is checked against its schema;
- a fuzz: every operation, with generated input, as a person (knox token) and as a partner key.
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
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from instruments.models import Instrument
from sharing_platform.accounts.services import api_token_create

from .world import contract_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
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
# Which seeded object a path's {id} names, by the path's start (first match wins).
PATH_OBJECTS = [
    ("/api/v1/bookings/{id}/reviews/", "completed_booking"),
    ("/api/v1/bookings/{id}/incidents/", "completed_booking"),
    ("/api/v1/bookings/", "booking"),
    ("/api/v1/analytics/instruments/", "instrument"),
    ("/api/v1/analytics/units/", "unit"),
    ("/api/v1/instruments/", "instrument"),
    ("/api/v1/units/", "unit"),
    ("/api/v1/credit/users/", "user"),
    ("/api/v1/credit/units/", "unit"),
    ("/api/v1/partner/bookings/", "partner_booking"),
    ("/api/v1/webhooks/", "endpoint"),
    ("/api/v1/charges/", "charge"),
    ("/api/v1/statements/", "statement"),
    ("/api/v1/payments/", "payment"),
    ("/api/v1/identity-providers/", "identity_provider"),
    ("/api/v1/partner/charges/", "charge"),
    ("/api/v1/partner/statements/", "statement"),
]


@pytest.fixture
def world(db):
    return contract_world()


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


def _partner_only(operation) -> bool:
    security = operation.definition.raw.get("security", [])
    return bool(security) and all(set(requirement) == {"partnerApiKey"} for requirement in security)


def _fresh_token(user) -> str:
    AuthToken.objects.filter(user=user).delete()  # a fresh token: logout may have ended the last
    return api_token_create(user=user)[1]


def _read_inputs(operation, world) -> tuple[dict, dict]:
    """Real path ids and the query parameters a read needs."""
    path = operation.path
    ids = world.ids
    path_parameters = {}
    if "{id}" in path:
        kind = next(kind for prefix, kind in PATH_OBJECTS if path.startswith(prefix))
        path_parameters["id"] = ids[kind]
    if "{code}" in path:  # a division code (regions)
        path_parameters["code"] = "150200"
    now = timezone.localtime()
    query = {}
    if path.endswith("/availability/"):
        query = {"start": now.isoformat(), "end": (now + timedelta(days=14)).isoformat()}
    elif path.endswith("/before-you-buy/"):
        query = {"category": Instrument.objects.get(pk=ids["instrument"]).category.code}
    elif path.endswith("/instruments/export/"):
        query = {"unit": ids["unit"]}
    elif path.endswith("/evaluation/"):
        query = {"year": now.year}
    return path_parameters, query


@pytest.mark.django_db
def test_fuzz_every_read_answers_as_documented_with_real_objects(world, wsgi_keeps_the_test_connection):
    reads = [operation for operation in _operations() if operation.method.upper() == "GET"]
    assert len(reads) > 35
    token = _fresh_token(world.admin)  # a platform admin who also administers the provider unit
    failures = []
    for operation in reads:
        key = _partner_only(operation)
        headers = {"Authorization": f"Api-Key {world.raw_key}" if key else f"Token {token}"}
        path_parameters, query = _read_inputs(operation, world)
        case = operation.Case(path_parameters=path_parameters, query=query)
        response = case.call(headers=headers)
        try:
            assert 200 <= response.status_code < 300, f"answered {response.status_code}: {response.text[:300]}"
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis raises a BaseExceptionGroup
            failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:700]}")
    print("\n\n".join(failures))  # noqa: T201 -- the whole list, readable in CI logs
    assert not failures, f"{len(failures)} reads failed (listed above)"


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
def test_fuzz_every_operation_as_person_and_partner(world, wsgi_keeps_the_test_connection):
    operations = _operations()
    assert len(operations) > 80
    failures = []
    for operation in operations:
        token = _fresh_token(world.admin)
        for identity, headers in [
            ("token", {"Authorization": f"Token {token}"}),
            ("partner key", {"Authorization": f"Api-Key {world.raw_key}"}),
        ]:
            try:
                _fuzz(operation, headers, world.all_ids)
            except (Exception, BaseExceptionGroup) as error:  # schemathesis raises a BaseExceptionGroup
                # collected, reported all at once below
                failures.append(f"{operation.label} as {identity}: {type(error).__name__}: {str(error)[:700]}")
    print("\n\n".join(failures))  # noqa: T201 -- the whole list, readable in CI logs
    assert not failures, f"{len(failures)} operations failed (listed above)"


@pytest.mark.django_db
def test_fuzz_checks_catch_an_answer_that_breaks_the_schema(user, wsgi_keeps_the_test_connection):
    """The checks bite: the same answer fails against a schema that documents it differently."""
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    raw = loaded.raw_schema
    raw["components"]["schemas"]["Me"]["properties"]["id"] = {"type": "string", "readOnly": True}
    altered = schemathesis.openapi.from_dict(raw)
    altered.app = get_wsgi_application()
    operation = altered["/api/v1/auth/me/"]["GET"]
    case = operation.Case()
    response = case.call(headers={"Authorization": f"Token {_fresh_token(user)}"})
    assert response.status_code == 200
    with pytest.raises(BaseException, match="Response violates schema"):
        case.validate_response(response, checks=[response_schema_conformance])
