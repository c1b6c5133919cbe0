"""The unit evaluation as a report a unit hands to its ministry (A4 PDF, in the request's language).

Page one is the summary: the proposed grade, whether the national norm of 800 effective hours per
instrument and year is met, effective and external hours against the platform median, and the same
in a few sentences. Then charts of the year month by month (hours; income), drawn with ReportLab's
own chart library as vector graphics, and then the tables every evaluation export has.

Names come from users: paragraphs are literal text (`text_paragraph`, sharing_platform/pdf.py), never
markup; chart labels and table cells are drawn as plain strings.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.pdf import pdf_font, text_paragraph

from . import indicators

BLUE = "#1f5fa8"
ORANGE = "#e07b28"
GREEN = "#2e7a46"
LIGHT = "#e8eef5"


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{float(value):,.{digits}f}"


def _money(value) -> str:
    return "-" if value is None else f"¥{Decimal(str(value)):,.2f}"


def _percent(value) -> str:
    return "-" if value is None else f"{float(value) * 100:.1f}%"


def summary_sentences(report: dict) -> list[str]:
    """The summary in words (literal text: the unit's name is in it)."""
    operation, sharing, organisation = report["operation"], report["sharing"], report["organisation"]
    median = report["platform_median"]
    benchmarks = report["benchmarks"]
    sentences = [
        _(
            "In %(year)s, %(unit)s had %(instruments)s instruments in the evaluation, of an original value of "
            "%(value)s. They were used for %(effective)s effective hours, %(external)s of them for users from "
            "other units, and earned %(income)s."
        )
        % {
            "year": report["year"],
            "unit": report["unit"]["name"],
            "instruments": organisation["instruments"],
            "value": _money(organisation["original_value"]),
            "effective": _number(operation["effective_hours"], 1),
            "external": _number(sharing["external_hours"], 1),
            "income": _money(operation["income"]),
        }
    ]
    average = _number(operation["avg_effective_hours_per_year"])
    if benchmarks["meets_norm"]:
        sentences.append(
            _("On average each instrument was used %(hours)s hours a year: the national norm of %(norm)s hours is met.")
            % {"hours": average, "norm": indicators.NORM_HOURS_PER_YEAR}
        )
    else:
        sentences.append(
            _(
                "On average each instrument was used %(hours)s hours a year: the national norm of %(norm)s hours "
                "is not met."
            )
            % {"hours": average, "norm": indicators.NORM_HOURS_PER_YEAR}
        )
    sentences.append(
        _(
            "The platform median is %(effective)s effective and %(external)s external hours per instrument and "
            "year; this unit has %(own_effective)s and %(own_external)s."
        )
        % {
            "effective": _number(median.get("avg_effective_hours_per_year")),
            "external": _number(median.get("avg_external_hours_per_year")),
            "own_effective": average,
            "own_external": _number(sharing["avg_external_hours_per_year"]),
        }
    )
    grade = report["grade"]
    if grade:
        sentences.append(
            _("The proposed grade is %(grade)s, %(score)s points of 100.")
            % {"grade": grade["label"], "score": _number(grade["score"], 1)}
        )
    else:
        sentences.append(_("No grade is proposed: the unit had no instrument in the evaluation."))
    if report["partial_year"]:
        sentences.append(_("The year is not over: hours per year are annualised from the months so far."))
    return sentences


def summary_rows(report: dict) -> list[list[str]]:
    """The key figures: (figure, this unit, platform median)."""
    operation, sharing, organisation = report["operation"], report["sharing"], report["organisation"]
    median = report["platform_median"]
    grade = report["grade"]
    norm_met = report["benchmarks"]["meets_norm"]
    return [
        [_("Figure"), _("This unit"), _("Platform median")],
        [
            _("Proposed grade"),
            f"{grade['label']} ({_number(grade['score'], 1)} / 100)" if grade else _("none"),
            _number(median.get("score"), 1),
        ],
        [
            _("National norm of %(norm)s effective hours a year") % {"norm": indicators.NORM_HOURS_PER_YEAR},
            _("met") if norm_met else _("not met"),
            "",
        ],
        [
            _("Effective hours per instrument per year"),
            _number(operation["avg_effective_hours_per_year"]),
            _number(median.get("avg_effective_hours_per_year")),
        ],
        [
            _("External hours per instrument per year"),
            _number(sharing["avg_external_hours_per_year"]),
            _number(median.get("avg_external_hours_per_year")),
        ],
        [
            _("Instruments meeting the norm"),
            _("%(meeting)s of %(instruments)s")
            % {"meeting": operation["instruments_meeting_norm"], "instruments": organisation["instruments"]},
            "",
        ],
        [_("Sharing rate"), _percent(sharing["sharing_rate"]), _percent(median.get("sharing_rate"))],
        [_("Income"), _money(operation["income"]), ""],
    ]


def _value_axis_top(values: list[float]) -> float:
    top = max(values, default=0.0)
    return top * 1.15 if top > 0 else 1.0


def _style_axes(chart, font: str, *, money: bool = False) -> None:
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.dy = -2
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = _color("#dde3ea")
    chart.valueAxis.labelTextFormat = (lambda value: f"¥{value:,.0f}") if money else (lambda value: f"{value:,.0f}")


def _color(hex_value: str):
    from reportlab.lib import colors

    return colors.HexColor(hex_value)


def monthly_chart(
    *,
    title: str,
    months: list[str],
    series: list[tuple[str, str, list[float]]],
    font: str,
    stacked: bool = False,
    money: bool = False,
    axis_label: str,
):
    """A bar chart of monthly figures: `series` is (label, colour, values); a title, a legend, axis labels."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String

    width, height = 720, 220
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 14, title, fontName=font, fontSize=12))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 70, 30, width - 250, height - 70
    chart.data = [tuple(values) for _label, _colour, values in series]
    chart.categoryAxis.categoryNames = months
    chart.groupSpacing = 6
    chart.barSpacing = 1
    if stacked:
        chart.categoryAxis.style = "stacked"
        totals = [sum(values) for values in zip(*chart.data, strict=True)]
    else:
        totals = [value for values in chart.data for value in values]
    _style_axes(chart, font, money=money)
    chart.valueAxis.valueMax = _value_axis_top(totals)
    for index, (_label, colour, _values) in enumerate(series):
        chart.bars[index].fillColor = _color(colour)
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    drawing.add(String(chart.x, chart.y + chart.height + 8, axis_label, fontName=font, fontSize=8))
    legend = Legend()
    legend.x, legend.y = chart.x + chart.width + 20, chart.y + chart.height - 10
    legend.fontName = font
    legend.fontSize = 9
    legend.alignment = "right"
    legend.colorNamePairs = [(_color(colour), label) for label, colour, _values in series]
    drawing.add(legend)
    return drawing


def charts(report: dict, monthly: list[dict], font: str) -> list:
    """The two charts of the year, or a sentence when no month of it has begun."""
    if not monthly:
        return []
    months = [row["month"][5:] for row in monthly]  # "01".."12"
    hours = monthly_chart(
        title=_("Machine hours by month, %(year)s") % {"year": report["year"]},
        months=months,
        series=[
            (_("Effective hours"), BLUE, [row["effective_hours"] for row in monthly]),
            (_("External hours"), ORANGE, [row["external_hours"] for row in monthly]),
        ],
        font=font,
        axis_label=_("hours"),
    )
    income = monthly_chart(
        title=_("Income by month, %(year)s") % {"year": report["year"]},
        months=months,
        series=[
            (_("Internal income"), GREEN, [float(row["internal_income"]) for row in monthly]),
            (_("External income"), ORANGE, [float(row["external_income"]) for row in monthly]),
        ],
        font=font,
        stacked=True,
        money=True,
        axis_label=_("CNY"),
    )
    return [hours, income]


def evaluation_report_pdf(report: dict, *, monthly: list[dict], tables: list) -> bytes:
    """The whole report: summary page, charts page, then `tables` (flowables the caller builds)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    styles["Normal"].leading = 15
    styles["Normal"].fontSize = 10.5
    buffer = io.BytesIO()
    title = _("Open sharing evaluation %(year)s: %(unit)s") % {"year": report["year"], "unit": report["unit"]["name"]}
    footer = _("Generated %(date)s") % {"date": timezone.localtime().strftime("%Y-%m-%d %H:%M")}

    def page_footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(_color("#6b7785"))
        canvas.drawString(15 * mm, 8 * mm, title[:120])  # drawn as a plain string, never parsed
        canvas.drawRightString(document.pagesize[0] - 15 * mm, 8 * mm, f"{footer} · {document.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
    )
    summary_table = Table(
        summary_rows(report),
        colWidths=[120 * mm, 70 * mm, 50 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 10.5),
                ("BACKGROUND", (0, 0), (-1, 0), _color(LIGHT)),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _color("#c5cfdb")),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("FONTSIZE", (1, 1), (1, 2), 13),
                ("TEXTCOLOR", (1, 2), (1, 2), _color(GREEN if report["benchmarks"]["meets_norm"] else "#b3261e")),
            ]
        ),
    )
    story: list = [
        text_paragraph(title, styles["Title"]),
        text_paragraph(
            _("Unified social credit code %(code)s · %(start)s to %(end)s")
            % {
                "code": report["unit"]["credit_code"],
                "start": report["window"]["start"].strftime("%Y-%m-%d"),
                "end": report["window"]["end"].strftime("%Y-%m-%d"),
            },
            styles["Normal"],
        ),
        Spacer(1, 5 * mm),
        text_paragraph(_("Summary"), styles["Heading2"]),
        summary_table,
        Spacer(1, 5 * mm),
    ]
    story += [text_paragraph(sentence, styles["Normal"]) for sentence in summary_sentences(report)]
    drawings = charts(report, monthly, font)
    if drawings:
        story += [PageBreak(), text_paragraph(_("The year month by month"), styles["Heading2"])]
        story += [KeepTogether([drawing, Spacer(1, 6 * mm)]) for drawing in drawings]
    story += [PageBreak(), *tables]
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()
