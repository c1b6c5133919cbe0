"""A partner's generator can use the contract: openapi-python-client builds a client from the live
schema, every generated module imports, and a short flow runs through it against a live server (sign
in, list instruments, book, approve as the provider, book for a partner's user with an Idempotency-Key
and replay it)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import uuid
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from bookings.models import Booking
from partners.models import Partner, Scope
from partners.services import partner_key_issue
from tests.bookings.factories import local_slot
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

PASSWORD = "generated-client-Pa55"


@pytest.fixture
def generated_client(live_server, tmp_path):
    """The package openapi-python-client generates from the live schema (imported under a fresh name)."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=60).content)
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter needed to import it
    name = f"platform_client_{uuid.uuid4().hex[:8]}"
    subprocess.run(  # noqa: S603 -- fixed arguments, no outside input
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / name),
            "--config",
            str(config),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        for module in [module for module in sys.modules if module.split(".")[0] == name]:
            del sys.modules[module]


def _import_all(package) -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    for module in names:
        importlib.import_module(module)
    return names


def _world():
    unit = UnitFactory()
    provider = MembershipFactory(unit=unit, role="admin").user
    researcher = UserFactory()
    for person in (provider, researcher):
        person.set_password(PASSWORD)
        person.save()
    instrument = InstrumentFactory(unit=unit, requires_approval=True)
    partner = Partner.objects.create(name="Generated Client Partner")
    _key, raw_key = partner_key_issue(partner=partner, name="gen", scopes=[Scope.BOOKINGS_WRITE], expires_at=None)
    return provider, researcher, instrument, raw_key


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # leaves the database as the next tests expect
def test_generated_client_imports_and_runs_a_flow_against_a_live_server(live_server, generated_client):
    modules = _import_all(generated_client)
    assert sum(".api." in name for name in modules) > 80  # one module per operation, every one imports
    provider, researcher, instrument, raw_key = _world()

    def module(name):
        return importlib.import_module(f"{generated_client.__name__}.{name}")

    models = module("models")
    client_module = module("client")
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # Sign in; a wrong password answers the documented Error, with a code from the enum.
    sign_in = module("api.auth.auth_token_create")
    refused = sign_in.sync(
        client=anonymous, body=models.TokenRequestRequest(username=researcher.username, password="x")
    )
    assert isinstance(refused, models.Error)
    assert refused.code == models.ErrorCodeEnum.INVALID_CREDENTIALS
    token = sign_in.sync(
        client=anonymous, body=models.TokenRequestRequest(username=researcher.username, password=PASSWORD)
    )
    assert isinstance(token, models.Token)
    researcher_client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )

    # List instruments: the paginated catalogue, typed down to the unit's credit tier.
    page = module("api.instruments.instruments_list").sync(client=researcher_client)
    assert isinstance(page, models.PaginatedInstrumentListList)
    assert [row.id for row in page.results] == [instrument.pk]
    assert page.results[0].unit.id == instrument.unit_id

    # Book two hours.
    start, end = local_slot(days=3, hour=10)
    booking = module("api.bookings.bookings_create").sync(
        client=researcher_client,
        body=models.BookingCreateRequest(instrument=instrument.pk, start=start, end=end, purpose="SEM imaging"),
    )
    assert isinstance(booking, models.BookingDetail), booking
    assert booking.state == models.BookingStateEnum.REQUESTED

    # The provider approves it.
    provider_token = sign_in.sync(
        client=anonymous, body=models.TokenRequestRequest(username=provider.username, password=PASSWORD)
    )
    provider_client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=provider_token.token, prefix="Token", raise_on_unexpected_status=True
    )
    approved = module("api.bookings.bookings_approve_create").sync(client=provider_client, id=booking.id)
    assert approved.state == models.BookingStateEnum.APPROVED
    assert [event.to_state for event in approved.history] == ["requested", "approved"]

    # A partner books for one of its users, with an Idempotency-Key, and replays the request.
    partner_client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=raw_key, prefix="Api-Key", raise_on_unexpected_status=True
    )
    user = module("api.partner.partner_users_create").sync(
        client=partner_client, body=models.PartnerUserInputRequest(external_id="stu-7", email="stu7@example.edu")
    )
    assert user.external_id == "stu-7"
    start, end = local_slot(days=4, hour=9)
    body = models.PartnerBookingCreateRequest(
        external_id="stu-7", instrument=instrument.pk, start=start, end=end, purpose="XRD"
    )
    create = module("api.partner.partner_bookings_create")
    first = create.sync_detailed(client=partner_client, body=body, idempotency_key="gen-flow-1")
    again = create.sync_detailed(client=partner_client, body=body, idempotency_key="gen-flow-1")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.id == first.parsed.id
    assert again.parsed.external_id == "stu-7"
    assert Booking.objects.filter(requester__partner_link__external_id="stu-7").count() == 1

    # The same key with another body is refused in the documented shape.
    other = models.PartnerBookingCreateRequest(
        external_id="stu-7",
        instrument=instrument.pk,
        start=start + timedelta(days=1),
        end=end + timedelta(days=1),
        purpose="XRD",
    )
    reused = create.sync(client=partner_client, body=other, idempotency_key="gen-flow-1")
    assert isinstance(reused, models.Error)
    assert reused.code == models.ErrorCodeEnum.IDEMPOTENCY_KEY_REUSED
    assert Booking.objects.count() == 2
    assert timezone.is_aware(approved.start)
