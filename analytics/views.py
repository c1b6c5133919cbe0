"""Analytics pages: thin views over the same selectors and access rules as the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.models import Region
from sharing_platform.errors import DomainPermissionError
from sharing_platform.pages import domain_error_pages

from . import access, charts, indicators, selectors
from .api.views import idle_report_for, months_or_default, unit_evaluation_for
from .exports import EXPORT_FORMATS, evaluation_response, evaluation_rows
from .windows import window_parse

IDLE_PER_PAGE = 50


def _labelled_bars(points: list[tuple[str, float]]) -> list[dict]:
    """(label, value) pairs as horizontal bars scaled to the largest: text labels stay readable at any width."""
    scale = max((float(value or 0) for _label, value in points), default=0) or 1
    return [{"label": label, "value": value, "percent": charts.percent(value, cap=scale)} for label, value in points]


def _instrument_for_hours(request, pk: int):
    instrument = access.instrument_for_hours(request.user, pk)
    if instrument is None:
        raise Http404(_("No such instrument."))
    return instrument


def _hours_refused(request, error, pk: int):
    context = {"instrument": _instrument_for_hours(request, pk), "figures": None, "window": None}
    return render(request, "analytics/instrument_hours.html", {**context, "error": error.message}, status=400)


@domain_error_pages(refusal_page=_hours_refused)
def instrument_hours(request, pk: int):
    """Public for listed instruments, like the catalogue."""
    instrument = _instrument_for_hours(request, pk)
    window = window_parse(request.GET.get("start"), request.GET.get("end"))
    figures = selectors.instrument_hours(instrument=instrument, window=window)
    context = {"instrument": instrument, "figures": figures, "window": window, "error": None}
    if figures:
        benchmarks = figures["benchmarks"]
        context["comparison"] = _labelled_bars(
            [
                (_("This instrument"), benchmarks["effective_hours_per_year"]),
                (_("Norm"), indicators.NORM_HOURS_PER_YEAR),
                (_("National average"), indicators.NATIONAL_AVG_EFFECTIVE_HOURS),
                (_("External, this instrument"), benchmarks["external_hours_per_year"]),
                (_("External, national average"), indicators.NATIONAL_AVG_EXTERNAL_HOURS),
            ]
        )
    return render(request, "analytics/instrument_hours.html", context)


def _idle_refused(request, error):
    return render(request, "analytics/idle.html", {"error": error.message, "report": None}, status=400)


@login_required
@domain_error_pages(refusal_page=_idle_refused)
def idle(request):
    report = idle_report_for(request.user, request.GET)
    top = max((group.original_value for group in report.by_unit), default=0) or 1
    unit_bars = [
        {"group": group, "percent": round(float(group.original_value / top) * 100, 1)} for group in report.by_unit
    ]
    page = Paginator(report.instruments, IDLE_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "analytics/idle.html",
        {
            "report": report,
            "page": page,
            "query": query.urlencode(),
            "unit_bars": unit_bars,
            "days": request.GET.get("days") or selectors.IDLE_DEFAULT_DAYS,
            "threshold": request.GET.get("threshold") or selectors.IDLE_DEFAULT_THRESHOLD,
        },
    )


def _evaluation_refused(request, error, pk: int):
    return render(request, "analytics/unit_evaluation.html", {"error": error.message, "report": None}, status=400)


@login_required
@domain_error_pages(refusal_page=_evaluation_refused)
def unit_evaluation(request, pk: int):
    report = unit_evaluation_for(request.user, pk, request.GET)
    export_format = request.GET.get("format")
    if export_format in EXPORT_FORMATS:
        return evaluation_response(report, export_format)
    median = report["platform_median"]
    comparison: list[dict] = []
    for label, own, typical in (
        (
            _("Effective hours per instrument per year"),
            report["operation"]["avg_effective_hours_per_year"],
            median.get("avg_effective_hours_per_year"),
        ),
        (
            _("External hours per instrument per year"),
            report["sharing"]["avg_external_hours_per_year"],
            median.get("avg_external_hours_per_year"),
        ),
        (_("Norm (800 h a year)"), indicators.NORM_HOURS_PER_YEAR, None),
        (_("National average effective hours"), indicators.NATIONAL_AVG_EFFECTIVE_HOURS, None),
        (_("National average external hours"), indicators.NATIONAL_AVG_EXTERNAL_HOURS, None),
    ):
        comparison.append({"label": label, "own": own, "median": typical})
    scale = max([row["own"] or 0 for row in comparison] + [row["median"] or 0 for row in comparison]) or 1
    for row in comparison:
        row["own_percent"] = charts.percent(row["own"], cap=scale)
        row["median_percent"] = charts.percent(row["median"], cap=scale)
    this_year = timezone.localtime().year
    return render(
        request,
        "analytics/unit_evaluation.html",
        {
            "report": report,
            "rows": evaluation_rows(report),
            "comparison": comparison,
            "years": list(range(this_year, this_year - 6, -1)),
            "formats": EXPORT_FORMATS,
            "grade_floors": indicators.GRADE_FLOORS,
            "points": {
                "operation": indicators.POINTS_OPERATION,
                "sharing": indicators.POINTS_SHARING,
                "satisfaction": indicators.POINTS_SATISFACTION,
                "management": indicators.POINTS_MANAGEMENT,
            },
        },
    )


def before_you_buy(request):
    """Public: what already exists in a region before anyone buys another."""
    context = {
        "categories": selectors.category_choices(),
        "regions": Region.objects.order_by("code"),
        "params": request.GET,
        "result": None,
        "error": None,
    }
    if request.GET.get("category"):
        filterset = selectors.before_you_buy_filter(request.GET)
        if filterset.is_valid():
            context["result"] = selectors.before_you_buy(instruments=filterset.qs)
            for row in context["result"]["results"]:
                row["percent"] = charts.percent(row["utilisation_90d"])
        else:
            context["error"] = "; ".join(str(message) for messages in filterset.errors.values() for message in messages)
    elif "category" in request.GET:
        context["error"] = _("Choose a category.")
    return render(request, "analytics/before_you_buy.html", context, status=400 if context["error"] else 200)


@login_required
@domain_error_pages
def platform(request):
    if not access.can_view_platform(request.user):
        raise DomainPermissionError(_("Only platform administrators may see this page."))
    months = months_or_default(request.GET.get("months"))
    dashboard = selectors.platform_dashboard(months=months)
    series = dashboard["months"]
    chart_specs = (
        ("units_total", _("Units")),
        ("instruments_total", _("Instruments")),
        ("bookings", _("Bookings per month")),
        ("effective_hours", _("Effective machine hours per month")),
        ("black_list_published", _("Black-list entries published per month")),
    )
    chart_list = [
        {"title": title, "chart": charts.column_chart([(row["month"][2:], row[key]) for row in series])}
        for key, title in chart_specs
    ]
    tiers_total = sum(row["units"] for row in dashboard["credit_tiers"]) or 1
    tiers = [{**row, "percent": round(row["units"] / tiers_total * 100, 1)} for row in dashboard["credit_tiers"]]
    return render(
        request,
        "analytics/platform.html",
        {"dashboard": dashboard, "charts": chart_list, "tiers": tiers},
    )
