"""Units API: register, list, detail, edit, verify, suspend; the permission matrix and bad input."""

from contextlib import nullcontext

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from instruments.models import Membership, Unit
from instruments.validators import uscc_build
from tests.errors import error_fields, error_messages
from tests.factories import AdminUserFactory, MembershipFactory, UnitFactory, UserFactory, region_get
from tests.unchanged import nothing_changed

UNITS = "/api/v1/units/"
GOOD_CODE = uscc_build("91310000MA1FL0000")


def payload(**changes):
    body = {
        "name": "上海材料研究所",
        "name_en": "Shanghai Materials Institute",
        "kind": "research_institute",
        "credit_code": GOOD_CODE,
        "region": "310000",
        "address": "No. 99, Handan Road",
        "contact_name": "Li Wei",
        "contact_phone": "021-5555 0000",
        "contact_email": "li@example.org",
        "website": "https://materials.example.org",
        "accreditations": ["CMA", "CNAS"],
        "description": "Electron microscopy and X-ray.",
    }
    body.update(changes)
    return body


def snapshot():
    return (Unit.objects.count(), Membership.objects.count())


# --- register ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_register_makes_pending_unit_with_admin(api_client, user):
    api_client.force_authenticate(user)
    response = api_client.post(UNITS, payload(credit_code=f" {GOOD_CODE[:9].lower()}-{GOOD_CODE[9:]} "), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["credit_code"] == GOOD_CODE
    assert body["region"]["code"] == "310000"
    assert body["accreditations"] == ["CMA", "CNAS"]
    unit = Unit.objects.get(pk=body["id"])
    assert Membership.objects.get(unit=unit).user == user
    assert Membership.objects.get(unit=unit).role == Membership.Role.ADMIN


@pytest.mark.django_db
def test_unit_register_accepts_region_id(api_client, user):
    api_client.force_authenticate(user)
    response = api_client.post(UNITS, payload(region=region_get("110000").pk), format="json")
    assert response.status_code == 201
    assert response.json()["region"]["code"] == "110000"


@pytest.mark.django_db
def test_unit_register_anonymous_refused(api_client):
    response = api_client.post(UNITS, payload(), format="json")
    assert response.status_code == 401
    assert snapshot() == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "words"),
    [
        (GOOD_CODE[:-1], "18 characters"),
        (GOOD_CODE + "1", "18 characters"),
        ("91310000MA1FL0O00" + "1", "not allowed"),
        ("91310000MA1FL0I00" + "1", "I, O, S, V and Z"),
        ("9131AB00MA1FL0000" + "1", "administrative division"),
        (GOOD_CODE[:-1] + ("0" if GOOD_CODE[-1] != "0" else "1"), "check character is wrong"),
        ("", "blank"),
    ],
)
def test_unit_register_refuses_bad_credit_code(api_client, user, code, words):
    api_client.force_authenticate(user)
    response = api_client.post(UNITS, payload(credit_code=code), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "credit_code"
    assert words in error_messages(body, "credit_code")[0]
    assert snapshot() == (0, 0)


@pytest.mark.django_db
def test_unit_register_refuses_duplicate_credit_code(api_client, user):
    UnitFactory(credit_code=GOOD_CODE)
    api_client.force_authenticate(user)
    before = snapshot()
    response = api_client.post(UNITS, payload(credit_code=GOOD_CODE.lower()), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_credit_code"
    assert "already registered" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "castle"}, "kind"),
        ({"region": "999999"}, "region"),
        ({"region": 987654}, "region"),
        ({"region": True}, "region"),
        ({"region": {"code": "310000"}}, "region"),
        ({"name": ""}, "name"),
        ({"name": ["x"]}, "name"),
        ({"contact_email": "nope"}, "contact_email"),
        ({"website": "not a url"}, "website"),
        ({"accreditations": "CMA"}, "accreditations"),
        ({"accreditations": [""]}, "accreditations.0"),  # the first item of the list
        ({"credit_code": 12345}, "credit_code"),
    ],
)
def test_unit_register_refuses_bad_fields(api_client, user, changes, field):
    api_client.force_authenticate(user)
    response = api_client.post(UNITS, payload(**changes), format="json")
    assert response.status_code == 400, response.json()
    assert field in error_fields(response.json())
    assert snapshot() == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["name", "kind", "credit_code", "region"])
def test_unit_register_refuses_missing_fields(api_client, user, missing):
    api_client.force_authenticate(user)
    body = payload()
    del body[missing]
    response = api_client.post(UNITS, body, format="json")
    assert response.status_code == 400
    assert missing in error_fields(response.json())
    assert snapshot() == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ['{"name": "x",', "[1, 2, 3]", '"text"', "null"])
def test_unit_register_refuses_malformed_json(api_client, user, raw):
    api_client.force_authenticate(user)
    response = api_client.post(UNITS, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert snapshot() == (0, 0)


# --- list and detail -----------------------------------------------------------------------------


@pytest.fixture
def mixed_units(db):
    verified = UnitFactory(name="A verified")
    pending = UnitFactory(name="B pending", status=Unit.Status.PENDING)
    rejected = UnitFactory(name="C rejected", status=Unit.Status.REJECTED)
    suspended = UnitFactory(name="D suspended", status=Unit.Status.SUSPENDED)
    return {"verified": verified, "pending": pending, "rejected": rejected, "suspended": suspended}


def listed_ids(api_client, query=""):
    response = api_client.get(UNITS + query)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_unit_list_anonymous_and_plain_user_see_verified_only(api_client, mixed_units, user):
    assert listed_ids(api_client) == [mixed_units["verified"].pk]
    api_client.force_authenticate(user)
    assert listed_ids(api_client) == [mixed_units["verified"].pk]


@pytest.mark.django_db
def test_unit_list_members_see_their_pending_unit(api_client, mixed_units):
    member = MembershipFactory(unit=mixed_units["pending"]).user
    api_client.force_authenticate(member)
    assert listed_ids(api_client) == [mixed_units["verified"].pk, mixed_units["pending"].pk]


@pytest.mark.django_db
def test_unit_list_platform_admin_sees_all_and_filters(api_client, mixed_units, platform_admin):
    api_client.force_authenticate(platform_admin)
    assert len(listed_ids(api_client)) == 4
    assert listed_ids(api_client, "?status=pending") == [mixed_units["pending"].pk]
    assert listed_ids(api_client, "?q=rejected") == [mixed_units["rejected"].pk]
    assert listed_ids(api_client, f"?q={mixed_units['suspended'].credit_code}") == [mixed_units["suspended"].pk]


@pytest.mark.django_db
def test_unit_list_filters_region_kind_q(api_client):
    beijing = UnitFactory(name="北京仪器中心", name_en="Beijing Instrument Centre", region=region_get("110000"))
    shanghai = UnitFactory(name="上海企业", kind=Unit.Kind.ENTERPRISE)
    assert listed_ids(api_client, "?region=110000") == [beijing.pk]
    assert listed_ids(api_client, f"?region={beijing.region_id}") == [beijing.pk]
    assert listed_ids(api_client, "?kind=enterprise") == [shanghai.pk]
    assert listed_ids(api_client, "?q=instrument") == [beijing.pk]
    assert listed_ids(api_client, "?q=上海") == [shanghai.pk]
    assert listed_ids(api_client, "?region=999999") == []
    assert listed_ids(api_client, "?region=abc") == []


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?status=bogus", "?kind=castle"])
def test_unit_list_bad_filter_is_400(api_client, query):
    response = api_client.get(UNITS + query)
    assert response.status_code == 400
    assert response.json()["field"] in {"status", "kind"}


@pytest.mark.django_db
def test_unit_list_page_shape_and_pagination(api_client):
    UnitFactory.create_batch(3)
    response = api_client.get(UNITS + "?page_size=2")
    body = response.json()
    assert len(body["results"]) == 2
    assert body["next"]
    assert set(body["results"][0]) >= {"id", "name", "credit_code", "region", "status", "instrument_count"}
    assert api_client.get(UNITS + "?page=99").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "member", "admin"])
def test_unit_list_query_count_is_constant(api_client, who, platform_admin, django_assert_num_queries):
    from tests.factories import InstrumentFactory

    if who == "member":
        viewer = UserFactory()
        api_client.force_authenticate(viewer)
    elif who == "admin":
        api_client.force_authenticate(platform_admin)

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(UNITS + "?page_size=100").status_code == 200
        return len(queries)

    UnitFactory.create_batch(2)
    few = measure()
    for unit in UnitFactory.create_batch(15):
        InstrumentFactory.create_batch(2, unit=unit)
        if who == "member":
            MembershipFactory(unit=unit, user=viewer)
    UnitFactory.create_batch(5, status=Unit.Status.PENDING)
    with django_assert_num_queries(few):
        response = api_client.get(UNITS + "?page_size=100")
    rows = response.json()["results"]
    assert len(rows) >= 17
    assert {row["instrument_count"] for row in rows} == {0, 2}


@pytest.mark.django_db
def test_unit_detail_visibility(api_client, mixed_units, user, platform_admin):
    verified, pending = mixed_units["verified"], mixed_units["pending"]
    assert api_client.get(f"{UNITS}{verified.pk}/").status_code == 200
    assert api_client.get(f"{UNITS}{pending.pk}/").status_code == 404
    api_client.force_authenticate(user)
    assert api_client.get(f"{UNITS}{pending.pk}/").status_code == 404
    MembershipFactory(unit=pending, user=user)
    assert api_client.get(f"{UNITS}{pending.pk}/").json()["status"] == "pending"
    api_client.force_authenticate(platform_admin)
    assert api_client.get(f"{UNITS}{mixed_units['rejected'].pk}/").status_code == 200
    assert api_client.get(f"{UNITS}999999/").status_code == 404


# --- edit ----------------------------------------------------------------------------------------


def who_client(api_client, who, unit):
    """Authenticate as one row of the permission matrix; returns the user (or None)."""
    users = {
        "anonymous": None,
        "plain": lambda: UserFactory(),
        "other_unit_admin": lambda: MembershipFactory(role=Membership.Role.ADMIN).user,
        "member": lambda: MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user,
        "manager": lambda: MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "unit_admin": lambda: MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "platform_admin": lambda: AdminUserFactory(),
    }
    factory = users[who]
    if factory is None:
        return None
    person = factory()
    api_client.force_authenticate(person)
    return person


MATRIX_EDIT = [
    ("anonymous", 401),
    ("plain", 403),
    ("other_unit_admin", 403),
    ("member", 403),
    ("manager", 403),
    ("unit_admin", 200),
    ("platform_admin", 200),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MATRIX_EDIT)
def test_unit_update_permission_matrix(api_client, unit, who, expected):
    who_client(api_client, who, unit)
    with nothing_changed() if expected != 200 else nullcontext():
        response = api_client.patch(f"{UNITS}{unit.pk}/", {"address": "New address 1"}, format="json")
    assert response.status_code == expected
    unit.refresh_from_db()
    assert (unit.address == "New address 1") == (expected == 200)


@pytest.mark.django_db
def test_unit_update_refuses_status_and_unknown_fields(api_client, unit, unit_admin):
    api_client.force_authenticate(unit_admin)
    response = api_client.patch(f"{UNITS}{unit.pk}/", {"status": "verified", "address": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "status"
    response = api_client.patch(f"{UNITS}{unit.pk}/", {"credit_score": 900}, format="json")
    assert response.status_code == 400
    unit.refresh_from_db()
    assert unit.address == ""
    assert unit.credit_score is None


@pytest.mark.django_db
def test_unit_update_verified_identity_locked_for_unit_admin(api_client, unit, unit_admin, platform_admin):
    original = unit.credit_code
    other_code = uscc_build("91310000MA1FL9999")
    api_client.force_authenticate(unit_admin)
    response = api_client.patch(f"{UNITS}{unit.pk}/", {"credit_code": other_code}, format="json")
    assert response.status_code == 403
    assert "credit_code" in response.json()["detail"]
    # Sending the same code back is not a change.
    assert api_client.patch(f"{UNITS}{unit.pk}/", {"credit_code": original}, format="json").status_code == 200
    api_client.force_authenticate(platform_admin)
    assert api_client.patch(f"{UNITS}{unit.pk}/", {"credit_code": other_code}, format="json").status_code == 200
    unit.refresh_from_db()
    assert unit.credit_code == other_code


@pytest.mark.django_db
def test_unit_update_pending_identity_allowed_and_duplicates_refused(api_client, user):
    pending = UnitFactory(status=Unit.Status.PENDING)
    MembershipFactory(unit=pending, user=user, role=Membership.Role.ADMIN)
    taken = UnitFactory()
    api_client.force_authenticate(user)
    response = api_client.patch(f"{UNITS}{pending.pk}/", {"credit_code": taken.credit_code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_credit_code"
    response = api_client.patch(f"{UNITS}{pending.pk}/", {"credit_code": "123"}, format="json")
    assert response.status_code == 400
    response = api_client.patch(f"{UNITS}{pending.pk}/", {"name": "Renamed", "region": "110000"}, format="json")
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.name == "Renamed"
    assert pending.region.code == "110000"


@pytest.mark.django_db
def test_unit_update_rejected_unit_is_resubmitted(api_client, user):
    rejected = UnitFactory(status=Unit.Status.REJECTED, status_reason="Wrong code")
    MembershipFactory(unit=rejected, user=user, role=Membership.Role.ADMIN)
    api_client.force_authenticate(user)
    response = api_client.patch(f"{UNITS}{rejected.pk}/", {"address": "Corrected"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


@pytest.mark.django_db
def test_unit_update_invisible_unit_is_404(api_client, user):
    pending = UnitFactory(status=Unit.Status.PENDING)
    api_client.force_authenticate(user)
    with nothing_changed():
        assert api_client.patch(f"{UNITS}{pending.pk}/", {"address": "x"}, format="json").status_code == 404
        assert api_client.patch(f"{UNITS}424242/", {"address": "x"}, format="json").status_code == 404


@pytest.mark.django_db
def test_unit_put_and_delete_not_allowed(api_client, unit, platform_admin):
    api_client.force_authenticate(platform_admin)
    assert api_client.put(f"{UNITS}{unit.pk}/", payload(), format="json").status_code == 405
    assert api_client.delete(f"{UNITS}{unit.pk}/").status_code == 405
    assert Unit.objects.filter(pk=unit.pk).exists()


# --- verify and suspend --------------------------------------------------------------------------

MATRIX_VERIFY = [
    ("anonymous", 401),
    ("plain", 403),
    ("other_unit_admin", 403),
    ("member", 403),
    ("manager", 403),
    ("unit_admin", 403),
    ("platform_admin", 200),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MATRIX_VERIFY)
def test_unit_verify_permission_matrix(api_client, who, expected):
    pending = UnitFactory(status=Unit.Status.PENDING)
    who_client(api_client, who, pending)
    response = api_client.post(f"{UNITS}{pending.pk}/verify/", {"approved": True}, format="json")
    # Plain users and members of other units cannot even see a pending unit; either way, nothing changes.
    assert response.status_code == expected or (expected == 403 and response.status_code == 404)
    pending.refresh_from_db()
    assert pending.status == ("verified" if expected == 200 else "pending")


@pytest.mark.django_db
def test_unit_verify_approve_records_who_and_when(api_client, platform_admin):
    pending = UnitFactory(status=Unit.Status.PENDING)
    api_client.force_authenticate(platform_admin)
    response = api_client.post(f"{UNITS}{pending.pk}/verify/", {"approved": True, "reason": "Checked"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    pending.refresh_from_db()
    assert pending.status_changed_by == platform_admin
    assert pending.status_changed_at is not None
    assert pending.status_reason == "Checked"


@pytest.mark.django_db
def test_unit_verify_reject_needs_reason(api_client, platform_admin):
    pending = UnitFactory(status=Unit.Status.PENDING)
    api_client.force_authenticate(platform_admin)
    with nothing_changed():  # still pending, no reason stored, nothing sent to the applicant
        response = api_client.post(f"{UNITS}{pending.pk}/verify/", {"approved": False, "reason": "  "}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    pending.refresh_from_db()
    assert pending.status == "pending"
    response = api_client.post(
        f"{UNITS}{pending.pk}/verify/", {"approved": False, "reason": "Certificate unreadable"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["status_reason"] == "Certificate unreadable"


@pytest.mark.django_db
@pytest.mark.parametrize("current", ["verified", "rejected"])
def test_unit_verify_wrong_status_is_409(api_client, platform_admin, current):
    target = UnitFactory(status=current)
    api_client.force_authenticate(platform_admin)
    response = api_client.post(f"{UNITS}{target.pk}/verify/", {"approved": True}, format="json")
    assert response.status_code == 409
    assert target.get_status_display().lower() in response.json()["detail"]
    target.refresh_from_db()
    assert target.status == current
    assert target.status_changed_by is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"approved": "maybe"}, {"approved": None}, {"approved": [True]}, {"reason": "no decision"}],
)
def test_unit_verify_bad_input(api_client, platform_admin, body):
    pending = UnitFactory(status=Unit.Status.PENDING)
    api_client.force_authenticate(platform_admin)
    with nothing_changed():
        response = api_client.post(f"{UNITS}{pending.pk}/verify/", body, format="json")
    assert response.status_code == 400
    assert "approved" in error_fields(response.json())
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.django_db
def test_unit_verify_malformed_json_and_unknown_unit(api_client, platform_admin):
    pending = UnitFactory(status=Unit.Status.PENDING)
    api_client.force_authenticate(platform_admin)
    response = api_client.post(f"{UNITS}{pending.pk}/verify/", "{approved: yes", content_type="application/json")
    assert response.status_code == 400
    assert api_client.post(f"{UNITS}987654/verify/", {"approved": True}, format="json").status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.django_db
def test_unit_suspend_and_reinstate(api_client, unit, platform_admin, unit_admin):
    api_client.force_authenticate(unit_admin)
    assert api_client.post(f"{UNITS}{unit.pk}/suspend/", {"reason": "x"}, format="json").status_code == 403
    api_client.force_authenticate(platform_admin)
    assert api_client.post(f"{UNITS}{unit.pk}/suspend/", {}, format="json").status_code == 400
    response = api_client.post(f"{UNITS}{unit.pk}/suspend/", {"reason": "Complaints"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    assert api_client.post(f"{UNITS}{unit.pk}/suspend/", {"reason": "Again"}, format="json").status_code == 409
    # Suspended units leave the public list, and come back when reinstated.
    api_client.force_authenticate(None)
    assert unit.pk not in listed_ids(api_client)
    api_client.force_authenticate(platform_admin)
    response = api_client.post(f"{UNITS}{unit.pk}/verify/", {"approved": True, "reason": "Resolved"}, format="json")
    assert response.json()["status"] == "verified"


@pytest.mark.django_db
@pytest.mark.parametrize(("region", "name_en"), [("150200", "Baotou"), ("150203", "Kundulun District")])
def test_unit_register_in_baotou_and_its_district(api_client, user, region, name_en):
    api_client.force_authenticate(user)
    code = uscc_build(f"12{region}MB000000{region[-1]}")
    response = api_client.post(UNITS, payload(credit_code=code, region=region), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["region"]["code"] == region
    assert response.json()["region"]["name_en"] == name_en
    listed = api_client.get(UNITS, {"region": "150000", "status": "pending"}).json()["results"]
    assert [unit["credit_code"] for unit in listed] == [code]  # a province includes its cities' districts


@pytest.mark.django_db
def test_unit_register_refuses_an_unknown_division(api_client, user):
    api_client.force_authenticate(user)
    response = api_client.post(UNITS, payload(region="150299"), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "region"
    assert snapshot() == (0, 0)


@pytest.mark.django_db
def test_unit_list_orders_by_the_name_in_the_active_language(api_client):
    steel = UnitFactory(name="包钢集团研发中心", name_en="Baotou Steel R&D Centre")
    university = UnitFactory(name="内蒙古科技大学", name_en="Inner Mongolia University of Science and Technology")
    chinese_only = UnitFactory(name="固阳县检测站", name_en="")
    english = [steel.pk, university.pk, chinese_only.pk]  # Baotou…, Inner…, then 固阳… by its Chinese name
    chinese = list(Unit.objects.order_by("name", "id").values_list("pk", flat=True))
    assert english != chinese
    for language, expected in (("en", english), ("zh-hans", chinese)):
        rows = api_client.get(UNITS, HTTP_ACCEPT_LANGUAGE=language).json()["results"]
        assert [row["id"] for row in rows] == expected, language


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("language", "index"), [("en", "unit_name_en_id_idx"), ("zh-hans", "unit_name_id_idx")])
def test_unit_name_order_is_served_by_an_index_in_each_language(language, index):
    from django.utils import translation

    from instruments.models import name_order

    UnitFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    with translation.override(language):
        plan = Unit.objects.order_by(name_order(), "id")[:20].explain()
    assert index in plan
