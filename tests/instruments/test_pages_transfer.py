"""The import page (check, preview, confirm), the export link and the blank template, through the test client."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from instruments.models import Instrument, Membership
from tests.factories import TEST_PASSWORD, InstrumentFactory, MembershipFactory, UserFactory

from .fixtures import csv_bytes, instrument_row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def manager_browser(client, unit_manager):
    assert client.login(username=unit_manager.username, password=TEST_PASSWORD)
    return client


def test_import_page_shows_form_columns_and_links(manager_browser, unit):
    response = manager_browser.get(reverse("instrument-import", args=[unit.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="dry_run"' in page
    assert reverse("instrument-export", args=[unit.pk]) in page
    assert reverse("instrument-import-template") in page
    assert "asset_number" in page
    assert "资产编号" in page


def test_import_page_check_preview_then_confirm(manager_browser, unit, tmp_path):
    InstrumentFactory(unit=unit, asset_number="IMP-0001")
    url = reverse("instrument-import", args=[unit.pk])
    content = csv_bytes([instrument_row(1), instrument_row(2), instrument_row(3)], encoding="gbk")
    response = manager_browser.post(url, {"file": upload(content), "dry_run": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "IMP-0002" in page
    assert "Confirm and import" in page
    result = response.context["result"]
    assert (result.created, result.updated) == (2, 1)
    assert Instrument.objects.filter(unit=unit).count() == 1
    token = response.context["confirm_form"].initial["token"]
    assert any(tmp_path.rglob("*.csv"))

    response = manager_browser.post(url, {"token": token}, follow=True)
    assert response.status_code == 200
    assert Instrument.objects.filter(unit=unit).count() == 3
    messages = [str(message) for message in response.context["messages"]]
    assert any("2 created, 1 updated" in message for message in messages)
    assert not any(tmp_path.rglob("*.csv"))

    # The same token cannot import twice.
    response = manager_browser.post(url, {"token": token}, follow=True)
    assert any("upload it again" in str(message) for message in response.context["messages"])
    assert Instrument.objects.filter(unit=unit).count() == 3


def test_import_page_without_dry_run_imports_at_once(manager_browser, unit):
    url = reverse("instrument-import", args=[unit.pk])
    content = xlsx_bytes([instrument_row(1), instrument_row(2)])
    response = manager_browser.post(url, {"file": upload(content, "instruments.xlsx")})
    assert response.status_code == 302
    assert Instrument.objects.filter(unit=unit).count() == 2


def test_import_page_lists_errors_a_person_can_fix(manager_browser, unit):
    url = reverse("instrument-import", args=[unit.pk])
    rows = [instrument_row(1), instrument_row(2, hourly_rate_external="-5"), instrument_row(3, category="nope")]
    response = manager_browser.post(url, {"file": upload(csv_bytes(rows)), "dry_run": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not imported" in page
    assert "<code>hourly_rate_external</code>" in page
    assert "Must be 0 or more." in page
    assert [(error["row"], error.get("field")) for error in response.context["row_errors"]] == [
        (3, "hourly_rate_external"),
        (4, "category"),
    ]
    assert "confirm_form" not in response.context
    assert not Instrument.objects.exists()


def test_import_page_refuses_bad_files_with_a_message(manager_browser, unit):
    url = reverse("instrument-import", args=[unit.pk])
    response = manager_browser.post(url, {"file": upload("a,b\r\n".encode("utf-16")), "dry_run": "on"})
    assert response.status_code == 400
    assert "GBK" in response.context["problem"]
    response = manager_browser.post(url, {"dry_run": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not Instrument.objects.exists()


def test_import_page_confirm_with_a_forged_token_does_nothing(manager_browser, unit):
    url = reverse("instrument-import", args=[unit.pk])
    response = manager_browser.post(url, {"token": "0" * 32}, follow=True)
    assert response.status_code == 200
    assert any("upload it again" in str(message) for message in response.context["messages"])
    assert not Instrument.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("plain", 403), ("other_manager", 403), ("member", 403), ("manager", 200), ("unit_admin", 200), ("admin", 200)],
)
def test_import_and_export_pages_permissions(client, unit, who, status):
    users = {
        "plain": lambda: UserFactory(),
        "other_manager": lambda: MembershipFactory(role=Membership.Role.MANAGER).user,
        "member": lambda: MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user,
        "manager": lambda: MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "unit_admin": lambda: MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "admin": lambda: UserFactory(is_staff=True),
    }
    client.force_login(users[who]())
    assert client.get(reverse("instrument-import", args=[unit.pk])).status_code == status
    assert client.get(reverse("instrument-export", args=[unit.pk]), {"format": "xlsx"}).status_code == status
    response = client.post(
        reverse("instrument-import", args=[unit.pk]), {"file": upload(csv_bytes([instrument_row(1)]))}
    )
    assert response.status_code == (302 if status == 200 else status)
    assert Instrument.objects.count() == (1 if status == 200 else 0)


def test_import_page_anonymous_goes_to_login(client, unit):
    response = client.get(reverse("instrument-import", args=[unit.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_import_page_unknown_unit_is_404(manager_browser):
    assert manager_browser.get(reverse("instrument-import", args=[999999])).status_code == 404


def test_export_page_downloads_xlsx(manager_browser, unit, instrument):
    response = manager_browser.get(reverse("instrument-export", args=[unit.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == instrument.asset_number
    assert manager_browser.get(reverse("instrument-export", args=[unit.pk]), {"format": "pdf"}).status_code == 400


def test_import_template_imports_back_and_explains_columns(manager_browser, unit):
    response = manager_browser.get(reverse("instrument-import-template"), {"format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    header = next(workbook.worksheets[0].iter_rows(values_only=True))
    assert header[0] == "资产编号 asset_number"
    assert workbook.worksheets[1]["A2"].value == "asset_number"
    # The bilingual template header is accepted by the import, with rows filled in below it.
    template_csv = manager_browser.get(reverse("instrument-import-template"), {"format": "csv"}).content
    header_line = template_csv.decode("utf-8-sig").strip()
    row = instrument_row(1)
    keys = [title.split()[-1] for title in header_line.split(",")]
    line = ",".join(str(row.get(key, "")) for key in keys)
    content = (header_line + "\r\n" + line + "\r\n").encode("utf-8")
    response = manager_browser.post(reverse("instrument-import", args=[unit.pk]), {"file": upload(content)})
    assert response.status_code == 302, (response.context["problem"], response.context["row_errors"])
    assert Instrument.objects.filter(unit=unit).count() == 1
