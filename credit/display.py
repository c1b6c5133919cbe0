"""How credit facts read to people: subject names, rule labels, evidence summaries, the history chart."""

from __future__ import annotations

from collections import Counter

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from instruments.models import CreditTier, Unit

from . import params
from .models import CreditEvent, ListEntry
from .scoring.reasons import reason_text

RULE_LABELS = {
    "violations": _(
        "Three or more violations (no-show, late cancellation, booked time far above used time) within 12 months"
    ),
    "severe_event": _("A confirmed serious damage, fraud or breach of agreement"),
    "score_floor": _("Credit score below the floor"),
    "top_tier": _("Top credit tier, enough fulfilled services and a clean recent record"),
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


def rule_label(rule: str) -> str:
    return str(RULE_LABELS.get(rule, rule))


def evidence_summary(entry: ListEntry) -> str:
    """ "2 x No-show, 1 x Late cancellation (2026-03-02 to 2026-07-15)" from the entry's stored evidence."""
    if not entry.evidence:
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


def history_chart(history, *, width: int = 600, height: int = 180, pad: int = 28) -> dict:
    """Coordinates for a server-rendered SVG line chart of scores (350..950) over snapshots."""
    span = params.SCORE_MAX - params.SCORE_MIN
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def y_of(score: int) -> float:
        return round(pad + inner_h * (1 - (score - params.SCORE_MIN) / span), 1)

    count = len(history)
    points = []
    for index, snapshot in enumerate(history):
        x = pad + (inner_w * index / (count - 1) if count > 1 else inner_w / 2)
        points.append({"x": round(x, 1), "y": y_of(snapshot.score), "score": snapshot.score, "as_of": snapshot.as_of})
    grid = [{"score": s, "y": y_of(s)} for s in (350, 550, 600, 700, 800, 950)]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "right": width - pad,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "grid": grid,
    }


def entry_is_public(entry: ListEntry, now) -> bool:
    """In Python, the same test as ListEntry.objects.published_at(now)."""
    return (
        entry.status == ListEntry.Status.PUBLISHED
        and entry.published_at is not None
        and entry.published_at <= now
        and (entry.expires_at is None or entry.expires_at > now)
    )
