"""The unit evaluation as CSV, XLSX and PDF: one table of indicators, then one row per instrument.

All three read the same `evaluation_rows` so the files always agree with the page and the API.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _

from sharing_platform.pdf import pdf_font, text_paragraph
from sharing_platform.spreadsheets import csv_bytes, xlsx_row

from . import indicators

EXPORT_FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _display(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def evaluation_rows(report: dict) -> list[tuple[str, str, object, object]]:
    """(section, indicator, value, platform median) for every indicator of the report."""
    median = report["platform_median"]
    organisation, operation, sharing = report["organisation"], report["operation"], report["sharing"]
    grade = report["grade"] or {}
    section_org, section_op, section_share = (
        _("Organisation and management"),
        _("Operation and use"),
        _("Shared service"),
    )
    return [
        (section_org, _("Instruments evaluated"), organisation["instruments"], None),
        (section_org, _("Original value (CNY)"), organisation["original_value"], None),
        (section_org, _("Credit score"), organisation["credit_score"], None),
        (section_org, _("Credit tier"), organisation["credit_tier"] or _("not scored"), None),
        # xgettext:no-python-format
        (section_org, _("Idle instruments (under 10% of open hours)"), organisation["idle_instruments"], None),
        (section_op, _("Effective machine hours"), operation["effective_hours"], None),
        (
            section_op,
            _("Average effective hours per instrument per year"),
            operation["avg_effective_hours_per_year"],
            median.get("avg_effective_hours_per_year"),
        ),
        (section_op, _("Hours open for booking"), operation["open_hours"], None),
        (section_op, _("Utilisation"), operation["utilisation"], None),
        (section_op, _("Instruments meeting the 800 h norm"), operation["instruments_meeting_norm"], None),
        (section_op, _("Income (CNY)"), operation["income"], None),
        (section_op, _("Internal income (CNY)"), operation["internal_income"], None),
        (section_op, _("External income (CNY)"), operation["external_income"], None),
        (section_op, _("Income rate"), operation["income_rate"], median.get("income_rate")),
        (section_share, _("External service hours"), sharing["external_hours"], None),
        (
            section_share,
            _("Average external hours per instrument per year"),
            sharing["avg_external_hours_per_year"],
            median.get("avg_external_hours_per_year"),
        ),
        (section_share, _("Sharing rate"), sharing["sharing_rate"], median.get("sharing_rate")),
        (section_share, _("Combined sharing rate"), sharing["combined_sharing_rate"], None),
        (section_share, _("External users served"), sharing["external_users_served"], None),
        (section_share, _("External units served"), sharing["external_units_served"], None),
        (section_share, _("Idle instruments reused"), sharing["idle_instruments_reused"], None),
        (section_share, _("User satisfaction (average stars)"), sharing["average_stars"], median.get("average_stars")),
        (section_share, _("Reviews"), sharing["reviews"], None),
        (_("Proposed grade"), _("Score (of 100)"), grade.get("score"), median.get("score")),
        (_("Proposed grade"), _("Grade"), grade.get("label"), None),
    ]


INSTRUMENT_COLUMNS = (
    ("asset_number", "Asset number"),
    ("name", "Instrument"),
    ("category", "Category"),
    ("original_value", "Original value (CNY)"),
    ("effective_hours", "Effective hours"),
    ("external_hours", "External hours"),
    ("sharing_rate", "Sharing rate"),
    ("income", "Income (CNY)"),
    ("income_rate", "Income rate"),
    ("open_hours", "Open hours"),
    ("utilisation", "Utilisation"),
)

# Columns written as text even when they look like numbers (asset number "00123" keeps its zeros).
TEXT_COLUMNS = frozenset({"asset_number", "name", "category"})
_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


def _instrument_header() -> list[str]:
    labels = {
        "Asset number": _("Asset number"),
        "Instrument": _("Instrument"),
        "Category": _("Category"),
        "Original value (CNY)": _("Original value (CNY)"),
        "Effective hours": _("Effective hours"),
        "External hours": _("External hours"),
        "Sharing rate": _("Sharing rate"),
        "Income (CNY)": _("Income (CNY)"),
        "Income rate": _("Income rate"),
        "Open hours": _("Open hours"),
        "Utilisation": _("Utilisation"),
    }
    return [labels[label] for _key, label in INSTRUMENT_COLUMNS]


def _title(report: dict) -> str:
    return _("Open sharing evaluation %(year)s: %(unit)s") % {"year": report["year"], "unit": report["unit"]["name"]}


def _filename(report: dict, extension: str) -> str:
    return f"evaluation-unit{report['unit']['id']}-{report['year']}.{extension}"


def evaluation_csv(report: dict) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read Chinese names); names that look
    like formulas are quoted (sharing_platform.spreadsheets)."""
    rows: list[list] = [[_("Section"), _("Indicator"), _("Value"), _("Platform median")]]
    rows += [
        [section, label, _display(value), _display(median)] for section, label, value, median in evaluation_rows(report)
    ]
    rows.append([])
    rows.append(_instrument_header())
    rows += [[_display(row[key]) for key, _label in INSTRUMENT_COLUMNS] for row in report["instruments"]]
    return csv_bytes(rows)


def evaluation_xlsx(report: dict) -> bytes:
    """Two sheets; numbers as numbers, every text as text (never a formula: sharing_platform.spreadsheets)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Indicators")[:31]
    sheet.append(xlsx_row(sheet, [_title(report)]))
    sheet["A1"].font = Font(bold=True)
    sheet.append(xlsx_row(sheet, [_("Section"), _("Indicator"), _("Value"), _("Platform median")]))
    for section, label, value, median in evaluation_rows(report):
        sheet.append(xlsx_row(sheet, [section, label, _cell(value), _cell(median)]))
    instruments = workbook.create_sheet(_("Instruments")[:31])
    instruments.append(xlsx_row(instruments, _instrument_header()))
    for row in report["instruments"]:
        instruments.append(
            xlsx_row(
                instruments,
                [_display(row[key]) if key in TEXT_COLUMNS else _cell(row[key]) for key, _label in INSTRUMENT_COLUMNS],
            )
        )
    for worksheet in (sheet, instruments):
        worksheet.column_dimensions["A"].width = 28
        worksheet.column_dimensions["B"].width = 44
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value):
    """Numbers stay numbers in the spreadsheet; money strings (Decimal as text) become numbers too."""
    if value is None or isinstance(value, bool):
        return _display(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal) or (isinstance(value, str) and _NUMBER.match(value)):
        return float(value)
    return str(value)


def evaluation_pdf(report: dict) -> bytes:
    """The report a unit hands on (analytics/report_pdf.py): a summary page, monthly charts, then the tables.

    Names come from users: every paragraph is literal text (`text_paragraph`), never markup.
    """
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Spacer, Table, TableStyle

    from .report_pdf import evaluation_report_pdf
    from .selectors_monthly import unit_monthly_figures

    font = pdf_font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    table_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    tables: list = [
        text_paragraph(_("Indicators"), styles["Heading2"]),
        text_paragraph(
            _("Window: %(start)s to %(end)s%(partial)s")
            % {
                "start": report["window"]["start"].strftime("%Y-%m-%d"),
                "end": report["window"]["end"].strftime("%Y-%m-%d %H:%M"),
                "partial": _(" (year not over: hours per year are annualised)") if report["partial_year"] else "",
            },
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[_("Section"), _("Indicator"), _("Value"), _("Platform median")]]
    rows += [
        [section, label, _display(value), _display(median)] for section, label, value, median in evaluation_rows(report)
    ]
    tables.append(Table(rows, repeatRows=1, style=table_style, colWidths=[60 * mm, 100 * mm, 45 * mm, 45 * mm]))
    tables.append(
        text_paragraph(
            _(
                "Reference points: %(norm)s effective hours a year (education ministry norm); national averages "
                "%(effective)s effective and %(external)s external hours per instrument."
            )
            % {
                "norm": indicators.NORM_HOURS_PER_YEAR,
                "effective": indicators.NATIONAL_AVG_EFFECTIVE_HOURS,
                "external": indicators.NATIONAL_AVG_EXTERNAL_HOURS,
            },
            styles["Normal"],
        )
    )
    if report["instruments"]:
        tables += [PageBreak(), text_paragraph(_("Instruments"), styles["Heading2"])]
        instrument_rows = [_instrument_header()]
        instrument_rows += [[_display(row[key]) for key, _label in INSTRUMENT_COLUMNS] for row in report["instruments"]]
        tables.append(Table(instrument_rows, repeatRows=1, style=table_style))
    monthly = unit_monthly_figures(
        unit_id=report["unit"]["id"],
        year=report["year"],
        min_value=Decimal(report["min_value"]),
        now=report["window"]["end"],
    )
    return evaluation_report_pdf(report, monthly=monthly, tables=tables)


RENDERERS = {"csv": evaluation_csv, "xlsx": evaluation_xlsx, "pdf": evaluation_pdf}


def evaluation_response(report: dict, export_format: str) -> HttpResponse:
    """The report as a download in one of EXPORT_FORMATS."""
    response = HttpResponse(RENDERERS[export_format](report), content_type=CONTENT_TYPES[export_format])
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, export_format)}"'
    return response
