"""POST /api/v1/instruments/import/: formats, validation per row and column, all-or-nothing, limits, permissions."""

import os
from decimal import Decimal

import pytest

from instruments.models import Instrument, Membership
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

from .fixtures import HEADER_ZH, csv_bytes, instrument_row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/instruments/import/"
REQUIRED_HEADER = b"asset_number,name,category,original_value,hourly_rate_internal,hourly_rate_external"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post(client, unit, content, name="instruments.csv", **extra):
    data = {"unit": unit.pk, "file": upload(content, name), **extra}
    return client.post(URL, data, format="multipart")


@pytest.fixture
def manager_client(api_client, unit_manager):
    api_client.force_authenticate(unit_manager)
    return api_client


def test_import_csv_utf8_creates_every_row(manager_client, unit):
    rows = [instrument_row(number) for number in range(1, 4)]
    response = post(manager_client, unit, csv_bytes(rows))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["dry_run"]) == (3, 0, 0, False)
    assert [row["row"] for row in body["rows"]] == [2, 3, 4]
    instrument = Instrument.objects.get(unit=unit, asset_number="IMP-0001")
    assert instrument.name == "场发射扫描电子显微镜 1"
    assert instrument.category.code == "electron-optics"
    assert instrument.original_value == Decimal("3250000.00")
    assert instrument.hourly_rate_external == Decimal("450.50")
    assert instrument.requires_approval is True
    assert instrument.requires_qualification is False
    assert instrument.min_credit_score == 600
    assert str(instrument.purchase_date) == "2019-06-30"


def test_import_csv_utf8_with_bom_and_chinese_headers(manager_client, unit):
    rows = [instrument_row(1, category="电子光学仪器", status="维修中", requires_approval="否")]
    response = post(manager_client, unit, csv_bytes(rows, header=HEADER_ZH, bom=True))
    assert response.status_code == 200, response.json()
    instrument = Instrument.objects.get(unit=unit)
    assert instrument.status == Instrument.Status.MAINTENANCE
    assert instrument.requires_approval is False
    assert instrument.category.code == "electron-optics"


def test_import_csv_gbk_as_excel_writes_it(manager_client, unit):
    rows = [instrument_row(1, category="Electron optics", purchase_date="2019/6/30")]
    content = csv_bytes(rows, header=HEADER_ZH, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    response = post(manager_client, unit, content)
    assert response.status_code == 200, response.json()
    instrument = Instrument.objects.get(unit=unit)
    assert instrument.name == "场发射扫描电子显微镜 1"
    assert instrument.location == "材料楼 B102"
    assert str(instrument.purchase_date) == "2019-06-30"


def test_import_xlsx_with_typed_cells(manager_client, unit):
    rows = [instrument_row(number) for number in range(1, 6)]
    response = post(manager_client, unit, xlsx_bytes(rows, header=HEADER_ZH), name="仪器.xlsx")
    assert response.status_code == 200, response.json()
    assert Instrument.objects.filter(unit=unit).count() == 5
    instrument = Instrument.objects.get(unit=unit, asset_number="IMP-0002")
    assert instrument.hourly_rate_external == Decimal("450.50")
    assert str(instrument.purchase_date) == "2019-06-30"
    assert instrument.min_credit_score == 600


def test_import_dry_run_writes_nothing(manager_client, unit):
    existing = InstrumentFactory(unit=unit, asset_number="IMP-0001", name="旧名称")
    rows = [instrument_row(1), instrument_row(2)]
    response = post(manager_client, unit, csv_bytes(rows), dry_run="true")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["dry_run"], body["created"], body["updated"]) == (True, 1, 1)
    actions = {row["asset_number"]: row["action"] for row in body["rows"]}
    assert actions == {"IMP-0001": "update", "IMP-0002": "create"}
    assert "name" in body["rows"][0]["changed_fields"]
    existing.refresh_from_db()
    assert existing.name == "旧名称"
    assert Instrument.objects.filter(unit=unit).count() == 1


def test_import_existing_asset_number_updates_in_place(manager_client, unit):
    existing = InstrumentFactory(unit=unit, asset_number="IMP-0001")
    response = post(manager_client, unit, csv_bytes([instrument_row(1, hourly_rate_external="999")]))
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    assert Instrument.objects.filter(unit=unit).count() == 1
    existing.refresh_from_db()
    assert existing.hourly_rate_external == Decimal("999.00")
    assert existing.name == "场发射扫描电子显微镜 1"


def test_import_same_asset_number_in_another_unit_is_a_new_instrument(manager_client, unit, other_unit):
    InstrumentFactory(unit=other_unit, asset_number="IMP-0001")
    response = post(manager_client, unit, csv_bytes([instrument_row(1)]))
    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert Instrument.objects.filter(asset_number="IMP-0001").count() == 2


def test_import_reports_errors_per_row_and_column(manager_client, unit):
    rows = [
        instrument_row(1),
        instrument_row(2, hourly_rate_external="-5"),
        instrument_row(3, category="no-such-category", purchase_date="30/06/2019"),
        instrument_row(4, min_credit_score="300", requires_approval="maybe"),
        instrument_row(5, name="", status="broken"),
        instrument_row(1),
        instrument_row(7, original_value="12.345", deposit="abc"),
    ]
    response = post(manager_client, unit, csv_bytes(rows))
    assert response.status_code == 400
    body = response.json()
    assert "nothing was imported" in body["detail"]
    found = {(error["row"], error.get("field")) for error in body["errors"]}
    assert found == {
        (3, "hourly_rate_external"),
        (4, "category"),
        (4, "purchase_date"),
        (5, "min_credit_score"),
        (5, "requires_approval"),
        (6, "name"),
        (6, "status"),
        (7, "asset_number"),
        (8, "original_value"),
        (8, "deposit"),
    }
    duplicate = next(error for error in body["errors"] if error["row"] == 7)
    assert "row 2" in duplicate["message"]
    assert all(error["message"] for error in body["errors"])
    assert not Instrument.objects.exists()


def test_import_one_bad_row_creates_nothing_and_updates_nothing(manager_client, unit):
    existing = InstrumentFactory(unit=unit, asset_number="IMP-0001", name="旧名称")
    rows = [instrument_row(number, contact_email="lab@example.org") for number in range(1, 130)]
    rows.append(instrument_row(200, contact_email="not-an-email"))
    content = csv_bytes(rows, extra=("contact_email",))
    response = post(manager_client, unit, content)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == [
        {"row": 131, "field": "contact_email", "message": "Enter a valid email address."}
    ]
    assert Instrument.objects.filter(unit=unit).count() == 1
    existing.refresh_from_db()
    assert existing.name == "旧名称"


def test_import_many_rows_in_a_fixed_number_of_queries(manager_client, unit, django_assert_max_num_queries):
    rows = [instrument_row(number) for number in range(1, 201)]
    with django_assert_max_num_queries(30):
        response = post(manager_client, unit, csv_bytes(rows))
    assert response.status_code == 200
    assert Instrument.objects.filter(unit=unit).count() == 200


def test_import_oversize_file_is_refused_with_the_limit(manager_client, unit, settings):
    settings.IMPORT_MAX_BYTES = 2000
    response = post(manager_client, unit, csv_bytes([instrument_row(number) for number in range(50)]))
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert "2000" in response.json()["detail"]
    assert not Instrument.objects.exists()


def test_import_too_many_rows_is_refused(manager_client, unit, monkeypatch):
    monkeypatch.setattr("instruments.services.transfer_formats.IMPORT_MAX_ROWS", 10)
    response = post(manager_client, unit, csv_bytes([instrument_row(number) for number in range(11)]))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_rows"
    assert not Instrument.objects.exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ("asset_number,name\r\nA1,x\r\n".encode("utf-16"), "instruments.csv"),
        (os.urandom(64) + b"\x00\xff\xfe" + os.urandom(64), "instruments.csv"),
        (b"\x81\x30" * 40 + b"\xff\xff\xff", "instruments.csv"),
    ],
    ids=["utf-16", "random-bytes", "invalid-gb18030"],
)
def test_import_wrong_encoding_names_the_accepted_ones(manager_client, unit, content, name):
    response = post(manager_client, unit, content, name=name)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_encoding"
    assert "UTF-8" in body["detail"]
    assert "GBK" in body["detail"]
    assert not Instrument.objects.exists()


@pytest.mark.parametrize(
    "content",
    [os.urandom(300), b"PK\x03\x04" + os.urandom(300)],
    ids=["random-bytes", "broken-zip"],
)
def test_import_malformed_xlsx_is_refused(manager_client, unit, content):
    response = post(manager_client, unit, content, name="instruments.xlsx")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_file"
    assert not Instrument.objects.exists()


def test_import_old_xls_is_refused(manager_client, unit):
    response = post(manager_client, unit, b"\xd0\xcf\x11\xe0" + os.urandom(100), name="instruments.xls")
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_format"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"   \r\n\r\n", "empty_file"),
        (b"\xef\xbb\xbf\r\n,,,\r\n", "empty_file"),
        (csv_bytes([]), "no_rows"),
        (
            b"asset_number,name,category,original_value,hourly_rate_internal,hourly_rate_external,colour\r\n",
            "unknown_columns",
        ),
        (b"asset_number,name\r\nA1,x\r\n", "missing_columns"),
        (
            b"asset_number,name,category,original_value,hourly_rate_internal,hourly_rate_external,\xe5\x90\x8d\xe7\xa7\xb0\r\n",
            "duplicate_column",
        ),
    ],
    ids=["blank", "bom-and-commas", "header-only", "unknown-column", "missing-columns", "duplicate-column"],
)
def test_import_bad_structure_is_refused(manager_client, unit, content, code):
    response = post(manager_client, unit, content)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Instrument.objects.exists()


def test_import_zero_byte_file_is_refused(manager_client, unit):
    response = post(manager_client, unit, b"")
    assert response.status_code == 400
    assert response.json()["field"] == "file"


def test_import_missing_file_is_refused(manager_client, unit):
    response = manager_client.post(URL, {"unit": unit.pk}, format="multipart")
    assert response.status_code == 400
    assert response.json()["field"] == "file"


def test_import_bad_and_unknown_unit(manager_client, unit):
    content = csv_bytes([instrument_row(1)])
    response = manager_client.post(URL, {"unit": "abc", "file": upload(content)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    response = manager_client.post(URL, {"unit": 999999, "file": upload(content)}, format="multipart")
    assert response.status_code == 404
    assert not Instrument.objects.exists()


def test_import_json_body_is_refused(manager_client, unit):
    response = manager_client.post(URL, {"unit": unit.pk}, format="json")
    assert response.status_code == 415


def test_import_formula_looking_text_round_trips_as_text(manager_client, unit):
    response = post(manager_client, unit, csv_bytes([instrument_row(1, model_number="'=SUM(A1)")]))
    assert response.status_code == 200
    assert Instrument.objects.get(unit=unit).model_number == "=SUM(A1)"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("plain", 403),
        ("other_manager", 403),
        ("member", 403),
        ("manager", 200),
        ("unit_admin", 200),
        ("platform_admin", 200),
    ],
)
def test_import_permission_matrix(api_client, unit, who, status):
    users = {
        "plain": lambda: UserFactory(),
        "other_manager": lambda: MembershipFactory(role=Membership.Role.MANAGER).user,
        "member": lambda: MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user,
        "manager": lambda: MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "unit_admin": lambda: MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "platform_admin": lambda: UserFactory(is_staff=True),
    }
    if who != "anonymous":
        api_client.force_authenticate(users[who]())
    response = post(api_client, unit, csv_bytes([instrument_row(1)]))
    assert response.status_code in ({401, 403} if status == 401 else {status}), response.content
    assert Instrument.objects.filter(unit=unit).count() == (1 if status == 200 else 0)


def test_import_manager_of_pending_unit_is_refused(api_client):
    pending = UnitFactory(status="pending")
    manager = MembershipFactory(unit=pending, role=Membership.Role.MANAGER).user
    api_client.force_authenticate(manager)
    response = post(api_client, pending, csv_bytes([instrument_row(1)]))
    assert response.status_code == 403
    assert not Instrument.objects.exists()


def test_import_pending_unit_of_others_is_not_found(api_client):
    pending = UnitFactory(status="pending")
    api_client.force_authenticate(UserFactory())
    response = post(api_client, pending, csv_bytes([instrument_row(1)]))
    assert response.status_code == 404
