"""Issue 12.4: names that look like spreadsheet formulas are exported as text by every CSV and XLSX export.

An instrument named `=HYPERLINK(...)` or `+cmd|' /C calc'!A0` became a live formula (XLSX) or an
unquoted formula (CSV) in the unit evaluation. Checked through every export endpoint (API and page,
instrument export and unit evaluation), opening the files with the csv module and openpyxl.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from sharing_platform.spreadsheets import csv_bytes, csv_cell, is_formula_text, xlsx_row
from tests.factories import InstrumentFactory

pytestmark = pytest.mark.django_db

NAMES = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
]
YEAR = timezone.localdate().year


@pytest.fixture
def hostile(unit):
    return [
        InstrumentFactory(unit=unit, name=name, name_en=name, asset_number=f"F-{number}")
        for number, name in enumerate(NAMES)
    ]


def exports(unit):
    """(label, URL, params) of every CSV/XLSX export that carries instrument names."""
    for file_format in ("csv", "xlsx"):
        yield f"api-instruments-{file_format}", "/api/v1/instruments/export/", {"unit": unit.pk, "format": file_format}
        yield f"page-instruments-{file_format}", f"/units/{unit.pk}/instruments/export/", {"format": file_format}
        evaluation = {"year": YEAR, "format": file_format}
        yield f"api-evaluation-{file_format}", f"/api/v1/analytics/units/{unit.pk}/evaluation/", evaluation
        yield f"page-evaluation-{file_format}", f"/analytics/units/{unit.pk}/evaluation/", evaluation


def csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")) for cell in row]


def xlsx_cells(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def test_every_export_writes_formula_names_as_text(client, api_client, unit, unit_manager, hostile):
    api_client.force_authenticate(unit_manager)
    client.force_login(unit_manager)
    checked = []
    for label, url, params in exports(unit):
        response = (api_client if label.startswith("api") else client).get(url, params)
        assert response.status_code == 200, (label, response.content[:300])
        if params["format"] == "csv":
            cells = csv_cells(response.content)
            for name in NAMES:
                assert "'" + name in cells, (label, name)
                assert name not in cells, (label, name)
            if "evaluation" in label:
                assert "-" in cells  # "no value" stays a plain dash
                assert "'-" not in cells
        else:
            cells = xlsx_cells(response.content)
            assert not [cell.coordinate for cell in cells if cell.data_type == "f"], label
            for name in NAMES:
                # XML reads a carriage return back as a line feed.
                matching = [cell for cell in cells if cell.value in (name, name.replace("\r", "\n"))]
                assert matching, (label, name)
                for cell in matching:
                    assert cell.data_type == "s", (label, name)
                    assert cell.quotePrefix, (label, name)  # stays text when edited in Excel
        checked.append(label)
    assert len(checked) == 8


def test_exported_formula_names_import_back_unchanged(api_client, unit, unit_manager, hostile):
    """The instrument export is also an import file: the quoting must not change a name on the way back."""
    hostile[4].delete()  # a leading tab or carriage return is whitespace the import trims on purpose
    hostile[5].delete()
    api_client.force_authenticate(unit_manager)
    for file_format in ("csv", "xlsx"):
        exported = api_client.get("/api/v1/instruments/export/", {"unit": unit.pk, "format": file_format})
        upload = io.BytesIO(exported.content)
        upload.name = f"instruments.{file_format}"
        response = api_client.post(
            "/api/v1/instruments/import/", {"unit": unit.pk, "file": upload, "dry_run": "true"}, format="multipart"
        )
        assert response.status_code == 200, response.content
        assert response.json()["unchanged"] == 4, (file_format, response.json())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "-"),
        ("--1", "'--1"),
        ("-12.5", "-12.5"),
        ("-3", "-3"),
        ("-1e5", "-1e5"),
        (-12.5, -12.5),
        (Decimal("-3.20"), Decimal("-3.20")),
        ("plain = text", "plain = text"),
        ("", ""),
        (None, None),
    ],
)
def test_csv_cell_rule(value, expected):
    assert csv_cell(value) == expected


def test_csv_and_xlsx_keep_numbers_as_numbers():
    rows = [["-12.5", -12.5, "=1", date(2025, 1, 2)]]
    assert csv_bytes(rows) == "\ufeff-12.5,-12.5,'=1,2025-01-02\r\n".encode()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(xlsx_row(sheet, [-12.5, "-12.5", "=1", date(2025, 1, 2), "bad\x01char"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    cells = next(load_workbook(buffer).active.iter_rows())
    assert [cell.data_type for cell in cells] == ["n", "s", "s", "d", "s"]
    assert [cell.value for cell in cells[:3]] == [-12.5, "-12.5", "=1"]
    assert cells[4].value == "badchar"
    assert not is_formula_text("-12.5")
    assert is_formula_text("=1")
