"""Set-based scoring: the credit model of model.py, computed for a whole batch of subjects at once.

model.py scores one subject from per-day ledger buckets (one Python object per subject, kind, polarity,
severity and local day) and explains it by re-scoring once per event kind. That is the reference
implementation; this module gives the same scores, dimensions, caps and reasons (tests/credit/
test_set_based_scoring.py compares them subject by subject) with far less work:

- the time decay is applied in SQL on PostgreSQL, so the database returns a handful of rows per
  subject (one per kind, polarity and severity, with the decayed weight already summed) instead of
  one per event-day; reversed events are left out in the same query. On SQLite the per-day buckets
  are fetched and reduced in Python with exactly the same per-bucket arithmetic;
- the record and fulfilment dimensions, the total and the leave-one-kind-out impacts are computed
  with numpy over all subjects of a batch;
- reasons are built only for the subjects the caller asks for (those whose score changed).

Every per-bucket float operation is the one model.py performs (weight x multiplier x 0.5^(age/half
life), stars share), so the quantised dimensions agree; only the order of the sums differs, which can
move a result by one unit in the last place of a float, far below the 0.0001 the dimensions keep.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection
from django.utils import timezone

from .. import params
from ..models import CreditEvent
from .inputs import external_facts, identity_facts, ledger_buckets
from .model import IdentityFacts, ScoreResult, _effective, external_score, identity_score, quantise
from .trust import TrustScores

KINDS = tuple(sorted(kind for kind in CreditEvent.Kind.values if kind != CreditEvent.Kind.REVERSAL))
KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}
REVIEW_COLUMNS = np.array([kind in params.REVIEW_KINDS for kind in KINDS])


@dataclass(slots=True)
class Group:
    """A subject's events of one kind, polarity and severity, with their time-decayed weight summed."""

    kind: str
    polarity: int
    severity: str
    effective: float  # sum over days of weight x kind multiplier x decay
    review_kept: float  # reviews (weight > 0): sum of effective x stars share
    review_broken: float  # reviews (weight > 0): sum of effective x (1 - stars share)
    count: int
    first_day: date
    last_day: date
    weight: float  # sum of raw weights (reviews: the mean stars in the reasons)
    value_weight: float


@dataclass
class BatchFacts:
    """Everything the score needs about a batch of subjects, besides their ledger groups."""

    identity: dict[str, IdentityFacts] = field(default_factory=dict)
    external: dict[str, float] = field(default_factory=dict)  # the external dimension, unquantised
    external_counts: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, float] = field(default_factory=dict)
    endorsements: dict[str, int] = field(default_factory=dict)


# --- Ledger -> groups -------------------------------------------------------------------------------------


def _multiplier_sql() -> tuple[str, list]:
    whens, args = [], []
    for kind, multiplier in sorted(params.KIND_MULTIPLIERS.items()):
        whens.append("WHEN %s THEN %s::float8")
        args += [str(kind), float(multiplier)]
    return f"(CASE e.kind {' '.join(whens)} ELSE 1.0::float8 END)", args


def _subject_filter(alias: str, keys: list[str], id_range: tuple[str, int, int] | None) -> tuple[str, list]:
    if id_range is not None:
        phase, first, last = id_range
        column = "subject_unit_id" if phase == "unit" else "subject_user_id"
        return f"{alias}.{column} BETWEEN %s AND %s", [first, last]
    return f"{alias}.subject_key = ANY(%s)", [keys]


def _groups_postgres(
    keys: list[str], as_of: datetime, id_range: tuple[str, int, int] | None = None
) -> dict[str, list[Group]]:
    """One query: reversals left out, decay applied per event (reviews: per day, for their stars share)."""
    today = timezone.localtime(as_of).date()
    multiplier, multiplier_args = _multiplier_sql()
    review_kinds = [str(kind) for kind in params.REVIEW_KINDS]
    span = float(params.REVIEW_STARS_MAX - params.REVIEW_STARS_MIN)
    reversal = CreditEvent.Kind.REVERSAL.value
    tz = timezone.get_current_timezone_name()
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", tz):  # interpolated below: a zone name, nothing else
        raise ValueError(f"unexpected time zone name {tz!r}")
    subject_r, subject_r_args = _subject_filter("r", keys, id_range)
    subject_e, subject_e_args = _subject_filter("e", keys, id_range)
    events = f"""
        FROM credit_creditevent e
        WHERE {subject_e} AND e.occurred_at <= %s AND e.recorded_at <= %s AND e.kind <> %s
          AND e.id NOT IN (SELECT id FROM reversed WHERE id IS NOT NULL)"""  # noqa: S608 (fixed fragments, values bound)
    events_args = [*subject_e_args, as_of, as_of, reversal]
    # A few subjects (the per-event path): their events are found by subject; the (kind, occurred_at) index
    # would only add a scan of every review on the platform to intersect with them, so it is kept out.
    review_kind = "e.kind" if id_range is not None else "(e.kind || '')"
    decay = "power(0.5::float8, greatest(%s::date - {day}, 0)::float8 / %s::float8)"
    decay_args = [today, float(params.HALF_LIFE_DAYS)]
    day = f"(e.occurred_at AT TIME ZONE '{tz}')::date"
    sql = f"""
        WITH reversed AS (
            SELECT COALESCE(r.reverses_id, NULLIF(r.details->>'reverses', '')::bigint) AS id
            FROM credit_creditevent r
            WHERE r.kind = %s AND {subject_r} AND r.occurred_at <= %s AND r.recorded_at <= %s
        ), review_days AS (
            SELECT e.subject_key, e.kind, e.polarity, e.severity, {day} AS day,
                   sum(e.weight) AS w, count(*) FILTER (WHERE e.weight <> 0) AS n,
                   coalesce(sum(e.value * e.weight), 0) AS vw
            {events} AND {review_kind} = ANY(%s)
            GROUP BY 1, 2, 3, 4, 5
        ), review_decayed AS (
            SELECT e.*, e.w::float8 * {multiplier} * {decay.format(day="e.day")} AS eff,
                   CASE WHEN e.w > 0
                        THEN least(greatest((e.vw::float8 / e.w::float8 - %s::float8) / %s::float8, 0.0), 1.0)
                   END AS share
            FROM review_days e
        )
        SELECT x.subject_key, x.kind, x.polarity, x.severity,
               sum(x.weight::float8 * {decay.format(day="x.day")}), NULL::float8, 0::float8, 0::float8,
               count(*) FILTER (WHERE x.weight <> 0), min(x.day), max(x.day), 0::float8, 0::float8
        FROM (
            SELECT e.subject_key, e.kind, e.polarity, e.severity, e.weight, {day} AS day
            {events} AND NOT (e.kind = ANY(%s))
            OFFSET 0
        ) x
        GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT subject_key, kind, polarity, severity, sum(eff), 1::float8, coalesce(sum(eff * share), 0),
               coalesce(sum(eff * (1.0::float8 - share)), 0), sum(n)::bigint, min(day), max(day), sum(w)::float8,
               sum(vw)::float8
        FROM review_decayed GROUP BY 1, 2, 3, 4
    """  # noqa: S608 (interpolated: our own parameters' CASE, the time zone name, fixed fragments; values bound)
    args = [
        reversal, *subject_r_args, as_of, as_of,
        *events_args, review_kinds,
        *multiplier_args, *decay_args, float(params.REVIEW_STARS_MIN), span,
        *decay_args, *events_args, review_kinds,
    ]  # fmt: skip
    groups: dict[str, list[Group]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        # Outside reviews the multiplier is applied here, per group (the SQL sums weight x decay).
        multipliers = params.KIND_MULTIPLIERS
        for key, kind, polarity, severity, eff, applied, kept, broken, n, first, last, w, vw in cursor.fetchall():
            if applied is None:
                eff = eff * multipliers.get(kind, 1.0)
            groups[key].append(Group(kind, polarity, severity, eff, kept, broken, n, first, last, w, vw))
    return groups


def _groups_python(keys: list[str], as_of: datetime) -> dict[str, list[Group]]:
    """SQLite: the reference's per-day buckets, reduced with the reference's per-bucket arithmetic."""
    today = timezone.localtime(as_of).date()
    span = params.REVIEW_STARS_MAX - params.REVIEW_STARS_MIN
    groups: dict[str, list[Group]] = defaultdict(list)
    for key, buckets in ledger_buckets(keys, as_of).items():
        by_group: dict[tuple, Group] = {}
        for bucket in buckets:
            eff = _effective(bucket, today)
            kept = broken = 0.0
            if bucket.kind in params.REVIEW_KINDS and bucket.weight > 0:
                mean_stars = bucket.value_weight / bucket.weight
                share = min(max((mean_stars - params.REVIEW_STARS_MIN) / span, 0.0), 1.0)
                kept, broken = eff * share, eff * (1.0 - share)
            name = (bucket.kind, bucket.polarity, bucket.severity)
            group = by_group.get(name)
            if group is None:
                by_group[name] = Group(
                    bucket.kind, bucket.polarity, bucket.severity, eff, kept, broken, bucket.count, bucket.day,
                    bucket.day, bucket.weight, bucket.value_weight,
                )  # fmt: skip
                continue
            group.effective += eff
            group.review_kept += kept
            group.review_broken += broken
            group.count += bucket.count
            group.first_day = min(group.first_day, bucket.day)
            group.last_day = max(group.last_day, bucket.day)
            group.weight += bucket.weight
            group.value_weight += bucket.value_weight
        groups[key] = list(by_group.values())
    return groups


def ledger_groups(
    keys: list[str], as_of: datetime, id_range: tuple[str, int, int] | None = None
) -> dict[str, list[Group]]:
    """Per subject: one Group per kind, polarity and severity (reversed and later-recorded events left out).

    id_range ("user" | "unit", first id, last id) selects the same subjects as `keys` by id, which
    PostgreSQL reads far faster than a long list of keys (a full run's batches).
    """
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        return _groups_postgres(keys, as_of, id_range)
    return _groups_python(keys, as_of)


# --- Vectorised scoring ----------------------------------------------------------------------------------

_DECIMALS: dict[int, Decimal] = {}


def _decimal(units: int) -> Decimal:
    """A quantised dimension (in 0.0001 units) as the Decimal model.quantise returns."""
    value = _DECIMALS.get(units)
    if value is None:
        value = _DECIMALS[units] = Decimal(units).scaleb(-4).quantize(Decimal("0.0001"))
    return value


def _quantise_units(values: np.ndarray) -> np.ndarray:
    """model.quantise for an array, in 0.0001 units: round half even on the decimal repr, exactly.

    rint(x * 10000) agrees with Decimal(repr(x)).quantize() except within a hair of a tie, where the
    scaled float may have been rounded across .5: those few are done with Decimal, as the reference does.
    """
    clipped = np.clip(values, 0.0, 1.0)
    scaled = clipped * 10000.0
    units = np.rint(scaled)
    near_tie = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6
    for i in np.flatnonzero(near_tie):
        units[i] = int(quantise(float(values[i])).scaleb(4))
    return units.astype(np.int64)


def _total(dims: list[np.ndarray]) -> np.ndarray:
    """model._total over arrays of quantised dimensions (floats), in the same order of operations."""
    weighted = np.zeros_like(dims[0])
    for name, values in zip(params.DIMENSIONS, dims, strict=True):
        weighted = weighted + params.DIMENSION_WEIGHTS[name] * values
    return np.minimum(np.maximum(params.SCORE_MIN + params.SCORE_SPAN * weighted, params.SCORE_MIN), params.SCORE_MAX)


def _fulfilment(subject_type: str, pos: np.ndarray, neg: np.ndarray, present: np.ndarray) -> np.ndarray:
    """model.fulfilment_score over matrices (subjects x kinds) of positive/negative effective weight."""
    optional = params.FULFILMENT_OPTIONAL.get(subject_type, set())
    total = np.zeros(pos.shape[0])
    count = np.zeros(pos.shape[0])
    for name, good_kinds, bad_kinds in params.FULFILMENT_COMPONENTS[subject_type]:
        good_cols = [KIND_INDEX[k] for k in sorted(good_kinds)]
        bad_cols = [KIND_INDEX[k] for k in sorted(bad_kinds)]
        good = pos[:, good_cols].sum(axis=1)
        bad = neg[:, bad_cols].sum(axis=1)
        rate = (good + 1.0) / (good + bad + 2.0)
        if name in optional:
            counts = present[:, good_cols + bad_cols].any(axis=1)
            total = total + np.where(counts, rate, 0.0)
            count = count + counts
        else:
            total = total + rate
            count = count + 1
    return total / count


def active_cap(groups: list[Group], today: date) -> tuple[int | None, date | None, str]:
    """model.active_cap over groups: the last day of a (kind, severity) group dominates its earlier days."""
    lifted_on = max((g.last_day for g in groups if g.kind in params.CAP_LIFTING_KINDS and g.polarity > 0), default=None)
    best: tuple[int | None, date | None, str] = (None, None, "")
    for group in sorted(groups, key=lambda g: (g.kind, g.polarity, g.severity)):
        if group.kind not in params.SEVERE_KINDS or group.polarity >= 0:
            continue
        if lifted_on is not None and lifted_on >= group.last_day:
            continue
        defaults: dict[str, str] = {str(kind): value for kind, value in params.SEVERE_DEFAULT_SEVERITY.items()}
        severity = group.severity or defaults.get(group.kind, "general")
        days, ceiling = params.CAPS[severity]
        until = group.last_day + timedelta(days=days)
        if until <= today:
            continue
        later = best[1] is not None and until > best[1]
        if best[0] is None or ceiling < best[0] or (ceiling == best[0] and later):
            best = (ceiling, until, group.kind)
    return best


@dataclass
class BatchScores:
    """The scores of a batch; `result(key)` builds one subject's ScoreResult (with reasons if asked)."""

    keys: list[str]
    subject_type: str
    today: date
    groups: dict[str, list[Group]]
    facts: BatchFacts
    units: np.ndarray  # subjects x 5 quantised dimensions, in 0.0001 units
    raw: np.ndarray
    scores: np.ndarray
    caps: list[tuple[int | None, date | None, str]]
    without: dict[str, np.ndarray]  # kind -> total of each subject without that kind
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        # Plain Python copies of the arrays: reading one numpy element at a time costs more than the score.
        self._units = self.units.tolist()
        self._raw = self.raw.tolist()
        self._scores = self.scores.tolist()

    def dimensions(self, i: int) -> dict[str, Decimal]:
        return {name: _decimal(units) for name, units in zip(params.DIMENSIONS, self._units[i], strict=True)}

    def result(self, key: str, *, explain: bool = True) -> ScoreResult:
        i = self.index[key]
        raw = self._raw[i]
        score = self._scores[i]
        cap, cap_until, cap_kind = self.caps[i]
        dimensions = self.dimensions(i)
        capped = cap is not None and cap < round(raw)
        return ScoreResult(
            score=score,
            tier=params.tier_for(score),
            dimensions=dimensions,
            cap=cap if capped else None,
            cap_until=cap_until if capped else None,
            raw=raw,
            reasons=self._reasons(key, i, dimensions, raw, cap, cap_until, cap_kind, score) if explain else [],
        )

    def _reasons(self, key, i, dimensions, raw, cap, cap_until, cap_kind, score) -> list[dict]:
        """model._reasons, from the batch's leave-one-kind-out totals."""
        groups = self.groups.get(key, [])
        identity = self.facts.identity.get(key, IdentityFacts())
        reasons: list[dict] = []
        if cap is not None and cap < round(raw):
            reasons.append(
                {"code": "cap", "params": {"kind": cap_kind, "cap": cap, "until": cap_until.isoformat()},
                 "impact": round(score - raw, 1)}
            )  # fmt: skip
        by_kind: dict[str, list[Group]] = defaultdict(list)
        for g in groups:
            by_kind[g.kind].append(g)
        for kind in sorted(by_kind):
            own = by_kind[kind]
            impact = raw - float(self.without[kind][i])
            oldest = min(g.first_day for g in own)
            age = (self.today - oldest).days
            window = "90d" if age <= 90 else "12m" if age <= 365 else "all"
            reason = {
                "code": "events",
                "params": {"kind": kind, "count": sum(g.count for g in own), "window": window},
                "impact": round(impact, 1),
            }
            if kind in params.REVIEW_KINDS:
                weight = sum(g.weight for g in own)
                mean = sum(g.value_weight for g in own) / weight if weight else 0.0
                reason["params"]["mean"] = round(mean, 1)
            reasons.append(reason)
        span = params.SCORE_SPAN
        identity_impact = span * params.DIMENSION_WEIGHTS["identity"] * (float(dimensions["identity"]) - 0.5)
        if self.subject_type == "unit":
            reasons.append(
                {"code": "unit_status", "params": {"status": identity.unit_status,
                 "accreditations": identity.accreditations}, "impact": round(identity_impact, 1)}
            )  # fmt: skip
        else:
            reasons.append(
                {"code": "person_identity", "params": {"verified_member": identity.verified_member,
                 "verified_person": identity.verified_person}, "impact": round(identity_impact, 1)}
            )  # fmt: skip
        external_impact = (
            span * params.DIMENSION_WEIGHTS["external"] * (float(dimensions["external"]) - params.EXTERNAL_NEUTRAL)
        )
        reasons.append(
            {"code": "external", "params": {"count": self.facts.external_counts.get(key, 0)},
             "impact": round(external_impact, 1)}
        )  # fmt: skip
        endorsements = self.facts.endorsements.get(key, 0)
        if endorsements or self.facts.relationships.get(key, 0.0):
            reasons.append(
                {"code": "endorsements", "params": {"count": endorsements},
                 "impact": round(span * params.DIMENSION_WEIGHTS["relationships"]
                                 * float(dimensions["relationships"]), 1)}
            )  # fmt: skip
        head = reasons[:1] if reasons and reasons[0]["code"] == "cap" else []
        rest = sorted(
            reasons[len(head) :], key=lambda r: (-abs(r["impact"]), r["code"], str(r["params"].get("kind", "")))
        )
        return head + [r for r in rest if abs(r["impact"]) >= 0.5 or r["code"] != "events"][: 6 - len(head)]


def score_batch(
    keys: list[str], subject_type: str, groups: dict[str, list[Group]], facts: BatchFacts, today: date
) -> BatchScores:
    """Score subjects of one type (all "user" or all "unit") as of a local day, vectorised."""
    n, m = len(keys), len(KINDS)
    pos = np.zeros((n, m))  # effective weight of kept commitments, per kind
    neg = np.zeros((n, m))  # ...of broken ones
    kept = np.zeros((n, m))  # what each kind adds to the record's kept (r) and broken (s) weight
    broken = np.zeros((n, m))
    present = np.zeros((n, m), dtype=bool)
    caps: list[tuple[int | None, date | None, str]] = [(None, None, "")] * n
    for i, key in enumerate(keys):
        subject_groups = groups.get(key)
        if not subject_groups:
            continue
        severe = False
        for g in subject_groups:
            k = KIND_INDEX[g.kind]
            present[i, k] = True
            if g.polarity > 0:
                pos[i, k] += g.effective
            elif g.polarity < 0:
                neg[i, k] += g.effective
            if g.kind in params.SEVERE_KINDS:
                severe = True
            if g.kind in params.REVIEW_KINDS:
                kept[i, k] += g.review_kept
                broken[i, k] += g.review_broken
        if severe:
            caps[i] = active_cap(subject_groups, today)
    kept = np.where(REVIEW_COLUMNS, kept, pos)
    broken = np.where(REVIEW_COLUMNS, broken, neg)

    def record(kept_matrix, broken_matrix):
        r, s = kept_matrix.sum(axis=1), broken_matrix.sum(axis=1)
        return (r + 1.0) / (r + s + 2.0)

    external = np.array([facts.external.get(key, params.EXTERNAL_NEUTRAL) for key in keys], dtype=float)
    identity = np.array(
        [identity_score(subject_type, facts.identity.get(key, IdentityFacts())) for key in keys], dtype=float
    )
    relationships = np.array([facts.relationships.get(key, 0.0) for key in keys], dtype=float)
    units = np.empty((n, 5), dtype=np.int64)
    units[:, 0] = _quantise_units(record(kept, broken))
    units[:, 1] = _quantise_units(_fulfilment(subject_type, pos, neg, present))
    units[:, 2] = _quantise_units(external)
    units[:, 3] = _quantise_units(identity)
    units[:, 4] = _quantise_units(relationships)
    as_float = [units[:, d] / 10000.0 for d in range(5)]
    raw = _total(as_float)
    scores = np.rint(raw)
    for i, (cap, _until, _kind) in enumerate(caps):
        if cap is not None:
            scores[i] = min(scores[i], cap)
    scores = np.clip(scores, params.SCORE_MIN, params.SCORE_MAX).astype(np.int64)
    # Leave one kind out (the reasons' impacts): only the record and fulfilment dimensions move.
    without: dict[str, np.ndarray] = {}
    for k in (int(column) for column in np.flatnonzero(present.any(axis=0))):
        drop = np.ones(m, dtype=bool)
        drop[k] = False
        rows = present[:, k]
        record_without = record(kept[rows][:, drop], broken[rows][:, drop])
        pos_without, neg_without = pos[rows].copy(), neg[rows].copy()
        pos_without[:, k] = 0.0
        neg_without[:, k] = 0.0
        present_without = present[rows].copy()
        present_without[:, k] = False
        fulfilment_without = _fulfilment(subject_type, pos_without, neg_without, present_without)
        dims = [d[rows] for d in as_float]
        dims[0] = _quantise_units(record_without) / 10000.0
        dims[1] = _quantise_units(fulfilment_without) / 10000.0
        totals = np.full(n, np.nan)
        totals[rows] = _total(dims)
        without[KINDS[k]] = totals
    return BatchScores(
        keys=keys,
        subject_type=subject_type,
        today=today,
        groups=groups,
        facts=facts,
        units=units,
        raw=raw,
        scores=scores,
        caps=caps,
        without=without,
        index={key: i for i, key in enumerate(keys)},
    )


def batch_facts(keys: list[str], as_of: datetime, trust: TrustScores) -> BatchFacts:
    """Identity, external and relationship facts of the subjects that exist among `keys`."""
    today = timezone.localtime(as_of).date()
    identities, relationships, endorsements = identity_facts(keys, as_of, trust)
    reports = external_facts(keys, as_of)
    return BatchFacts(
        identity=identities,
        external={key: external_score(tuple(rows), today) for key, rows in reports.items()},
        external_counts={key: len(rows) for key, rows in reports.items()},
        relationships=relationships,
        endorsements=endorsements,
    )


def score_keys_set_based(
    keys: list[str], as_of: datetime, trust: TrustScores, id_range: tuple[str, int, int] | None = None
) -> tuple[dict[str, BatchScores], BatchFacts]:
    """Score the existing subjects among `keys` as of a moment: {subject type: BatchScores}."""
    today = timezone.localtime(as_of).date()
    facts = batch_facts(keys, as_of, trust)
    existing = [key for key in keys if key in facts.identity]
    groups = ledger_groups(existing, as_of, id_range)
    batches = {}
    for subject_type in ("unit", "user"):
        typed = [key for key in existing if key.startswith(subject_type + ":")]
        if typed:
            batches[subject_type] = score_batch(typed, subject_type, groups, facts, today)
    return batches, facts
