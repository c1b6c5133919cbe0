"""The billing API over HTTP: who sees what (own unit / other unit / anonymous / admin), issuing,
payments, refusals with clear messages and nothing changed, constant query counts, downloads."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.models import Charge, Payment, Statement, StatementLine
from tests.factories import MembershipFactory
from tests.unchanged import nothing_changed

from .conftest import local

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def march(used):
    return [
        used(local("2026-03-02 09:00"), hours=2, project_code="NSFC-2026"),
        used(local("2026-03-03 09:00"), hours=1, project_code='=HYPERLINK("http://x")'),
        used(local("2026-03-04 09:00"), hours=3),
    ]


def client_for(api_client, user):
    if user is not None:
        api_client.force_authenticate(user)
    return api_client


def issue_via_api(api_client, user, unit, payer, period_end="2026-03-31"):
    return client_for(api_client, user).post(
        "/api/v1/statements/",
        {"provider_unit": unit.pk, "payer_unit": payer.pk, "period_end": period_end},
        format="json",
    )


def test_api_issue_statement_and_read_it_grouped(api_client, march, unit, other_unit, provider_manager):
    response = issue_via_api(api_client, provider_manager, unit, other_unit)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "2400.00"
    assert body["status"] == "issued"
    assert body["reference"].endswith("-000001")
    assert [(g["project_code"], g["subtotal"]) for g in body["groups"]] == [
        ("=HYPERLINK(\"http://x\")", "400.00"), ("NSFC-2026", "800.00"), ("", "1200.00")]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "status_code"),
    [("provider_manager", 403), ("payer_admin", 403), ("outsider", 403), ("researcher", 403), (None, 401)],
)
def test_api_issue_refusals_leave_nothing_behind(api_client, march, unit, other_unit, request, who, status_code):
    """The first row issues twice (409); the others are not the provider (403) or anonymous (401)."""
    if who == "provider_manager":
        assert issue_via_api(APIClientFor(request.getfixturevalue(who)), None, unit, other_unit).status_code == 201
        status_code = 409
    before = (Statement.objects.count(), StatementLine.objects.count())
    user = request.getfixturevalue(who) if who else None
    response = issue_via_api(api_client, user, unit, other_unit)
    assert response.status_code == status_code, response.content
    assert response.json()["detail"]
    assert (Statement.objects.count(), StatementLine.objects.count()) == before


def APIClientFor(user):  # noqa: N802 - reads like a class at the call site
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_issue_bad_input(api_client, march, unit, other_unit, provider_admin):
    client = client_for(api_client, provider_admin)
    cases = [
        ({"provider_unit": unit.pk, "payer_unit": other_unit.pk, "period_end": "31/03/2026"}, 400),
        ({"provider_unit": unit.pk, "payer_unit": 999999, "period_end": "2026-03-31"}, 400),
        ({"provider_unit": unit.pk, "payer_unit": unit.pk, "period_end": "2026-03-31"}, 400),
        ({"provider_unit": unit.pk, "payer_unit": other_unit.pk, "period_end": "2999-01-01"}, 400),
    ]
    for body, code in cases:
        response = client.post("/api/v1/statements/", body, format="json")
        assert response.status_code == code, (body, response.content)
    assert not Statement.objects.exists()


def test_api_statement_visibility_matrix(api_client, march, unit, other_unit, provider_admin, payer_admin,
                                         researcher, outsider, platform_admin):  # fmt: skip
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    expected = {provider_admin: 200, payer_admin: 200, platform_admin: 200, researcher: 404, outsider: 404}
    for user, code in expected.items():
        client = APIClientFor(user)
        assert client.get(f"/api/v1/statements/{statement_id}/").status_code == code
        listed = [row["id"] for row in client.get("/api/v1/statements/").json()["results"]]
        assert (statement_id in listed) == (code == 200)
    from rest_framework.test import APIClient

    assert APIClient().get(f"/api/v1/statements/{statement_id}/").status_code == 401


def test_api_charges_visibility_and_filters(api_client, march, unit, other_unit, provider_admin, payer_admin,
                                            researcher, outsider, platform_admin):  # fmt: skip
    booking = march[0]
    expected = {provider_admin: 3, payer_admin: 3, researcher: 3, platform_admin: 3, outsider: 0}
    for user, count in expected.items():
        assert len(APIClientFor(user).get("/api/v1/charges/").json()["results"]) == count
    client = APIClientFor(provider_admin)
    by_booking = client.get("/api/v1/charges/", {"booking": booking.pk}).json()["results"]
    assert [row["booking"] for row in by_booking] == [booking.pk]
    assert by_booking[0]["amount"] == "800.00"
    assert by_booking[0]["payer_unit"]["id"] == other_unit.pk
    assert len(client.get("/api/v1/charges/", {"payer_unit": other_unit.pk}).json()["results"]) == 3
    assert len(client.get("/api/v1/charges/", {"provider_unit": other_unit.pk}).json()["results"]) == 0
    # A member of the paying unit who is not its admin sees only their own bookings' charges.
    colleague = MembershipFactory(unit=other_unit).user
    assert APIClientFor(colleague).get("/api/v1/charges/").json()["results"] == []


def test_api_lists_keep_a_constant_number_of_queries(used, unit, other_unit, provider_admin,
                                                     django_assert_num_queries):  # fmt: skip
    client = APIClientFor(provider_admin)
    bookings, statements = set(), set()

    def add(day):
        bookings.add(used(local(f"2026-03-{day:02d} 09:00")).pk)
        issued = issue_via_api(client, None, unit, other_unit, period_end=f"2026-03-{day:02d}")
        assert issued.status_code == 201, issued.content
        statements.add(issued.json()["id"])

    def listed(url, field):
        response = client.get(url)
        assert response.status_code == 200
        return {row[field] for row in response.json()["results"]}

    add(2)
    with django_assert_num_queries(1):
        assert listed("/api/v1/charges/", "booking") == bookings
    with django_assert_num_queries(1):
        assert listed("/api/v1/statements/", "id") == statements
    for day in range(3, 9):
        add(day)
    with django_assert_num_queries(1):  # the same one query with 7 rows
        assert listed("/api/v1/charges/", "booking") == bookings
    with django_assert_num_queries(1):
        assert listed("/api/v1/statements/", "id") == statements
    assert len(statements) == 7


def test_api_payments_partial_then_paid(api_client, march, unit, other_unit, provider_admin):
    client = APIClientFor(provider_admin)
    statement_id = issue_via_api(client, None, unit, other_unit).json()["id"]
    today = timezone.localdate().isoformat()
    first = client.post(f"/api/v1/statements/{statement_id}/payments/",
                        {"amount": "400.00", "paid_on": today, "reference": "T-1"}, format="json")  # fmt: skip
    assert first.status_code == 201, first.content
    assert client.get(f"/api/v1/statements/{statement_id}/").json()["status"] == "partly_paid"
    second = client.post(f"/api/v1/statements/{statement_id}/payments/",
                         {"amount": "2000", "paid_on": today, "reference": "T-2"}, format="json")  # fmt: skip
    assert second.status_code == 201
    body = client.get(f"/api/v1/statements/{statement_id}/").json()
    assert (body["status"], body["balance"], len(body["payments"])) == ("paid", "0.00", 2)


@pytest.mark.parametrize(
    ("body", "who", "status_code", "code"),
    [
        ({"amount": "2400.01"}, "provider_admin", 400, "overpayment"),
        ({"amount": "-1"}, "provider_admin", 400, "negative_amount"),
        ({"amount": "0"}, "provider_admin", 400, "zero_amount"),
        ({"amount": "1.234"}, "provider_admin", 400, "too_many_decimals"),
        ({}, "outsider", 404, "not_found"),
        ({}, "payer_admin", 403, "permission_denied"),
        ({}, "researcher", 404, "not_found"),
    ],
)
def test_api_payment_refusals(march, unit, other_unit, provider_admin, request, body, who, status_code, code):
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    payload = {"amount": "100", "paid_on": timezone.localdate().isoformat(), "reference": "R"} | body
    response = APIClientFor(request.getfixturevalue(who)).post(
        f"/api/v1/statements/{statement_id}/payments/", payload, format="json"
    )
    assert response.status_code == status_code, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Payment.objects.exists()
    assert Statement.objects.get(pk=statement_id).amount_paid == 0


def test_api_payment_on_cancelled_statement_refused(march, unit, other_unit, provider_admin):
    client = APIClientFor(provider_admin)
    statement_id = issue_via_api(client, None, unit, other_unit).json()["id"]
    assert (
        client.post(f"/api/v1/statements/{statement_id}/cancel/", {"reason": "wrong"}, format="json").status_code == 200
    )
    response = client.post(f"/api/v1/statements/{statement_id}/payments/",
                           {"amount": "1", "paid_on": timezone.localdate().isoformat(), "reference": "R"},
                           format="json")  # fmt: skip
    assert response.status_code == 409
    assert response.json()["code"] == "cancelled"
    assert not Payment.objects.exists()


def test_api_declare_then_confirm(march, unit, other_unit, provider_admin, payer_admin):
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    today = timezone.localdate().isoformat()
    declared = APIClientFor(payer_admin).post(f"/api/v1/statements/{statement_id}/payments/declare/",
                                              {"amount": "2400", "paid_on": today, "reference": "ICBC-9"},
                                              format="json")  # fmt: skip
    assert declared.status_code == 201
    assert declared.json()["status"] == "declared"
    payment_id = declared.json()["id"]
    with nothing_changed():  # still declared, the statement still issued
        assert APIClientFor(payer_admin).post(f"/api/v1/payments/{payment_id}/confirm/").status_code == 403
    confirmed = APIClientFor(provider_admin).post(f"/api/v1/payments/{payment_id}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert Statement.objects.get(pk=statement_id).status == "paid"


def test_api_adjustment(march, provider_admin, payer_admin):
    charge = Charge.objects.get(booking=march[0])
    url = f"/api/v1/charges/{charge.pk}/adjustments/"
    response = APIClientFor(provider_admin).post(url, {"amount": "-50.00", "reason": "Late start"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["adjusts"]) == ("-50.00", charge.pk)
    refused = APIClientFor(payer_admin).post(url, {"amount": "-50.00", "reason": "discount"}, format="json")
    assert refused.status_code == 403
    assert Charge.objects.filter(kind="adjustment").count() == 1


def test_api_instrument_and_unit_billing_settings(instrument, unit, provider_admin, provider_manager, payer_admin):
    url = f"/api/v1/instruments/{instrument.pk}/billing/"
    assert APIClientFor(payer_admin).get(url).json()["billing_unit_minutes"] == 30
    with nothing_changed():
        assert APIClientFor(payer_admin).patch(url, {"basis": "booked"}, format="json").status_code == 403
    changed = APIClientFor(provider_manager).patch(
        url, {"basis": "booked", "no_show_rule": "fixed_fee", "no_show_fee": "120.5"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["basis"], changed.json()["no_show_fee"]) == ("booked", "120.50")
    terms = f"/api/v1/units/{unit.pk}/billing/"
    with nothing_changed():  # the fee stays 120.50; a manager may not set the unit's terms
        bad = APIClientFor(provider_manager).patch(url, {"no_show_fee": "1.005"}, format="json")
        assert bad.status_code == 400
        assert APIClientFor(provider_manager).patch(terms, {"due_days": 15}, format="json").status_code == 403
    assert APIClientFor(payer_admin).get(terms).status_code == 404
    saved = APIClientFor(provider_admin).patch(terms, {"due_days": 15, "monthly_statements": True}, format="json")
    assert saved.status_code == 200
    assert saved.json()["due_days"] == 15
    with nothing_changed():
        assert APIClientFor(provider_admin).patch(terms, {"due_days": 0}, format="json").status_code == 400


# --- Downloads --------------------------------------------------------------------------------


def test_api_statement_pdf_has_embedded_font_and_the_text(march, unit, other_unit, provider_admin):
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    response = APIClientFor(provider_admin).get(f"/api/v1/statements/{statement_id}/", {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    statement = Statement.objects.get(pk=statement_id)
    assert statement.reference in text
    assert unit.name in text
    assert other_unit.name in text
    assert "NSFC-2026" in text
    assert "2400.00" in text
    assert '=HYPERLINK("http://x")' in "".join(text.split())  # user text shown as text (wrapped in its column)
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    cjk = [font for font in fonts if "WenQuanYi" in str(font["/BaseFont"])]  # subset of the embedded TTF
    assert cjk, [str(font["/BaseFont"]) for font in fonts]
    for font in cjk:  # TrueType outlines inside the file, whatever machine opens it
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()


def test_api_statement_pdf_escapes_markup_in_user_text(used, unit, other_unit, provider_admin):
    used(local("2026-03-02 09:00"), project_code="<b>x</b> & <font size=40>")
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    response = APIClientFor(provider_admin).get(f"/api/v1/statements/{statement_id}/", {"format": "pdf"})

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "<b>x</b>&<fontsize=40>" in "".join(text.split())


def test_api_statement_csv_and_xlsx_neutralise_formulas(march, unit, other_unit, provider_admin):
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    client = APIClientFor(provider_admin)

    csv_response = client.get(f"/api/v1/statements/{statement_id}/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    codes = {row[0] for row in rows if len(row) == 9}
    assert '\'=HYPERLINK("http://x")' in codes
    assert '=HYPERLINK("http://x")' not in codes
    assert any(row[:1] == ["Total (CNY)"] and row[1] == "2400.00" for row in rows)

    xlsx_response = client.get(f"/api/v1/statements/{statement_id}/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    values = [cell.value for cell in cells]
    hostile = [cell for cell in cells if cell.value == '=HYPERLINK("http://x")']
    assert hostile, "the project code is in the file, as text"
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in hostile)
    assert not any(cell.data_type == "f" for cell in cells)
    assert 2400 in [float(v) for v in values if isinstance(v, int | float)]


def test_api_download_needs_the_same_rights(march, unit, other_unit, provider_admin, outsider):
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    assert APIClientFor(outsider).get(f"/api/v1/statements/{statement_id}/", {"format": "pdf"}).status_code == 404


def test_api_period_end_date_is_inclusive(used, unit, other_unit, provider_admin):
    used(local("2026-03-31 21:00"), hours=2)  # checked out at 23:00 on the 31st
    response = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit, period_end="2026-03-31")
    assert response.status_code == 201
    assert response.json()["total"] == "800.00"
    assert date.fromisoformat(response.json()["period_end"]) == date(2026, 3, 31)


def test_api_statement_pdf_in_chinese(march, unit, other_unit, provider_admin):
    statement_id = issue_via_api(APIClientFor(provider_admin), None, unit, other_unit).json()["id"]
    response = APIClientFor(provider_admin).get(
        f"/api/v1/statements/{statement_id}/", {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = "".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "对账单" in text
    assert "付款单位" in text
    assert "合计" in text
