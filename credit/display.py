"""How credit facts read to people: subject names, rule labels, evidence summaries, the history chart."""

from __future__ import annotations

from collections import Counter

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from instruments.models import CreditTier, Unit

from . import params
from .models import CreditEvent, ListEntry
from .scoring.reasons import reason_text

RULE_LABELS = {
    "violations": _(
        "Violations continued after a warning, at a high rate of the bookings within 12 months (people: no-shows, "
        "late cancellations, overruns, confirmed misuse; providers: unjustified refusals, cancellations, late "
        "answers, confirmed breaches)"
    ),
    "severe_event": _("A confirmed serious misuse, fraud or breach of agreement"),
    "serious_damage": _("A confirmed serious damage, and further faults after a warning"),
    "score_floor": _("Credit score below the floor"),
    "top_tier": _("Top credit tier, enough fulfilled services and a clean recent record"),
    "person": _("The same person's other account is on the black list"),
}

TIER_LABELS = dict(CreditTier.choices)

HOW_TO_OBJECT = _(
    "The listed person or unit may object at any time from their credit page (or the API); objections are "
    "decided within %(days)d working days. Once the shortest publication period has passed, credit repair may be "
    "requested with proof of correction and a signed credit commitment."
)


def how_to_object() -> str:
    return str(HOW_TO_OBJECT) % {"days": params.APPEAL_DECISION_WORKING_DAYS}


def subject_public(subject) -> dict:
    """What a public list shows about a subject: a unit's name and social credit code, or a person's name."""
    if isinstance(subject, Unit):
        return {"type": "unit", "id": subject.pk, "name": subject.display_name, "credit_code": subject.credit_code}
    name = subject.get_full_name() or subject.get_username()
    return {"type": "user", "id": subject.pk, "name": name, "credit_code": ""}


def history_missing_text(kept_bookings: int, providers: int) -> str:
    """What a thin file still lacks, in words ("2 more kept bookings, with at least 1 more provider"); "" when
    nothing is missing. Takes the counts of credit.selectors.CreditHistory.missing_*."""
    if kept_bookings <= 0:
        return ""
    kept = ngettext("%(count)d more kept booking", "%(count)d more kept bookings", kept_bookings) % {
        "count": kept_bookings
    }
    if providers <= 0:
        return kept
    return ngettext(
        "%(kept)s, with at least %(count)d more provider", "%(kept)s, with at least %(count)d more providers", providers
    ) % {"kept": kept, "count": providers}


def rule_label(rule: str) -> str:
    return str(RULE_LABELS.get(rule, rule))


def evidence_summary(entry: ListEntry) -> str:
    """ "2 x No-show, 1 x Late cancellation (2026-03-02 to 2026-07-15)" from the entry's stored evidence."""
    if not entry.evidence or entry.rule == "person":  # a mirror names its original, not facts
        return str(entry.reason)
    counts = Counter(item.get("kind", "") for item in entry.evidence)
    parts = []
    for kind, count in sorted(counts.items()):
        try:
            label = CreditEvent.Kind(kind).label
        except ValueError:
            label = kind
        parts.append(f"{count} x {label}")
    moments = sorted(filter(None, (parse_datetime(item.get("occurred_at", "")) for item in entry.evidence)))
    span = f" ({moments[0].date():%Y-%m-%d} - {moments[-1].date():%Y-%m-%d})" if moments else ""
    return ", ".join(parts) + span


def reasons_rendered(reasons: list[dict]) -> list[dict]:
    """Stored reasons with their text in the reader's language."""
    return [{**reason, "text": reason_text(reason)} for reason in reasons or []]


CHART_FONT_PX = 12  # every label of the chart; at least 11 px so it stays readable when the SVG shrinks


def _nice_step(span: float) -> int:
    for step in (10, 20, 25, 50, 100, 200):
        if span / step <= 6:
            return step
    return 200


def history_chart(
    history, *, width: int = 640, height: int = 260, left: int = 64, right: int = 24, top: int = 20, bottom: int = 48
) -> dict | None:
    """Geometry of a server-rendered SVG line chart of scores over time (credit/_score_history_chart.html).

    Needs two snapshots or more (None otherwise). The value axis spans the scores shown, rounded out to
    whole steps (within 350..950), with labelled ticks and the tier floors inside it; the time axis is in
    proportion to the dates (not one step per snapshot), with up to six dated ticks."""
    if len(history) < 2:
        return None
    scores = [snapshot.score for snapshot in history]
    moments = [snapshot.as_of for snapshot in history]
    step = _nice_step(max(max(scores) - min(scores), 50) + 40)
    low = max(params.SCORE_MIN, (min(scores) - 20) // step * step)
    high = min(params.SCORE_MAX, -(-(max(scores) + 20) // step) * step)
    if high - low < 2 * step:
        high = min(params.SCORE_MAX, low + 2 * step)
        low = max(params.SCORE_MIN, high - 2 * step)
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = moments[0], moments[-1]
    span_seconds = max((last - first).total_seconds(), 1.0)

    def x_of(moment) -> float:
        return round(left + plot_w * (moment - first).total_seconds() / span_seconds, 1)

    def y_of(score: float) -> float:
        return round(top + plot_h * (1 - (score - low) / (high - low)), 1)

    points = [
        {"x": x_of(snapshot.as_of), "y": y_of(snapshot.score), "score": snapshot.score, "as_of": snapshot.as_of}
        for snapshot in history
    ]
    ticks = [{"score": value, "y": y_of(value)} for value in range(int(low), int(high) + 1, step)]
    floors = [
        {"label": TIER_LABELS.get(tier, tier), "score": floor, "y": y_of(floor)}
        for tier, floor in params.TIERS
        if low < floor < high
    ]
    date_count = min(6, len(history))
    dates = []
    for index in range(date_count):
        moment = first + (last - first) * (index / (date_count - 1))
        dates.append({"x": x_of(moment), "date": moment})
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + plot_h,
        "font_px": CHART_FONT_PX,
        "points": points,
        "polyline": " ".join(f"{point['x']},{point['y']}" for point in points),
        "ticks": ticks,
        "floors": floors,
        "dates": dates,
        "date_label_y": top + plot_h + 18,
        "axis_title_y": height - 6,
        "value_title_x": 14,
        "value_title_y": top + plot_h / 2,
        "latest": points[-1],
        "first": points[0],
    }


def entry_is_public(entry: ListEntry, now) -> bool:
    """In Python, the same test as ListEntry.objects.published_at(now)."""
    return (
        entry.status == ListEntry.Status.PUBLISHED
        and entry.published_at is not None
        and entry.published_at <= now
        and (entry.expires_at is None or entry.expires_at > now)
    )
