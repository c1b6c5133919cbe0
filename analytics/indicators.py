"""Pure arithmetic of the open-sharing evaluation: rates, reference points and the proposed grade.

No database access: selectors aggregate the hours and money, these functions turn them into the
indicators the national evaluation of open sharing uses (instruments of 500,000 CNY and more,
every two years), so the same rules serve the API, the pages and the exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.utils.translation import gettext_lazy as _

# The education ministry's norm for a large instrument, and the 2025 national averages.
NORM_HOURS_PER_YEAR = 800
NATIONAL_AVG_EFFECTIVE_HOURS = 1599
NATIONAL_AVG_EXTERNAL_HOURS = 273
EXTERNAL_WEIGHT = 1.5  # external service counts half again in the income and combined sharing rates
DAYS_PER_YEAR = 365

# The proposed grade: 100 points in four parts (documented on the evaluation page).
POINTS_OPERATION = 40  # average effective hours per instrument against the 800 h norm
POINTS_SHARING = 25  # average external hours per instrument against the national average
POINTS_SATISFACTION = 15  # average stars users gave (neutral half when nobody reviewed)
POINTS_MANAGEMENT = 20  # the unit's credit tier
TIER_SHARE = {"excellent": 1.0, "good": 0.8, "fair": 0.6, "poor": 0.3, "bad": 0.0, "": 0.5}
GRADE_FLOORS = (("excellent", 85.0), ("good", 70.0), ("pass", 60.0), ("poor", 0.0))
GRADE_LABELS = {"excellent": _("Excellent"), "good": _("Good"), "pass": _("Pass"), "poor": _("Poor")}


def ratio(numerator: float | Decimal | None, denominator: float | Decimal | None) -> float | None:
    """numerator / denominator, or None when the denominator is zero or unknown."""
    if numerator is None or not denominator:
        return None
    return round(float(numerator) / float(denominator), 4)


def hours(value: float | None) -> float:
    return round(float(value or 0.0), 2)


def money(value: float | Decimal | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def sharing_rate(*, external_hours: float, effective_hours: float) -> float | None:
    """External service hours / effective machine hours."""
    return ratio(external_hours, effective_hours)


def combined_sharing_rate(*, internal_hours: float, external_hours: float, effective_hours: float) -> float | None:
    """(internal + 1.5 x external hours) / effective hours."""
    return ratio(internal_hours + EXTERNAL_WEIGHT * external_hours, effective_hours)


def income_rate(*, internal_income: Decimal, external_income: Decimal, original_value: Decimal) -> float | None:
    """(internal income + 1.5 x external income) / original value."""
    weighted = Decimal(internal_income) + Decimal(str(EXTERNAL_WEIGHT)) * Decimal(external_income)
    return ratio(weighted, original_value)


def annualised(value: float, *, window_days: float) -> float:
    """Hours over a window scaled to a year of 365 days (so a quarter compares with the yearly norm)."""
    if window_days <= 0:
        return 0.0
    return round(value * DAYS_PER_YEAR / window_days, 2)


def benchmarks(*, effective_hours_per_year: float, external_hours_per_year: float) -> dict:
    """An instrument's (or a unit's average) yearly hours against the norm and the national averages."""
    return {
        "norm_hours_per_year": NORM_HOURS_PER_YEAR,
        "national_avg_effective_hours": NATIONAL_AVG_EFFECTIVE_HOURS,
        "national_avg_external_hours": NATIONAL_AVG_EXTERNAL_HOURS,
        "effective_hours_per_year": round(effective_hours_per_year, 2),
        "external_hours_per_year": round(external_hours_per_year, 2),
        "share_of_norm": ratio(effective_hours_per_year, NORM_HOURS_PER_YEAR),
        "share_of_national_effective": ratio(effective_hours_per_year, NATIONAL_AVG_EFFECTIVE_HOURS),
        "share_of_national_external": ratio(external_hours_per_year, NATIONAL_AVG_EXTERNAL_HOURS),
        "meets_norm": effective_hours_per_year >= NORM_HOURS_PER_YEAR,
    }


@dataclass(frozen=True)
class GradeProposal:
    score: float
    grade: str
    operation: float
    sharing: float
    satisfaction: float
    management: float

    @property
    def label(self) -> str:
        return str(GRADE_LABELS[self.grade])

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "grade": self.grade,
            "label": self.label,
            "parts": {
                "operation": self.operation,
                "sharing": self.sharing,
                "satisfaction": self.satisfaction,
                "management": self.management,
            },
        }


def grade_for(score: float) -> str:
    for grade, floor in GRADE_FLOORS:
        if score >= floor:
            return grade
    return "poor"


def grade_propose(
    *,
    avg_effective_hours_per_year: float,
    avg_external_hours_per_year: float,
    average_stars: float | None,
    credit_tier: str,
) -> GradeProposal:
    """A proposal for the evaluators, not a verdict: the parts are shown so anyone can check it."""
    operation = POINTS_OPERATION * min(1.0, max(0.0, avg_effective_hours_per_year) / NORM_HOURS_PER_YEAR)
    sharing = POINTS_SHARING * min(1.0, max(0.0, avg_external_hours_per_year) / NATIONAL_AVG_EXTERNAL_HOURS)
    if average_stars is None:
        satisfaction = POINTS_SATISFACTION * 0.5
    else:
        satisfaction = POINTS_SATISFACTION * min(1.0, max(0.0, (float(average_stars) - 1) / 4))
    management = POINTS_MANAGEMENT * TIER_SHARE.get(credit_tier or "", 0.5)
    score = round(operation + sharing + satisfaction + management, 1)
    return GradeProposal(
        score=score,
        grade=grade_for(score),
        operation=round(operation, 1),
        sharing=round(sharing, 1),
        satisfaction=round(satisfaction, 1),
        management=round(management, 1),
    )


def median_or_none(values: list[float | None]) -> float | None:
    present = [float(value) for value in values if value is not None]
    return round(median(present), 4) if present else None
