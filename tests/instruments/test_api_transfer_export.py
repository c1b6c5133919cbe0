"""GET /api/v1/instruments/export/: CSV (with BOM) and XLSX in the import's columns; a round trip changes nothing."""

import csv
import io

import pytest
from openpyxl import load_workbook

from instruments.models import Instrument, Membership
from tests.factories import InstrumentFactory, MembershipFactory, UserFactory

from .fixtures import csv_bytes, instrument_row, upload

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/instruments/export/"
IMPORT = "/api/v1/instruments/import/"
FIELDS = [
    "asset_number", "name", "name_en", "category_id", "model_number", "manufacturer", "country_of_origin",
    "purchase_date", "original_value", "location", "status", "description", "specifications", "services",
    "hourly_rate_internal", "hourly_rate_external", "deposit", "requires_approval", "requires_qualification",
    "min_credit_score", "contact_name", "contact_phone", "contact_email", "updated_at",
]  # fmt: skip


def snapshot(unit):
    return list(Instrument.objects.filter(unit=unit).order_by("asset_number").values_list(*FIELDS))


@pytest.fixture
def manager_client(api_client, unit_manager):
    api_client.force_authenticate(unit_manager)
    return api_client


@pytest.fixture
def varied_instruments(manager_client, unit):
    rows = [
        instrument_row(1),
        instrument_row(2, status="retired", min_credit_score="", purchase_date="", deposit="0", name_en=""),
        instrument_row(3, name='含,逗号 "引号"\n换行', model_number="'=1+1", requires_qualification="是"),
        instrument_row(4, category="Mass spectrometry", status="maintenance", hourly_rate_internal="0.5"),
    ]
    response = manager_client.post(IMPORT, {"unit": unit.pk, "file": upload(csv_bytes(rows))}, format="multipart")
    assert response.status_code == 200, response.json()
    InstrumentFactory(unit=unit, asset_number="F-1", description="多行\n描述", specifications='=HYPERLINK("x")')


def test_export_csv_has_bom_and_the_import_columns(manager_client, unit, varied_instruments, other_unit):
    InstrumentFactory(unit=other_unit, asset_number="OTHER-1")
    response = manager_client.get(EXPORT, {"unit": unit.pk, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert table[0][:3] == ["asset_number", "name", "name_en"]
    assert [row[0] for row in table[1:]] == ["F-1", "IMP-0001", "IMP-0002", "IMP-0003", "IMP-0004"]
    by_asset = {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert by_asset["IMP-0003"]["model_number"] == "'=1+1"
    assert by_asset["IMP-0004"]["category"] == "mass-spectrometry"
    assert by_asset["IMP-0002"]["status"] == "retired"


def test_export_xlsx_with_chinese_headers(manager_client, unit, varied_instruments):
    response = manager_client.get(EXPORT, {"unit": unit.pk, "format": "xlsx", "headers": "zh"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("资产编号", "名称")
    assert len(rows) == 6
    formula_row = next(row for row in rows if row[0] == "IMP-0003")
    assert formula_row[4] == "=1+1"
    assert sheet.cell(row=3, column=5).data_type == "s"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("headers", ["keys", "zh"])
def test_export_then_import_round_trips_without_changes(manager_client, unit, varied_instruments, file_format, headers):
    before = snapshot(unit)
    exported = manager_client.get(EXPORT, {"unit": unit.pk, "format": file_format, "headers": headers})
    assert exported.status_code == 200
    response = manager_client.post(
        IMPORT, {"unit": unit.pk, "file": upload(exported.content, f"export.{file_format}")}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 5)
    assert snapshot(unit) == before


def test_export_edit_import_updates_only_what_changed(manager_client, unit, varied_instruments):
    exported = manager_client.get(EXPORT, {"unit": unit.pk, "format": "csv"}).content.decode("utf-8-sig")
    edited = exported.replace("450.50", "480.00", 1).encode("gbk")
    response = manager_client.post(IMPORT, {"unit": unit.pk, "file": upload(edited)}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 4)
    assert body["rows"][0]["changed_fields"] == ["hourly_rate_external"]


def test_export_query_count_does_not_grow(manager_client, unit, django_assert_num_queries):
    def exported_assets():
        response = manager_client.get(EXPORT, {"unit": unit.pk, "format": "csv"})
        assert response.status_code == 200
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
        return sorted(row[0] for row in table[1:])

    made = InstrumentFactory.create_batch(3, unit=unit)
    # The unit, the membership check, the instruments with their categories.
    with django_assert_num_queries(3):
        assert exported_assets() == sorted(i.asset_number for i in made)
    made += InstrumentFactory.create_batch(30, unit=unit)
    with django_assert_num_queries(3):
        assert exported_assets() == sorted(i.asset_number for i in made)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"format": "pdf"}, 400),
        ({"headers": "fr"}, 400),
        ({"unit": "x"}, 400),
        ({"unit": 999999}, 404),
        ({"unit": ""}, 400),
    ],
)
def test_export_bad_parameters(manager_client, unit, params, status):
    response = manager_client.get(EXPORT, {"unit": unit.pk, **params})
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", {401, 403}),
        ("plain", {403}),
        ("other_manager", {403}),
        ("member", {403}),
        ("manager", {200}),
        ("unit_admin", {200}),
        ("platform_admin", {200}),
    ],
)
def test_export_permission_matrix(api_client, unit, instrument, who, status):
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
    response = api_client.get(EXPORT, {"unit": unit.pk, "format": "csv"})
    assert response.status_code in status
    if 200 not in status:
        assert instrument.asset_number.encode() not in response.content
