"""Set-based scoring: the credit model of model.py, computed for a whole batch of subjects at once.

model.py scores one subject from per-day ledger buckets (one Python object per subject, kind, polarity,
severity and local day) and explains it by re-scoring once per event kind. That is the reference
implementation; this module gives the same scores, dimensions, caps and reasons (tests/credit/
test_set_based_scoring.py compares them subject by subject) with far less work:

- the time decay is applied in SQL on PostgreSQL (ledger.py), so the database returns a handful of
  rows per subject (one per kind, polarity and severity, with the decayed weight already summed)
  instead of one per event-day; reversed events are left out. A sequential full run groups the whole
  ledger once and its batches read their share (ledger.stage_groups). On SQLite the per-day buckets
  are fetched and reduced in Python with exactly the same per-bucket arithmetic;
- the record and fulfilment dimensions, the total and the leave-one-kind-out impacts are computed
  with numpy over all subjects of a batch;
- reasons are built only for the subjects the caller asks for (those whose score changed), as
  (code, params) items that the writer turns into JSON once per distinct reason (recompute.py).

Every per-bucket float operation is the one model.py performs (weight x multiplier x 0.5^(age/half
life), stars share), so the quantised dimensions agree; only the order of the sums differs, which can
move a result by one unit in the last place of a float, far below the 0.0001 the dimensions keep.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection
from django.utils import timezone

from .. import params
from ..models import CreditEvent
from .inputs import external_facts, identity_facts, ledger_buckets
from .ledger import Group, groups_postgres, staged_groups
from .model import IdentityFacts, ScoreResult, _effective, external_score, identity_score, quantise
from .summary import SummaryUnavailableError, summary_groups
from .trust import TrustScores

KINDS = tuple(sorted(kind for kind in CreditEvent.Kind.values if kind != CreditEvent.Kind.REVERSAL))
KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}
REVIEW_COLUMNS = np.array([kind in params.REVIEW_KINDS for kind in KINDS])


@dataclass
class BatchFacts:
    """Everything the score needs about a batch of subjects, besides their ledger groups."""

    identity: dict[str, IdentityFacts] = field(default_factory=dict)
    external: dict[str, float] = field(default_factory=dict)  # the external dimension, unquantised
    external_counts: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, float] = field(default_factory=dict)
    endorsements: dict[str, int] = field(default_factory=dict)


# --- Ledger -> groups -------------------------------------------------------------------------------------


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
    keys: list[str],
    as_of: datetime,
    id_range: tuple[str, int, int] | None = None,
    *,
    staged: bool = False,
    summary: bool = True,
) -> dict[str, list[Group]]:
    """Per subject: one Group per kind, polarity and severity (reversed and later-recorded events left out).

    id_range ("user" | "unit", first id, last id) selects the same subjects as `keys` by id, which
    PostgreSQL reads far faster than a long list of keys (a full run's batches); with staged, from the
    table ledger.stage_groups() filled for the whole phase. On PostgreSQL the groups come from the ledger
    summary (scoring/summary.py) unless `summary` is false or the summary cannot describe a subject as of
    that moment (then that subject's events are read).
    """
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        if staged and id_range is not None:
            return staged_groups(id_range)
        if summary:
            try:
                groups, stale = summary_groups(keys, as_of, id_range)
            except SummaryUnavailableError:
                return groups_postgres(keys, as_of, id_range)
            if stale:
                groups.update(groups_postgres(stale, as_of))
            return groups
        return groups_postgres(keys, as_of, id_range)
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


def _beta(kept: np.ndarray, broken: np.ndarray) -> np.ndarray:
    """model.beta over arrays, in the same order of operations."""
    prior = params.BETA_PRIOR_WEIGHT
    return (kept + prior / 2.0) / (kept + broken + prior)


def _fulfilment(subject_type: str, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """model.fulfilment_score over matrices (subjects x kinds) of positive/negative effective weight."""
    good_kinds, bad_kinds = params.fulfilment_kinds(subject_type)
    return _beta(_summed(pos, good_kinds), _summed(neg, bad_kinds))


def _summed(matrix: np.ndarray, kinds: Collection[str]) -> np.ndarray:
    return matrix[:, [KIND_INDEX[k] for k in sorted(kinds)]].sum(axis=1)


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

    kind_facts: list[dict[str, list]] = field(default_factory=list)  # per subject: kind -> [count, first, w, vw]
    # Reasons' JSON rendered ahead of the write (recompute._ReadAhead), by key: the writer uses it when present.
    rendered: dict[str, str] = field(default_factory=dict)
    reserved_ids: list[int] = field(default_factory=list)  # snapshot ids drawn ahead for them (recompute_ahead.py)

    def __post_init__(self):
        # Plain Python copies of the arrays: reading one numpy element at a time costs more than the score.
        self._units = self.units.tolist()
        self._raw = self.raw.tolist()
        self._scores = self.scores.tolist()
        self._without = {kind: totals.tolist() for kind, totals in self.without.items()}

    def dimensions(self, i: int) -> dict[str, Decimal]:
        return {name: _decimal(units) for name, units in zip(params.DIMENSIONS, self._units[i], strict=True)}

    def result(self, key: str, *, explain: bool = True) -> ScoreResult:
        i = self.index[key]
        raw = self._raw[i]
        score = self._scores[i]
        cap, cap_until, _kind = self.caps[i]
        dimensions = self.dimensions(i)
        capped = cap is not None and cap < round(raw)
        return ScoreResult(
            score=score,
            tier=params.tier_for(score),
            dimensions=dimensions,
            cap=cap if capped else None,
            cap_until=cap_until if capped else None,
            raw=raw,
            reasons=self._reasons(key, i) if explain else [],
        )

    def row(self, i: int, *, explain: bool = True) -> tuple[int, str, int | None, list[int], list[tuple]]:
        """A new snapshot's values without Decimals: score, tier, cap, dimensions in 0.0001 units, reason items
        (none without explain)."""
        raw = self._raw[i]
        score = self._scores[i]
        cap = self.caps[i][0]
        return (
            score,
            params.tier_for(score),
            cap if cap is not None and cap < round(raw) else None,
            self._units[i],
            self.reason_items(self.keys[i], i) if explain else [],
        )

    def _reasons(self, key: str, i: int) -> list[dict]:
        """model._reasons, from the batch's leave-one-kind-out totals."""
        return [
            {"code": code, "params": dict(reason_params), "impact": impact}
            for (code, reason_params), impact in self.reason_items(key, i)
        ]

    def reason_items(self, key: str, i: int) -> list[tuple]:
        """The reasons as ((code, ((param, value), ...)), impact) pairs: what model._reasons says, in its order."""
        raw = self._raw[i]
        score = self._scores[i]
        cap, cap_until, cap_kind = self.caps[i]
        units = self._units[i]
        facts = self.facts
        ranked: list[tuple] = []  # (-|impact|, code, kind, name, impact): sorted as model._reasons sorts
        name: tuple
        today = self.today
        review_kinds = params.REVIEW_KINDS
        without = self._without
        for kind, (count, oldest, weight, value_weight) in sorted(self.kind_facts[i].items()):
            age = (today - oldest).days
            window = "90d" if age <= 90 else "12m" if age <= 365 else "all"
            impact = round(raw - without[kind][i], 1)
            if abs(impact) < 0.5:  # an event kind that moves nothing is not a reason
                continue
            if kind in review_kinds:
                mean = round(value_weight / weight if weight else 0.0, 1)
                name = ("events", (("kind", kind), ("count", count), ("window", window), ("mean", mean)))
            else:
                name = ("events", (("kind", kind), ("count", count), ("window", window)))
            ranked.append((-abs(impact), "events", kind, name, impact))
        span = params.SCORE_SPAN
        weights = params.DIMENSION_WEIGHTS
        impact = round(span * weights["identity"] * (units[3] / 10000.0 - 0.5), 1)
        identity = facts.identity.get(key, _NO_IDENTITY)
        if self.subject_type == "unit":
            name = ("unit_status", (("status", identity.unit_status), ("accreditations", identity.accreditations)))
        else:
            name = (
                "person_identity",
                (("verified_member", identity.verified_member), ("verified_person", identity.verified_person)),
            )
        ranked.append((-abs(impact), name[0], "", name, impact))
        impact = round(span * weights["external"] * (units[2] / 10000.0 - params.EXTERNAL_NEUTRAL), 1)
        name = ("external", (("count", facts.external_counts.get(key, 0)),))
        ranked.append((-abs(impact), "external", "", name, impact))
        endorsements = facts.endorsements.get(key, 0)
        if endorsements or facts.relationships.get(key, 0.0):
            impact = round(span * weights["relationships"] * (units[4] / 10000.0), 1)
            ranked.append((-abs(impact), "endorsements", "", ("endorsements", (("count", endorsements),)), impact))
        ranked.sort(key=_first_three)
        if cap is not None and cap < round(raw):
            assert cap_until is not None  # noqa: S101 (a cap always comes with its end)
            name = ("cap", (("kind", cap_kind), ("cap", cap), ("until", cap_until.isoformat())))
            return [(name, round(score - raw, 1))] + [(item[3], item[4]) for item in ranked[:5]]
        return [(item[3], item[4]) for item in ranked[:6]]


_NO_IDENTITY = IdentityFacts()


def _first_three(item: tuple) -> tuple:
    return item[:3]


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
    kind_facts: list[dict[str, list]] = [{} for _ in range(n)]  # the reasons' counts, oldest days and means
    # The groups as flat columns, accumulated into the matrices by numpy in the same order as one by one.
    group_rows: list[int] = []
    columns: list[int] = []
    effective: list[float] = []
    polarity: list[int] = []
    review_kept: list[float] = []
    review_broken: list[float] = []
    severe_kinds = params.SEVERE_KINDS
    for i, key in enumerate(keys):
        subject_groups = groups.get(key)
        if not subject_groups:
            continue
        severe = False
        facts_of = kind_facts[i]
        for g in subject_groups:
            group_rows.append(i)
            columns.append(KIND_INDEX[g.kind])
            effective.append(g.effective)
            polarity.append(g.polarity)
            review_kept.append(g.review_kept)
            review_broken.append(g.review_broken)
            seen = facts_of.get(g.kind)
            if seen is None:
                facts_of[g.kind] = [g.count, g.first_day, 0 + g.weight, 0 + g.value_weight]
            else:
                seen[0] += g.count
                seen[1] = min(seen[1], g.first_day)
                seen[2] += g.weight
                seen[3] += g.value_weight
            if g.kind in severe_kinds:
                severe = True
        if severe:
            caps[i] = active_cap(subject_groups, today)
    if group_rows:
        at_row, at_column = np.array(group_rows, dtype=np.int64), np.array(columns, dtype=np.int64)
        values, signs = np.array(effective, dtype=float), np.array(polarity, dtype=np.int64)
        present[at_row, at_column] = True
        for matrix, chosen in ((pos, signs > 0), (neg, signs < 0)):
            np.add.at(matrix, (at_row[chosen], at_column[chosen]), values[chosen])
        reviews = REVIEW_COLUMNS[at_column]
        np.add.at(kept, (at_row[reviews], at_column[reviews]), np.array(review_kept, dtype=float)[reviews])
        np.add.at(broken, (at_row[reviews], at_column[reviews]), np.array(review_broken, dtype=float)[reviews])
    kept = np.where(REVIEW_COLUMNS, kept, pos)
    broken = np.where(REVIEW_COLUMNS, broken, neg)

    def record(kept_matrix, broken_matrix):
        return _beta(kept_matrix.sum(axis=1), broken_matrix.sum(axis=1))

    external = np.array([facts.external.get(key, params.EXTERNAL_NEUTRAL) for key in keys], dtype=float)
    identity = np.array(
        [identity_score(subject_type, facts.identity.get(key, IdentityFacts())) for key in keys], dtype=float
    )
    relationships = np.array([facts.relationships.get(key, 0.0) for key in keys], dtype=float)
    units = np.empty((n, 5), dtype=np.int64)
    units[:, 0] = _quantise_units(record(kept, broken))
    units[:, 1] = _quantise_units(_fulfilment(subject_type, pos, neg))
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
        fulfilment_without = _fulfilment(subject_type, pos_without, neg_without)
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
        kind_facts=kind_facts,
    )


def batch_facts(
    keys: list[str], as_of: datetime, trust: TrustScores, id_range: tuple[str, int, int] | None = None
) -> BatchFacts:
    """Identity, external and relationship facts of the subjects that exist among `keys`."""
    today = timezone.localtime(as_of).date()
    identities, relationships, endorsements = identity_facts(keys, as_of, trust, id_range)
    reports = external_facts(keys, as_of, id_range)
    return BatchFacts(
        identity=identities,
        external={key: external_score(tuple(rows), today) for key, rows in reports.items()},
        external_counts={key: len(rows) for key, rows in reports.items()},
        relationships=relationships,
        endorsements=endorsements,
    )


def score_keys_set_based(
    keys: list[str],
    as_of: datetime,
    trust: TrustScores,
    id_range: tuple[str, int, int] | None = None,
    *,
    staged: bool = False,
) -> tuple[dict[str, BatchScores], BatchFacts]:
    """Score the existing subjects among `keys` as of a moment: {subject type: BatchScores}."""
    today = timezone.localtime(as_of).date()
    facts = batch_facts(keys, as_of, trust, id_range)
    existing = [key for key in keys if key in facts.identity]
    groups = ledger_groups(existing, as_of, id_range, staged=staged)
    batches = {}
    for subject_type in ("unit", "user"):
        typed = [key for key in existing if key.startswith(subject_type + ":")]
        if typed:
            batches[subject_type] = score_batch(typed, subject_type, groups, facts, today)
    return batches, facts
