"""A statement as PDF, XLSX and CSV: header, lines grouped by project code, totals, payments.

All three read `statement_document` so the files always agree with the page and the API.

- PDF: ReportLab with the platform's embedded TrueType font (`sharing_platform.pdf`). Every text that
  a person typed (unit names, project codes, references, reasons) goes through `text_paragraph`, so
  it is shown and never read as markup.
- XLSX and CSV: every cell goes through `sharing_platform.spreadsheets`, so nothing a person typed
  becomes a formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.pdf import pdf_font, text_paragraph
from sharing_platform.spreadsheets import csv_bytes, xlsx_row

from .models import Charge, Payment, Statement
from .selectors import group_by_project, statement_charges, statement_payments

EXPORT_FORMATS = ("pdf", "xlsx", "csv")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


# --- One document shape for every format ------------------------------------------------------


@dataclass(frozen=True)
class Line:
    date: str
    booking: str
    instrument: str
    requester: str
    description: str
    hours: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Group:
    project_code: str
    lines: list[Line]
    subtotal: Decimal


def _description(charge: Charge) -> str:
    if charge.kind == Charge.Kind.ADJUSTMENT:
        return _("Adjustment: %(reason)s") % {"reason": charge.reason}
    parts = [charge.get_kind_display(), charge.get_rate_kind_display()]
    if charge.surcharge_rate:
        parts.append(_("operator surcharge %(rate)s/h") % {"rate": charge.surcharge_rate})
    if charge.fee:
        parts.append(_("fee %(fee)s") % {"fee": charge.fee})
    if charge.deposit_applied:
        parts.append(_("less forfeited deposit %(deposit)s") % {"deposit": charge.deposit_applied})
    return ", ".join(str(part) for part in parts)


def _legal_name(unit) -> str:
    """The registered name, with the English one after it where there is one (statements are formal)."""
    return f"{unit.name} ({unit.name_en})" if unit.name_en and unit.name_en != unit.name else unit.name


def statement_document(statement: Statement) -> dict:
    """Everything a statement file shows, as plain values (three queries)."""
    groups = []
    for group in group_by_project(statement_charges(statement)):
        lines = [
            Line(
                date=timezone.localtime(charge.incurred_at).strftime("%Y-%m-%d"),
                booking=f"#{charge.booking_id}",
                instrument=charge.instrument.display_name,
                requester=charge.booking.requester.get_username(),
                description=_description(charge),
                hours=charge.hours,
                rate=charge.rate + charge.surcharge_rate,
                amount=charge.amount,
            )
            for charge in group.charges
        ]
        groups.append(
            Group(project_code=group.project_code or _("(no project code)"), lines=lines, subtotal=group.subtotal)
        )
    payments = [p for p in statement_payments(statement) if p.status == Payment.Status.CONFIRMED]
    return {
        "title": _("Statement %(reference)s") % {"reference": statement.reference},
        "header": [
            (_("Statement"), statement.reference),
            (_("From (provider)"), _legal_name(statement.provider_unit)),
            (_("Provider credit code"), statement.provider_unit.credit_code),
            (_("To (paying unit)"), _legal_name(statement.payer_unit)),
            (_("Paying unit credit code"), statement.payer_unit.credit_code),
            (_("Charges up to"), statement.period_end.isoformat()),
            (_("Issued on"), timezone.localtime(statement.issued_at).strftime("%Y-%m-%d")),
            (_("Due date"), statement.due_date.isoformat()),
            (_("Status"), str(statement.get_status_display())),
        ],
        "groups": groups,
        "total": statement.total,
        "paid": statement.amount_paid,
        "balance": statement.balance,
        "payments": [(p.paid_on.isoformat(), p.reference, p.amount) for p in payments],
        "filename": f"statement-{statement.reference}",
    }


def _line_header() -> list[str]:
    return [
        _("Project code"),
        _("Date"),
        _("Booking"),
        _("Instrument"),
        _("Requester"),
        _("Description"),
        _("Hours"),
        _("Rate (CNY/h)"),
        _("Amount (CNY)"),
    ]


def _table_rows(document: dict) -> list[list]:
    """Header, then per project code its lines and a subtotal row; money and hours stay Decimal."""
    rows: list[list] = [_line_header()]
    for group in document["groups"]:
        rows.extend(
            [
                group.project_code,
                line.date,
                line.booking,
                line.instrument,
                line.requester,
                line.description,
                line.hours,
                line.rate,
                line.amount,
            ]
            for line in group.lines
        )
        rows.append([group.project_code, "", "", "", "", _("Subtotal"), "", "", group.subtotal])
    return rows


def _summary_rows(document: dict) -> list[list]:
    rows = [[_("Total (CNY)"), document["total"]], [_("Paid (CNY)"), document["paid"]]]
    rows.append([_("Balance (CNY)"), document["balance"]])
    return rows


# --- CSV and XLSX -----------------------------------------------------------------------------


def _spreadsheet_rows(document: dict) -> list[list]:
    """The rows both spreadsheet formats write, top to bottom."""
    rows: list[list] = [[document["title"]]]
    rows += [[label, value] for label, value in document["header"]]
    rows.append([])
    rows += _table_rows(document)
    rows.append([])
    rows += _summary_rows(document)
    rows += [[_("Payment"), paid_on, reference, amount] for paid_on, reference, amount in document["payments"]]
    return rows


def statement_csv(statement: Statement) -> bytes:
    return csv_bytes(_spreadsheet_rows(statement_document(statement)))


def statement_xlsx(statement: Statement) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    document = statement_document(statement)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Statement")[:31]
    for row in _spreadsheet_rows(document):
        sheet.append(xlsx_row(sheet, row))
    sheet["A1"].font = Font(bold=True)
    for column, width in zip("ABCDEFGHI", (18, 12, 10, 30, 14, 40, 8, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------


def statement_pdf(statement: Statement) -> bytes:
    """A4 portrait: header table, one table of lines with project subtotals, totals and payments."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    document = statement_document(statement)
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    cell = styles["BodyText"].clone("cell", fontSize=7.5, leading=9.5)
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=document["title"],
        author=statement.provider_unit.display_name,
    )
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story = [text_paragraph(document["title"], styles["Title"])]
    story.append(
        Table(
            [[text_paragraph(label, cell), text_paragraph(value, cell)] for label, value in document["header"]],
            colWidths=[45 * mm, 130 * mm],
            style=grid,
        )
    )
    story.append(Spacer(1, 5 * mm))
    rows = _table_rows(document)
    body = [[text_paragraph(value, cell) for value in rows[0]]]
    subtotal_rows = []
    for index, row in enumerate(rows[1:], start=1):
        body.append([text_paragraph(value if value != "" else "", cell) for value in row])
        if row[5] == _("Subtotal"):
            subtotal_rows.append(index)
    lines_style = TableStyle(
        [
            *grid.getCommands(),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            *[("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f4f4f4")) for i in subtotal_rows],
        ]
    )
    widths = [22, 16, 13, 30, 18, 42, 10, 13, 16]
    story.append(Table(body, repeatRows=1, colWidths=[w * mm for w in widths], style=lines_style))
    story.append(Spacer(1, 5 * mm))
    summary = [[text_paragraph(label, cell), text_paragraph(value, cell)] for label, value in _summary_rows(document)]
    for paid_on, reference, amount in document["payments"]:
        summary.append(
            [
                text_paragraph(_("Payment %(date)s") % {"date": paid_on}, cell),
                text_paragraph(f"{amount} ({reference})", cell),
            ]
        )
    story.append(Table(summary, colWidths=[45 * mm, 130 * mm], style=grid))
    pdf.build(story)
    return buffer.getvalue()


RENDERERS = {"csv": statement_csv, "xlsx": statement_xlsx, "pdf": statement_pdf}


def statement_response(statement: Statement, export_format: str) -> HttpResponse:
    """The statement as a download in one of EXPORT_FORMATS."""
    response = HttpResponse(RENDERERS[export_format](statement), content_type=CONTENT_TYPES[export_format])
    response["Content-Disposition"] = f'attachment; filename="statement-{statement.reference}.{export_format}"'
    return response
