"""Instrument registry over the API: who may create, edit and retire, and what bad input gets."""

from decimal import Decimal

import pytest
from django.utils import timezone

from instruments.models import Instrument, Membership, Unit
from tests.errors import error_fields
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory, category_get
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/instruments/"


def detail_url(pk: int) -> str:
    return f"/api/v1/instruments/{pk}/"


def retire_url(pk: int) -> str:
    return f"/api/v1/instruments/{pk}/retire/"


def payload(owner, **overrides) -> dict:
    body = {
        "unit": owner.pk,
        "category": "electron-optics",
        "asset_number": "NEW-001",
        "name": "透射电子显微镜",
        "name_en": "Transmission electron microscope",
        "model_number": "JEM-2100F",
        "manufacturer": "JEOL",
        "original_value": "8500000.00",
        "hourly_rate_internal": "300.00",
        "hourly_rate_external": "600.00",
        "deposit": "2000.00",
        "requires_approval": True,
        "min_credit_score": 600,
    }
    body.update(overrides)
    return body


def snapshot() -> list[tuple]:
    return list(
        Instrument.objects.order_by("pk").values_list("pk", "name", "status", "hourly_rate_external", "unit_id")
    )


ROLES = ["anonymous", "plain_user", "other_unit_manager", "member", "manager", "unit_admin", "platform_admin"]
ALLOWED = {"manager", "unit_admin", "platform_admin"}


@pytest.fixture
def actor_for(db, unit, other_unit):
    def make(role: str):
        if role == "anonymous":
            return None
        if role == "plain_user":
            return UserFactory()
        if role == "platform_admin":
            return UserFactory(is_staff=True)
        if role == "other_unit_manager":
            return MembershipFactory(unit=other_unit, role=Membership.Role.MANAGER).user
        role_value = {
            "member": Membership.Role.MEMBER,
            "manager": Membership.Role.MANAGER,
            "unit_admin": Membership.Role.ADMIN,
        }
        return MembershipFactory(unit=unit, role=role_value[role]).user

    return make


def client_as(api_client, user):
    if user is not None:
        api_client.force_authenticate(user)
    return api_client


@pytest.mark.parametrize("role", ROLES)
def test_instrument_create_permission_matrix(api_client, unit, actor_for, role):
    client = client_as(api_client, actor_for(role))
    before = snapshot()
    response = client.post(LIST_URL, payload(unit), format="json")
    if role in ALLOWED:
        assert response.status_code == 201, response.data
        created = Instrument.objects.get(pk=response.data["id"])
        assert created.unit == unit
        assert created.category == category_get("electron-optics")
        assert response.data["unit"]["id"] == unit.pk
        assert response.data["hourly_rate_external"] == "600.00"
    else:
        assert response.status_code in {401, 403}, response.data
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_instrument_update_permission_matrix(api_client, instrument, actor_for, role):
    client = client_as(api_client, actor_for(role))
    before = snapshot()
    response = client.patch(detail_url(instrument.pk), {"hourly_rate_external": "450.00"}, format="json")
    instrument.refresh_from_db()
    if role in ALLOWED:
        assert response.status_code == 200, response.data
        assert instrument.hourly_rate_external == Decimal("450.00")
    else:
        assert response.status_code in {401, 403}, response.data
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_instrument_put_permission_matrix(api_client, instrument, actor_for, role):
    client = client_as(api_client, actor_for(role))
    before = snapshot()
    body = payload(instrument.unit, asset_number=instrument.asset_number, name="新名字")
    body.pop("unit")
    response = client.put(detail_url(instrument.pk), body, format="json")
    if role in ALLOWED:
        assert response.status_code == 200, response.data
        assert response.data["name"] == "新名字"
    else:
        assert response.status_code in {401, 403}, response.data
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_instrument_retire_permission_matrix(api_client, instrument, actor_for, role):
    client = client_as(api_client, actor_for(role))
    before = snapshot()
    response = client.post(retire_url(instrument.pk), format="json")
    instrument.refresh_from_db()
    if role in ALLOWED:
        assert response.status_code == 200, response.data
        assert instrument.status == Instrument.Status.RETIRED
        assert instrument.retired_at is not None
        assert response.data["status"] == "retired"
    else:
        assert response.status_code in {401, 403}, response.data
        assert snapshot() == before
        assert instrument.retired_at is None


@pytest.mark.parametrize("unit_status", [Unit.Status.PENDING, Unit.Status.SUSPENDED, Unit.Status.REJECTED])
def test_instrument_create_refused_for_manager_of_unverified_unit(api_client, unit_status):
    unverified = UnitFactory(status=unit_status)
    manager = MembershipFactory(unit=unverified, role=Membership.Role.MANAGER).user
    api_client.force_authenticate(manager)
    response = api_client.post(LIST_URL, payload(unverified), format="json")
    assert response.status_code == 403
    assert "verified" in response.data["detail"]
    assert not Instrument.objects.exists()


def test_instrument_update_refused_for_admin_of_unverified_unit(api_client):
    suspended = UnitFactory(status=Unit.Status.SUSPENDED)
    admin = MembershipFactory(unit=suspended, role=Membership.Role.ADMIN).user
    instrument = InstrumentFactory(unit=suspended)
    api_client.force_authenticate(admin)
    with nothing_changed():
        response = api_client.patch(detail_url(instrument.pk), {"name": "x"}, format="json")
    assert response.status_code == 403
    instrument.refresh_from_db()
    assert instrument.name != "x"


def test_instrument_create_for_other_unit_refused(api_client, unit_manager, other_unit):
    api_client.force_authenticate(unit_manager)
    response = api_client.post(LIST_URL, payload(other_unit), format="json")
    assert response.status_code == 403
    assert not Instrument.objects.exists()


def test_instrument_delete_is_not_allowed(api_client, unit_admin, instrument):
    api_client.force_authenticate(unit_admin)
    response = api_client.delete(detail_url(instrument.pk))
    assert response.status_code == 405
    assert Instrument.objects.filter(pk=instrument.pk, status=Instrument.Status.AVAILABLE).exists()


def test_instrument_retire_twice_is_conflict(api_client, unit_manager, instrument):
    api_client.force_authenticate(unit_manager)
    assert api_client.post(retire_url(instrument.pk)).status_code == 200
    retired_at = Instrument.objects.get(pk=instrument.pk).retired_at
    with nothing_changed():
        response = api_client.post(retire_url(instrument.pk))
    assert response.status_code == 409
    assert Instrument.objects.get(pk=instrument.pk).retired_at == retired_at


def test_instrument_retired_cannot_be_edited(api_client, unit_manager, instrument):
    api_client.force_authenticate(unit_manager)
    assert api_client.post(retire_url(instrument.pk)).status_code == 200
    with nothing_changed():  # not the name, nor anything else
        response = api_client.patch(detail_url(instrument.pk), {"name": "revived"}, format="json")
    assert response.status_code == 409
    assert Instrument.objects.get(pk=instrument.pk).status == Instrument.Status.RETIRED


def test_instrument_retired_hidden_from_public_but_visible_to_manager(api_client, unit_manager, instrument):
    instrument.status = Instrument.Status.RETIRED
    instrument.retired_at = timezone.now()
    instrument.save()
    assert api_client.get(detail_url(instrument.pk)).status_code == 404
    assert api_client.get(LIST_URL).data["results"] == []
    api_client.force_authenticate(UserFactory())
    assert api_client.get(detail_url(instrument.pk)).status_code == 404
    api_client.force_authenticate(unit_manager)
    response = api_client.get(detail_url(instrument.pk))
    assert response.status_code == 200
    assert response.data["status"] == "retired"
    api_client.force_authenticate(UserFactory(is_staff=True))
    assert api_client.get(detail_url(instrument.pk)).status_code == 200


def test_instrument_of_unverified_unit_hidden_from_public(api_client):
    instrument = InstrumentFactory(unit=UnitFactory(status=Unit.Status.PENDING))
    assert api_client.get(detail_url(instrument.pk)).status_code == 404
    assert api_client.get(LIST_URL).data["results"] == []


def test_instrument_retrieve_shows_everything_a_booker_needs(api_client, instrument):
    response = api_client.get(detail_url(instrument.pk))
    assert response.status_code == 200
    data = response.data
    for key in (
        "unit",
        "category",
        "model_number",
        "manufacturer",
        "specifications",
        "services",
        "hourly_rate_internal",
        "hourly_rate_external",
        "deposit",
        "requires_approval",
        "requires_qualification",
        "min_credit_score",
        "contact_phone",
        "location",
        "status",
        "status_display",
    ):
        assert key in data
    assert set(data["unit"]) == {"id", "name", "status", "region", "credit_score", "credit_tier"}
    assert data["category"]["code"] == "electron-optics"
    assert data["category"]["parent"]["code"]


def test_instrument_create_accepts_category_id(api_client, unit_manager, unit):
    api_client.force_authenticate(unit_manager)
    response = api_client.post(LIST_URL, payload(unit, category=category_get().pk), format="json")
    assert response.status_code == 201
    assert response.data["category"]["id"] == category_get().pk


def test_instrument_create_duplicate_asset_number_refused(api_client, unit_manager, instrument):
    api_client.force_authenticate(unit_manager)
    before = snapshot()
    response = api_client.post(LIST_URL, payload(instrument.unit, asset_number=instrument.asset_number), format="json")
    assert response.status_code == 400
    assert response.data["field"] == "asset_number"
    assert instrument.asset_number in response.data["detail"]
    assert snapshot() == before


BAD_CREATE_INPUT = [
    ("negative value", {"original_value": "-1.00"}, "original_value"),
    ("negative external rate", {"hourly_rate_external": "-5"}, "hourly_rate_external"),
    ("negative deposit", {"deposit": "-0.01"}, "deposit"),
    ("money as text", {"hourly_rate_internal": "cheap"}, "hourly_rate_internal"),
    ("boolean as text", {"requires_approval": "perhaps"}, "requires_approval"),
    ("unknown category code", {"category": "no-such-category"}, "category"),
    ("unknown category id", {"category": 999999}, "category"),
    ("category as list", {"category": ["electron-optics"]}, "category"),
    ("unknown unit", {"unit": 999999}, "unit"),
    ("unit as text", {"unit": "mine"}, "unit"),
    ("credit too low", {"min_credit_score": 349}, "min_credit_score"),
    ("credit too high", {"min_credit_score": 951}, "min_credit_score"),
    ("credit as text", {"min_credit_score": "high"}, "min_credit_score"),
    ("retired status", {"status": "retired"}, "status"),
    ("unknown status", {"status": "broken"}, "status"),
    ("missing name", {"name": ""}, "name"),
    ("bad date", {"purchase_date": "2020-13-45"}, "purchase_date"),
    ("bad email", {"contact_email": "not-an-email"}, "contact_email"),
    ("unknown field", {"retired_at": "2020-01-01T00:00:00Z"}, "retired_at"),
    ("too many digits", {"original_value": "1" * 20}, "original_value"),
]


@pytest.mark.parametrize(("label", "change", "field"), BAD_CREATE_INPUT, ids=[case[0] for case in BAD_CREATE_INPUT])
def test_instrument_create_bad_input_is_400_and_writes_nothing(api_client, unit_manager, unit, label, change, field):
    api_client.force_authenticate(unit_manager)
    response = api_client.post(LIST_URL, payload(unit, **change), format="json")
    assert response.status_code == 400, response.data
    assert response.data["field"] == field
    assert response.data["detail"].startswith(f"{field}: ")
    assert field in error_fields(response.data)
    assert not Instrument.objects.exists()


def test_instrument_create_malformed_json_is_400(api_client, unit_manager):
    api_client.force_authenticate(unit_manager)
    response = api_client.post(LIST_URL, '{"name": "x",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in str(response.data["detail"])
    assert not Instrument.objects.exists()


def test_instrument_create_json_array_body_is_400(api_client, unit_manager):
    api_client.force_authenticate(unit_manager)
    response = api_client.post(LIST_URL, [1, 2], format="json")
    assert response.status_code == 400
    assert not Instrument.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hourly_rate_external": "-1"}, "hourly_rate_external"),
        ({"min_credit_score": 1000}, "min_credit_score"),
        ({"category": "nope"}, "category"),
        ({"unit": 1}, "unit"),
        ({"status": "retired"}, "status"),
    ],
)
def test_instrument_update_bad_input_is_400_and_changes_nothing(api_client, unit_manager, instrument, change, field):
    api_client.force_authenticate(unit_manager)
    before = snapshot()
    response = api_client.patch(detail_url(instrument.pk), change, format="json")
    assert response.status_code == 400, response.data
    assert response.data["field"] == field
    assert snapshot() == before


def test_instrument_routes_only_match_digits(api_client):
    assert api_client.get("/api/v1/instruments/abc/").status_code == 404


def test_instrument_create_accepts_a_top_level_category(api_client, unit_manager, unit):
    api_client.force_authenticate(unit_manager)
    response = api_client.post(LIST_URL, payload(unit, category="analytical"), format="json")
    assert response.status_code == 201, response.data
    assert response.data["category"]["code"] == "analytical"
    assert response.data["category"]["parent"] is None


def test_instrument_create_with_form_encoding(api_client, unit_manager, unit):
    api_client.force_authenticate(unit_manager)
    body = payload(unit, requires_approval="false")
    response = api_client.post(LIST_URL, body)
    assert response.status_code == 201, response.data
    assert response.data["requires_approval"] is False


def test_instrument_retrieve_query_count_is_fixed(api_client, instrument, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = api_client.get(detail_url(instrument.pk))
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["unit"]["id"]) == (instrument.pk, instrument.unit_id)
