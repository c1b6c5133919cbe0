"""Pure rules: which list entries to propose, publication bounds, working days, the provider badge.

No writes and no queries: services aggregate the facts in SQL and hand them in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import params
from .models import CreditEvent, ListEntry


@dataclass(frozen=True)
class EventFact:
    pk: int
    kind: str
    severity: str
    occurred_at: datetime


@dataclass(frozen=True)
class ListFacts:
    """What the list rules need to know about one subject as of a moment."""

    subject_key: str
    score: int | None = None
    capped: bool = False  # the score is held down by a cap (a severe event's), not by the record itself
    violations: tuple[EventFact, ...] = ()  # unlisted violation events in the window
    severe: tuple[EventFact, ...] = ()  # unlisted confirmed intentional events (misuse, fraud, breach), serious
    accidents: tuple[EventFact, ...] = ()  # unlisted confirmed accidental events (damage), serious
    fulfilled_in_window: int = 0
    negatives_recently: int = 0
    open_lists: frozenset[str] = frozenset()  # lists with a proposed or published entry
    cooling_rules: frozenset[str] = frozenset()  # rule-based proposals made recently
    bookings: int = 0  # the subject's bookings in the violation window (the rate's denominator)
    warned_at: datetime | None = None  # when the subject's open warning was issued, if one is open
    as_of: datetime | None = None

    @property
    def subject_type(self) -> str:
        return self.subject_key.split(":", 1)[0]

    @property
    def violation_rate(self) -> float:
        return len(self.violations) / max(self.bookings, len(self.violations), 1)


@dataclass(frozen=True)
class WarningDecision:
    subject_key: str
    reason: str  # English; pages show the figures translated
    violations: int
    bookings: int
    basis: tuple[EventFact, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Proposal:
    subject_key: str
    list_type: str
    rule: str
    severity: str
    reason: str  # English; pages also show the translated rule label
    basis: tuple[EventFact, ...] = field(default_factory=tuple)


def _kind_label(kind: str) -> str:
    return str(CreditEvent.Kind(kind).label).lower()


def _summary(events: tuple[EventFact, ...]) -> str:
    counts = Counter(event.kind for event in events)
    return ", ".join(f"{n} x {_kind_label(kind)}" for kind, n in sorted(counts.items()))


def proposals_for(facts: ListFacts) -> list[Proposal]:
    """At most one black and one red proposal; black rules in order of gravity, red only for a clean record.

    Intent decides how fast (issue 18.8): a confirmed serious misuse, fraud or breach proposes at once; an accident,
    even a serious damage, warns first and proposes only when a fault follows the warning; broken commitments
    (violations) warn at the second and propose at the third after the warning, at a high enough rate."""
    proposals: list[Proposal] = []
    black = ListEntry.List.BLACK
    if black not in facts.open_lists:
        if facts.severe:
            proposals.append(
                Proposal(
                    facts.subject_key, black, "severe_event", params.RULE_SEVERITY["severe_event"],
                    f"Confirmed serious breach: {_summary(facts.severe)}", facts.severe,
                )
            )  # fmt: skip
        elif serious_damage_rule_met(facts):
            basis = tuple(sorted(facts.accidents + facts.violations, key=lambda event: (event.occurred_at, event.pk)))
            proposals.append(
                Proposal(
                    facts.subject_key, black, "serious_damage", params.RULE_SEVERITY["serious_damage"],
                    f"Confirmed serious damage and a fault after a warning: {_summary(basis)}", basis,
                )
            )  # fmt: skip
        elif violations_rule_met(facts):
            proposals.append(
                Proposal(
                    facts.subject_key, black, "violations", params.RULE_SEVERITY["violations"],
                    f"{len(facts.violations)} violations in {facts.bookings} bookings within "
                    f"{params.BLACK_VIOLATION_WINDOW_DAYS} days, after a warning: {_summary(facts.violations)}",
                    facts.violations,
                )
            )  # fmt: skip
        elif score_floor_rule_met(facts):
            proposals.append(
                Proposal(
                    facts.subject_key, black, "score_floor", params.RULE_SEVERITY["score_floor"],
                    f"Credit score {facts.score} below the floor of {params.BLACK_SCORE_FLOOR}",
                )
            )  # fmt: skip
    red = ListEntry.List.RED
    kind = facts.subject_key.split(":", 1)[0]
    if (
        not proposals
        and black not in facts.open_lists
        and red not in facts.open_lists
        and "top_tier" not in facts.cooling_rules
        and facts.score is not None
        and facts.score >= params.RED_MIN_SCORE
        and facts.fulfilled_in_window >= params.RED_MIN_FULFILLED[kind]
        and facts.negatives_recently == 0
    ):
        proposals.append(
            Proposal(
                facts.subject_key, red, "top_tier", "",
                f"Credit score {facts.score}, {facts.fulfilled_in_window} services fulfilled in 12 months, "
                f"no negative event in {params.RED_CLEAN_DAYS} days",
            )
        )  # fmt: skip
    return proposals


def violations_rule_met(facts: ListFacts) -> bool:
    """Rate-based and warned first (issue 18.8): enough violations at a high enough rate of the subject's bookings,
    a warning issued at least WARNING_NOTICE_DAYS before, and at least one violation after that warning."""
    kind = facts.subject_type
    if facts.warned_at is None or facts.as_of is None:
        return False
    if facts.as_of - facts.warned_at < timedelta(days=params.WARNING_NOTICE_DAYS):
        return False
    if not any(event.occurred_at > facts.warned_at for event in facts.violations):
        return False
    return (
        len(facts.violations) >= params.BLACK_VIOLATION_COUNT[kind]
        and facts.violation_rate >= params.BLACK_VIOLATION_RATE[kind]
    )


def score_floor_rule_met(facts: ListFacts) -> bool:
    """A score under the floor proposes only a subject warned at least WARNING_NOTICE_DAYS before (issue 18.8: a
    warning before any proposal; since 2026.12-6 a newcomer's two no-shows alone put a verified member under the
    floor) and never while a cap holds the score down (the capping event's own rule decides on the list)."""
    if facts.score is None or facts.score >= params.BLACK_SCORE_FLOOR or facts.capped:
        return False
    if "score_floor" in facts.cooling_rules or facts.warned_at is None or facts.as_of is None:
        return False
    return facts.as_of - facts.warned_at >= timedelta(days=params.WARNING_NOTICE_DAYS)


def serious_damage_rule_met(facts: ListFacts) -> bool:
    """An accident, even a serious one, is warned first (issue 18.8): a confirmed serious damage counts as a violation
    that brings a warning at once. It proposes only with that warning (or an earlier one) at least
    WARNING_NOTICE_DAYS old, a fault after the warning, and then either a second serious damage or, the damage
    counted as a violation, the violations rule's count and rate (BLACK_VIOLATION_COUNT, BLACK_VIOLATION_RATE)."""
    if not facts.accidents or facts.warned_at is None or facts.as_of is None:
        return False
    if facts.as_of - facts.warned_at < timedelta(days=params.WARNING_NOTICE_DAYS):
        return False
    faults = facts.accidents + facts.violations
    if not any(event.occurred_at > facts.warned_at for event in faults):
        return False
    if len(facts.accidents) >= 2:
        return True
    kind = facts.subject_type
    rate = len(faults) / max(facts.bookings, len(faults), 1)
    return len(faults) >= params.BLACK_VIOLATION_COUNT[kind] and rate >= params.BLACK_VIOLATION_RATE[kind]


def warning_for(facts: ListFacts) -> WarningDecision | None:
    """A warning after the second violation (units: at a rate worth a warning) or a confirmed serious damage, unless
    one is open or the subject is already on the black list."""
    kind = facts.subject_type
    if facts.warned_at is not None or ListEntry.List.BLACK in facts.open_lists:
        return None
    violations_warn = (
        len(facts.violations) >= params.WARNING_MIN_VIOLATIONS[kind]
        and facts.violation_rate >= params.WARNING_MIN_RATE[kind]
    )
    if not violations_warn and not facts.accidents:
        return None
    basis = tuple(sorted(facts.accidents + facts.violations, key=lambda event: (event.occurred_at, event.pk)))
    reason = (
        f"{len(facts.violations)} violations in {facts.bookings} bookings within "
        f"{params.BLACK_VIOLATION_WINDOW_DAYS} days: {_summary(facts.violations)}"
    )
    if facts.accidents:
        reason = f"Confirmed serious damage: {_summary(facts.accidents)}" + (f"; {reason}" if facts.violations else "")
    return WarningDecision(facts.subject_key, reason, len(facts.violations), facts.bookings, basis)


def publication_bounds(list_type: str, severity: str) -> tuple[timedelta, timedelta]:
    """Shortest and longest publication of an entry (national credit-repair measures for black entries)."""
    if list_type == ListEntry.List.RED:
        return timedelta(days=1), timedelta(days=params.RED_PUBLICATION_MAX_DAYS)
    return params.SEVERITY_BOUNDS[severity or "general"]


def default_publication(list_type: str, severity: str) -> timedelta:
    if list_type == ListEntry.List.RED:
        return timedelta(days=params.RED_PUBLICATION_DAYS)
    return params.SEVERITY_DEFAULT_PERIOD[severity or "general"]


def publication_problem(list_type: str, severity: str, published_at: datetime, expires_at: datetime) -> str | None:
    """None when the end of publication respects the bounds; otherwise what is wrong, in words."""
    shortest, longest = publication_bounds(list_type, severity)
    period = expires_at - published_at
    if period < shortest or period <= timedelta(0):
        return f"at least {shortest.days} days"
    if period > longest:
        return f"at most {longest.days} days"
    return None


def repair_available_from(entry: ListEntry) -> datetime | None:
    """Repair may be requested once the shortest publication period of the entry's severity has passed."""
    if entry.published_at is None:
        return None
    shortest, _longest = publication_bounds(entry.list_type, entry.severity)
    return entry.published_at + shortest


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after start."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


@dataclass(frozen=True)
class BadgeFacts:
    services: int = 0
    reviews_weight: float = 0.0
    reviews_value_weight: float = 0.0
    answered_on_time: int = 0
    answered_late: int = 0
    provider_cancellations: int = 0
    refusals_unjustified: int = 0
    breaches: int = 0
    warned_or_listed: bool = False  # an open warning or an open black-list entry (issue 18.6)


def badge_figures(facts: BadgeFacts) -> dict:
    rating = facts.reviews_value_weight / facts.reviews_weight if facts.reviews_weight else 0.0
    answered = facts.answered_on_time + facts.answered_late
    on_time = facts.answered_on_time / answered if answered else 0.0
    bookings = facts.services + facts.provider_cancellations
    cancellation_rate = facts.provider_cancellations / bookings if bookings else 0.0
    requests = answered + facts.refusals_unjustified
    unjustified_rate = facts.refusals_unjustified / requests if requests else 0.0
    return {
        "rating": round(rating, 2),
        "on_time_response": round(on_time, 3),
        "cancellation_rate": round(cancellation_rate, 4),
        "unjustified_refusal_rate": round(unjustified_rate, 4),
        "breaches": facts.breaches,
        "services": facts.services,
    }


def badge_deserved(facts: BadgeFacts) -> bool:
    figures = badge_figures(facts)
    return (
        figures["services"] >= params.BADGE_MIN_SERVICES
        and figures["rating"] >= params.BADGE_MIN_RATING
        and figures["on_time_response"] >= params.BADGE_MIN_ON_TIME_RESPONSE
        and figures["cancellation_rate"] < params.BADGE_MAX_CANCELLATION_RATE
        and figures["unjustified_refusal_rate"] < params.BADGE_MAX_UNJUSTIFIED_REFUSAL_RATE
        and facts.breaches == 0
        and not facts.warned_or_listed
    )


def quarter_of(day: date) -> tuple[str, date]:
    """The quarter's label ("2026Q4") and its first day after the end."""
    quarter = (day.month - 1) // 3 + 1
    end_month = quarter * 3 + 1
    end = date(day.year + 1, 1, 1) if end_month > 12 else date(day.year, end_month, 1)
    return f"{day.year}Q{quarter}", end
