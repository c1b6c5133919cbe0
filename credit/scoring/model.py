"""The score as a pure function of aggregated inputs: no database, no clock (the day is passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from .. import params

QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Bucket:
    """The ledger events of one subject, kind, polarity and severity on one local day, summed."""

    kind: str
    polarity: int
    severity: str
    day: date
    weight: float  # sum of event weights
    count: int
    value_weight: float = 0.0  # sum of value x weight (reviews: stars)


@dataclass(frozen=True)
class IdentityFacts:
    unit_status: str = ""  # units only
    accreditations: int = 0
    has_email: bool = False  # users only
    verified_member: bool = False  # users: member of a verified unit
    verified_person: bool = False  # users: verified by their institution's sign-on (identity app)
    seniority_days: int = 0


@dataclass(frozen=True)
class ExternalFact:
    source: str
    normalised: float  # 0..1
    reported_on: date


@dataclass(frozen=True)
class SubjectInputs:
    subject_key: str
    buckets: tuple[Bucket, ...] = ()
    identity: IdentityFacts = field(default_factory=IdentityFacts)
    external: tuple[ExternalFact, ...] = ()
    relationships: float = 0.0
    endorsements: int = 0

    @property
    def subject_type(self) -> str:
        return self.subject_key.split(":", 1)[0]


@dataclass(frozen=True)
class ScoreResult:
    score: int
    tier: str
    dimensions: dict[str, Decimal]
    cap: int | None
    cap_until: date | None
    raw: float  # the unrounded total before the cap: what reasons measure impact on
    reasons: list[dict]


def decay(age_days: int, half_life: float) -> float:
    return 0.5 ** (max(age_days, 0) / half_life)


def quantise(value: float) -> Decimal:
    return Decimal(repr(min(max(value, 0.0), 1.0))).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def _effective(bucket: Bucket, today: date) -> float:
    return (
        bucket.weight
        * params.KIND_MULTIPLIERS.get(bucket.kind, 1.0)
        * decay((today - bucket.day).days, params.HALF_LIFE_DAYS)
    )


def beta(kept: float, broken: float) -> float:
    """The beta reputation (r + a/2) / (r + s + a): a = BETA_PRIOR_WEIGHT pseudo-facts, half kept, half broken."""
    prior = params.BETA_PRIOR_WEIGHT
    return (kept + prior / 2.0) / (kept + broken + prior)


def record_score(buckets: tuple[Bucket, ...], today: date) -> float:
    """Beta reputation over time-decayed kept (r) and broken (s) weight."""
    kept = broken = 0.0
    for bucket in buckets:
        eff = _effective(bucket, today)
        if bucket.kind in params.REVIEW_KINDS and bucket.weight > 0:
            span = params.REVIEW_STARS_MAX - params.REVIEW_STARS_MIN
            mean_stars = bucket.value_weight / bucket.weight
            share = min(max((mean_stars - params.REVIEW_STARS_MIN) / span, 0.0), 1.0)
            kept += eff * share
            broken += eff * (1.0 - share)
        elif bucket.polarity > 0:
            kept += eff
        elif bucket.polarity < 0:
            broken += eff
    return beta(kept, broken)


def fulfilment_score(subject_type: str, buckets: tuple[Bucket, ...], today: date) -> float:
    """One beta rate over the commitments of bookings and services (each fact once); 0.5 when unknown.

    2026.12-6: pooled, not the mean of per-component rates (punctuality, attendance...): the mean counted a
    kept booking twice and let one late check-in weigh as much as every other component's whole history."""
    good_kinds, bad_kinds = params.fulfilment_kinds(subject_type)
    good = sum(_effective(b, today) for b in buckets if b.kind in good_kinds and b.polarity > 0)
    bad = sum(_effective(b, today) for b in buckets if b.kind in bad_kinds and b.polarity < 0)
    return beta(good, bad)


def identity_score(subject_type: str, facts: IdentityFacts) -> float:
    if subject_type == "unit":
        accreditations = min(
            facts.accreditations * params.IDENTITY_PER_ACCREDITATION, params.IDENTITY_ACCREDITATIONS_MAX
        )
        return params.IDENTITY_UNIT_STATUS.get(facts.unit_status, 0.0) + accreditations
    score = params.IDENTITY_USER_BASE
    if facts.has_email:
        score += params.IDENTITY_USER_EMAIL
    if facts.verified_member or facts.verified_person:
        # A verified unit's membership and the institution's own sign-on vouch for the same thing: once.
        score += params.IDENTITY_USER_VERIFIED_UNIT
    if facts.seniority_days >= params.IDENTITY_USER_SENIORITY_DAYS:
        score += params.IDENTITY_USER_SENIORITY
    return score


def external_score(reports: tuple[ExternalFact, ...], today: date) -> float:
    """Recency- and source-weighted mean of normalised reports, blended with a neutral prior."""
    total = params.EXTERNAL_NEUTRAL * params.EXTERNAL_PRIOR_WEIGHT
    weight = params.EXTERNAL_PRIOR_WEIGHT
    for report in reports:
        w = params.EXTERNAL_SOURCE_WEIGHTS.get(report.source, 1.0) * decay(
            (today - report.reported_on).days, params.EXTERNAL_HALF_LIFE_DAYS
        )
        total += w * min(max(report.normalised, 0.0), 1.0)
        weight += w
    return total / weight


def active_cap(buckets: tuple[Bucket, ...], today: date) -> tuple[int | None, date | None, str]:
    """The lowest cap still running after severe confirmed events, unless a later repair lifted it."""
    lifted_on = max((b.day for b in buckets if b.kind in params.CAP_LIFTING_KINDS and b.polarity > 0), default=None)
    best: tuple[int | None, date | None, str] = (None, None, "")
    for bucket in buckets:
        if bucket.kind not in params.SEVERE_KINDS or bucket.polarity >= 0:
            continue
        if lifted_on is not None and lifted_on >= bucket.day:
            continue
        severity = bucket.severity or params.SEVERE_DEFAULT_SEVERITY.get(bucket.kind, "general")
        days, ceiling = params.CAPS[severity]
        until = bucket.day + timedelta(days=days)
        if until <= today:
            continue
        if best[0] is None or ceiling < best[0] or (ceiling == best[0] and best[1] is not None and until > best[1]):
            best = (ceiling, until, bucket.kind)
    return best


def _total(dimensions: dict[str, Decimal]) -> float:
    weighted = sum(params.DIMENSION_WEIGHTS[name] * float(dimensions[name]) for name in params.DIMENSIONS)
    return min(max(params.SCORE_MIN + params.SCORE_SPAN * weighted, params.SCORE_MIN), params.SCORE_MAX)


def dimensions_for(inputs: SubjectInputs, today: date) -> dict[str, Decimal]:
    return {
        "record": quantise(record_score(inputs.buckets, today)),
        "fulfilment": quantise(fulfilment_score(inputs.subject_type, inputs.buckets, today)),
        "external": quantise(external_score(inputs.external, today)),
        "identity": quantise(identity_score(inputs.subject_type, inputs.identity)),
        "relationships": quantise(inputs.relationships),
    }


def _capped_score(raw: float, cap: int | None) -> int:
    score = int(Decimal(repr(raw)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if cap is not None:
        score = min(score, cap)
    return min(max(score, params.SCORE_MIN), params.SCORE_MAX)


def score_subject(inputs: SubjectInputs, today: date, *, explain: bool = True) -> ScoreResult:
    """Score one subject as of a local day. Deterministic: same inputs and day, same result."""
    dimensions = dimensions_for(inputs, today)
    raw = _total(dimensions)
    cap, cap_until, cap_kind = active_cap(inputs.buckets, today)
    score = _capped_score(raw, cap)
    reasons = _reasons(inputs, today, dimensions, raw, cap, cap_until, cap_kind, score) if explain else []
    return ScoreResult(
        score=score,
        tier=params.tier_for(score),
        dimensions=dimensions,
        cap=cap if cap is not None and cap < round(raw) else None,
        cap_until=cap_until if cap is not None and cap < round(raw) else None,
        raw=raw,
        reasons=reasons,
    )


def _window_counts(buckets: list[Bucket], today: date) -> tuple[int, str]:
    oldest = min(b.day for b in buckets)
    count = sum(b.count for b in buckets)
    age = (today - oldest).days
    if age <= 90:
        return count, "90d"
    if age <= 365:
        return count, "12m"
    return count, "all"


def _reasons(inputs, today, dimensions, raw, cap, cap_until, cap_kind, score) -> list[dict]:
    """The facts that moved the score most, as codes with parameters (rendered in words by reasons.py)."""
    reasons: list[dict] = []
    if cap is not None and cap < round(raw):
        reasons.append(
            {"code": "cap", "params": {"kind": cap_kind, "cap": cap, "until": cap_until.isoformat()},
             "impact": round(score - raw, 1)}
        )  # fmt: skip
    kinds = sorted({b.kind for b in inputs.buckets})
    for kind in kinds:
        without = replace(inputs, buckets=tuple(b for b in inputs.buckets if b.kind != kind))
        impact = raw - _total(dimensions_for(without, today))
        own = [b for b in inputs.buckets if b.kind == kind]
        count, window = _window_counts(own, today)
        reason = {
            "code": "events",
            "params": {"kind": kind, "count": count, "window": window},
            "impact": round(impact, 1),
        }
        if kind in params.REVIEW_KINDS:
            weight = sum(b.weight for b in own)
            mean = sum(b.value_weight for b in own) / weight if weight else 0.0
            reason["params"]["mean"] = round(mean, 1)
        reasons.append(reason)
    span = params.SCORE_SPAN
    identity_impact = span * params.DIMENSION_WEIGHTS["identity"] * (float(dimensions["identity"]) - 0.5)
    if inputs.subject_type == "unit":
        reasons.append(
            {"code": "unit_status", "params": {"status": inputs.identity.unit_status,
             "accreditations": inputs.identity.accreditations}, "impact": round(identity_impact, 1)}
        )  # fmt: skip
    else:
        reasons.append(
            {"code": "person_identity", "params": {"verified_member": inputs.identity.verified_member,
             "verified_person": inputs.identity.verified_person}, "impact": round(identity_impact, 1)}
        )  # fmt: skip
    external_impact = (
        span * params.DIMENSION_WEIGHTS["external"] * (float(dimensions["external"]) - params.EXTERNAL_NEUTRAL)
    )
    reasons.append({"code": "external", "params": {"count": len(inputs.external)}, "impact": round(external_impact, 1)})
    if inputs.endorsements or inputs.relationships:
        reasons.append(
            {"code": "endorsements", "params": {"count": inputs.endorsements},
             "impact": round(span * params.DIMENSION_WEIGHTS["relationships"] * float(dimensions["relationships"]), 1)}
        )  # fmt: skip
    head = reasons[:1] if reasons and reasons[0]["code"] == "cap" else []
    rest = sorted(reasons[len(head) :], key=lambda r: (-abs(r["impact"]), r["code"], str(r["params"].get("kind", ""))))
    return head + [r for r in rest if abs(r["impact"]) >= 0.5 or r["code"] != "events"][: 6 - len(head)]
