"""Ablation of the credit model (issue 18.9): which of its terms earn their place in the ranking.

One simulation per seed (rolled back) leaves, for every ranked actor at 1, 3 and 12 months, the model's real
inputs (`build_inputs` over the ledger as of that moment, the nightly run's own aggregation) and its label.
Variants of the model then score the same inputs through the pure functions of `credit.scoring.model`, with
parameters overridden (`overrides`), and are ranked against the kind-weighted beta over the same logs.

    python manage.py shell -c "from bench.credit_sim import ablation as a; [a.load(s, fraud=False) for s in
        (1, 3, 5)]; print(a.main())"

(add held-out seeds to the list to confirm on them; `main(against="2026.12-5")` prints 2026.12-6's table.)

(about 2 minutes a seed on a quiet 2-core machine; collections are cached in CREDIT_ABLATION_CACHE, by default
/tmp/credit_ablation).

Tune only on credit.params.TUNING_SEEDS; confirm on the held-out seeds. The variants ignore one feedback of the
simulation (a review's weight is its author's score under the production model), which moves little.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from credit import params
from credit.scoring import model
from credit.scoring.inputs import build_inputs
from credit.scoring.trust import trust_scores

from .baselines import auc, baseline_scores
from .simulation import Simulation
from .world import MONTH_DAYS, PROBE_BOOKING_KINDS, SimConfig

MONTHS = (1, 3, 12)
_BOOKING_KINDS = PROBE_BOOKING_KINDS["user"] | PROBE_BOOKING_KINDS["unit"]


class _Collecting(Simulation):
    """A simulation whose figures are the model's inputs per ranked actor and month (no other figure)."""

    def figures(self) -> dict:
        out: dict = {}
        actors = self.ranked_population("user") + self.ranked_population("unit")
        keys = [a.key for a in actors]
        for month in MONTHS:
            if month > self.config.months:
                continue
            day = month * MONTH_DAYS
            as_of = self._moment(day)
            inputs = build_inputs(keys, as_of, trust_scores(as_of))
            today = timezone.localtime(as_of).date()
            rows = []
            for a in actors:
                if a.key not in inputs:
                    continue
                log = [entry for entry in a.log if entry[0] <= as_of]
                rows.append(
                    {
                        "key": a.key,
                        "honest": self.honest_at(a, day),
                        "production": self.score_at(a.key, day),
                        "inputs": inputs[a.key],
                        "log": log,
                        "kind_beta": baseline_scores(a.log, as_of)[2],
                    }
                )
            out[str(month)] = {"today": today, "rows": rows}
        return out


def collect(seed: int, *, fraud: bool, users: int = 250, providers: int = 25, months: int = 12) -> dict:
    config = SimConfig(seed=seed, users=users, providers=providers, months=months, recompute_days=30, fraud=fraud)
    sim = _Collecting(config)
    with transaction.atomic():
        figures = sim.run()
        transaction.set_rollback(True)
    return figures


@contextlib.contextmanager
def overrides(**values):
    """Set credit.params attributes (and model functions, given as model__name) for the block, then restore."""
    saved = {}
    try:
        for name, value in values.items():
            target, attr = (model, name.split("__", 1)[1]) if name.startswith("model__") else (params, name)
            saved[(target, attr)] = getattr(target, attr)
            setattr(target, attr, value)
        if "DIMENSION_WEIGHTS" in values:
            saved[(params, "DIMENSIONS")] = params.DIMENSIONS
            params.DIMENSIONS = tuple(values["DIMENSION_WEIGHTS"])
        yield
    finally:
        for (target, attr), value in saved.items():
            setattr(target, attr, value)


def score_rows(rows: list[dict], today: date, *, raw: bool = False) -> list[float]:
    out = []
    for row in rows:
        result = model.score_subject(row["inputs"], today, explain=False)
        out.append(result.raw if raw else result.score)
    return out


def variant_auc(data: dict, month: str, **values) -> float | None:
    block = data.get(month)
    if block is None:
        return None
    with overrides(**values):
        scores = score_rows(block["rows"], block["today"])
    honest = [s for s, r in zip(scores, block["rows"], strict=True) if r["honest"]]
    dishonest = [s for s, r in zip(scores, block["rows"], strict=True) if not r["honest"]]
    return auc(honest, dishonest)


def _signature(row: dict) -> tuple:
    """What a formula reading only the facts could tell apart: (kind, polarity, stars, weight), times ignored."""
    return tuple(
        sorted((kind, polarity, stars, round(float(weight), 3)) for _m, kind, polarity, stars, weight in row["log"])
    )


def _outcomes(row: dict) -> tuple:
    """The coarser view: how many facts of each kind (stars and weights ignored)."""
    return tuple(sorted(Counter(kind for _m, kind, _p, _s, _w in row["log"]).items()))


def _oracle(rows: list[dict], signature) -> float | None:
    """AUC when actors with the same signature tie and the groups are put in the best order for this very sample
    (by their share of honest actors): an optimistic bound, since it ranks with the labels it is scored on."""
    groups: dict[tuple, list[int]] = {}
    for r in rows:
        g = groups.setdefault(signature(r), [0, 0])
        g[0 if r["honest"] else 1] += 1
    share = {sig: g[0] / (g[0] + g[1]) for sig, g in groups.items()}
    return auc(
        [share[signature(r)] for r in rows if r["honest"]], [share[signature(r)] for r in rows if not r["honest"]]
    )


def ceiling(data: dict, month: str) -> dict:
    """What facts can tell apart at this horizon.

    tie bound: actors without a fact all tie (whatever the formula, if it reads only facts), everyone else
    perfectly ranked: 1 - 0.5 x (honest without facts / honest) x (dishonest without facts / dishonest).
    oracle bounds (_oracle): actors with the same facts tie (exact facts, or only how many of each kind), the
    groups in the best order for this sample.
    """
    rows = data[month]["rows"]
    honest = [r for r in rows if r["honest"]]
    dishonest = [r for r in rows if not r["honest"]]
    h0 = sum(1 for r in honest if not r["log"])
    d0 = sum(1 for r in dishonest if not r["log"])
    bookings = Counter(min(sum(1 for e in r["log"] if e[1] in _BOOKING_KINDS), 2) for r in rows)
    return {
        "actors": len(rows),
        "honest": len(honest),
        "dishonest": len(dishonest),
        "no booking": bookings[0] / len(rows),
        "one booking": bookings[1] / len(rows),
        "dishonest without a fact": d0 / len(dishonest),
        "honest without a fact": h0 / len(honest),
        "tie bound": round(1 - 0.5 * (h0 / len(honest)) * (d0 / len(dishonest)), 4),
        "oracle bound (exact facts)": _oracle(rows, _signature),
        "oracle bound (kind counts)": _oracle(rows, _outcomes),
    }


def kind_beta_auc(data: dict, month: str) -> float | None:
    rows = data[month]["rows"]
    return auc([r["kind_beta"] for r in rows if r["honest"]], [r["kind_beta"] for r in rows if not r["honest"]])


CACHE = Path(os.environ.get("CREDIT_ABLATION_CACHE", "/tmp/credit_ablation"))  # noqa: S108 - a scratch cache


def load(seed: int, *, fraud: bool) -> dict:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"seed{seed}_{'fraud' if fraud else 'clean'}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())  # noqa: S301 - our own cache
    data = collect(seed, fraud=fraud)
    path.write_bytes(pickle.dumps(data))
    return data


def without_kinds(inputs, kinds):
    return replace(inputs, buckets=tuple(b for b in inputs.buckets if b.kind not in kinds))


# --- Variants -------------------------------------------------------------------------------------


def mean_of_component_betas(subject_type, buckets, today):
    """Fulfilment up to 2026.12-5: the mean of per-component beta rates (an optional component, a unit's
    payments, counting only once it has a fact, from the others' mean)."""
    optional = {"unit": {"payment"}}.get(subject_type, set())
    components = params.FULFILMENT_COMPONENTS[subject_type]
    total = 0.0
    count = 0
    for name, good_kinds, bad_kinds in components:
        if name not in optional:
            good = sum(model._effective(b, today) for b in buckets if b.kind in good_kinds and b.polarity > 0)
            bad = sum(model._effective(b, today) for b in buckets if b.kind in bad_kinds and b.polarity < 0)
            total += (good + 1.0) / (good + bad + 2.0)
            count += 1
    prior = total / count
    for name, good_kinds, bad_kinds in components:
        if name in optional and any(b.kind in good_kinds | bad_kinds for b in buckets):
            good = sum(model._effective(b, today) for b in buckets if b.kind in good_kinds and b.polarity > 0)
            bad = sum(model._effective(b, today) for b in buckets if b.kind in bad_kinds and b.polarity < 0)
            total += (good + 2.0 * prior) / (good + bad + 2.0)
            count += 1
    return total / count


def _weights(**w) -> dict:
    return {name: w.get(name, 0.0) for name in ("record", "fulfilment", "external", "identity", "relationships")}


OLD_WEIGHTS = _weights(record=0.35, fulfilment=0.25, external=0.20, identity=0.15, relationships=0.05)
OLD_CAPS = {"serious": (365, 549), "general": (180, 649), "minor": (90, 749)}
NO_CAPS = {name: (days, 950) for name, (days, _ceiling) in OLD_CAPS.items()}
NO_DECAY = 1e9  # a half-life of a billion days: 0.5^(age / half-life) is 1 to 7 decimals over a run
OLD = {
    "DIMENSION_WEIGHTS": OLD_WEIGHTS,
    "HALF_LIFE_DAYS": 180,
    "BETA_PRIOR_WEIGHT": 2.0,
    "CAPS": OLD_CAPS,
    "model__fulfilment_score": mean_of_component_betas,
}


def variants(new: dict | None = None) -> dict[str, dict]:
    """Each variant changes one thing of the 2026.12-5 model (OLD); then combinations, ending with `new`."""
    km = dict(params.KIND_MULTIPLIERS)
    pooled = {"model__fulfilment_score": model.fulfilment_score}
    out = {
        "2026.12-5 (production before)": OLD,
        "no decay": {**OLD, "HALF_LIFE_DAYS": NO_DECAY},
        "half-life 365 d": {**OLD, "HALF_LIFE_DAYS": 365},
        "half-life 90 d": {**OLD, "HALF_LIFE_DAYS": 90},
        "no caps": {**OLD, "CAPS": NO_CAPS},
        "serious cap only": {**OLD, "CAPS": {**NO_CAPS, "serious": OLD_CAPS["serious"]}},
        "fulfilment pooled (one beta)": {**OLD, **pooled},
        "fulfilment weight 0": {**OLD, "DIMENSION_WEIGHTS": {**OLD_WEIGHTS, "fulfilment": 0.0}},
        "identity weight 0": {**OLD, "DIMENSION_WEIGHTS": {**OLD_WEIGHTS, "identity": 0.0}},
        "external weight 0": {**OLD, "DIMENSION_WEIGHTS": {**OLD_WEIGHTS, "external": 0.0}},
        "relationships weight 0": {**OLD, "DIMENSION_WEIGHTS": {**OLD_WEIGHTS, "relationships": 0.0}},
        "record only": {**OLD, "DIMENSION_WEIGHTS": _weights(record=1.0)},
        "record only, no decay, no caps": {**OLD, "DIMENSION_WEIGHTS": _weights(record=1.0),
                                           "HALF_LIFE_DAYS": NO_DECAY, "CAPS": NO_CAPS},
        "late check-in x0": {**OLD, "KIND_MULTIPLIERS": {**km, "late_check_in": 0.0}},
        "punctual check-in x0": {**OLD, "KIND_MULTIPLIERS": {**km, "punctual_check_in": 0.0}},
        "prior 1 (record)": {**OLD, "BETA_PRIOR_WEIGHT": 1.0},
        "prior 4 (record)": {**OLD, "BETA_PRIOR_WEIGHT": 4.0},
    }  # fmt: skip
    if new is not None:
        out["adopted (2026.12-6)"] = new
    return out


SIX_WEIGHTS = _weights(record=0.55, fulfilment=0.10, external=0.20, identity=0.13, relationships=0.02)
SIX = {"DIMENSION_WEIGHTS": SIX_WEIGHTS, "HALF_LIFE_DAYS": 180, "BETA_PRIOR_WEIGHT": 2.0, "CAPS": OLD_CAPS}


def variants_of_six() -> dict[str, dict]:
    """2026.12-7's ablation (tuning seeds 1, 3, 5): each variant changes one thing of 2026.12-6 (SIX); the last row is
    the parameters in credit/params.py now."""
    caps = lambda **changed: {"CAPS": {**OLD_CAPS, **changed}}  # noqa: E731
    no_relationships = {"DIMENSION_WEIGHTS": {**SIX_WEIGHTS, "relationships": 0.0, "identity": 0.15}}
    return {
        "2026.12-6 (production before)": SIX,
        "no caps": {**SIX, "CAPS": NO_CAPS},
        "serious cap only": {**SIX, "CAPS": {**NO_CAPS, "serious": OLD_CAPS["serious"]}},
        "cap durations / 4": {**SIX, "CAPS": {name: (days // 4, c) for name, (days, c) in OLD_CAPS.items()}},
        "ceilings at tier tops (549 / 699 / 799)": {**SIX, **caps(general=(180, 699), minor=(90, 799))},
        "minor cap 799": {**SIX, **caps(minor=(90, 799))},
        "minor cap 799, general 90 days": {**SIX, **caps(general=(90, 649), minor=(90, 799))},
        "minor cap 799, general 60 days": {**SIX, **caps(general=(60, 649), minor=(90, 799))},
        "no decay": {**SIX, "HALF_LIFE_DAYS": NO_DECAY},
        "half-life 365 d": {**SIX, "HALF_LIFE_DAYS": 365},
        "relationships 0 (identity 0.15)": {**SIX, **no_relationships},
        "record only, no decay, no caps": {**SIX, "DIMENSION_WEIGHTS": _weights(record=1.0),
                                           "HALF_LIFE_DAYS": NO_DECAY, "CAPS": NO_CAPS},
        "adopted (2026.12-7)": {},
    }  # fmt: skip


def table(datasets: dict[str, dict], variant_map: dict[str, dict]) -> list[tuple]:
    """(variant, dataset, month, AUC) for every variant; the kind-weighted beta as a row too."""
    out = [
        (name, label, month, variant_auc(data, month, **values))
        for name, values in variant_map.items()
        for label, data in datasets.items()
        for month in data
    ]
    out += [
        ("kind-weighted beta", label, month, kind_beta_auc(data, month))
        for label, data in datasets.items()
        for month in data
    ]
    return out


def _bad(row: dict) -> bool:
    return any(polarity < 0 or (stars is not None and stars <= 2) for _m, _k, polarity, stars, _w in row["log"])


def clean_shares(data: dict, month: str) -> dict:
    """Shares of honest and dishonest actors whose facts hold nothing bad yet (no negative fact, no review of
    two stars or fewer): what a record of facts cannot tell apart, except by chance."""
    rows = data[month]["rows"]
    honest = [r for r in rows if r["honest"]]
    dishonest = [r for r in rows if not r["honest"]]
    h = sum(1 for r in honest if not _bad(r)) / len(honest)
    d = sum(1 for r in dishonest if not _bad(r)) / len(dishonest)
    # If clean honest and clean dishonest actors cannot be told apart, those pairs are a coin toss at best.
    return {
        "honest with nothing bad": h,
        "dishonest with nothing bad": d,
        "clean-tie estimate": round(1 - h * d / 2, 3),
    }


def load_all(seeds, *, fraud: bool) -> dict[int, dict]:
    """The cached collections of these seeds (those not collected yet are left out)."""
    out = {}
    for seed in seeds:
        path = CACHE / f"seed{seed}_{'fraud' if fraud else 'clean'}.pkl"
        if path.exists():
            out[seed] = pickle.loads(path.read_bytes())  # noqa: S301 - our own cache
    return out


def main(held_out=params.HELD_OUT_SEEDS, tuning=params.TUNING_SEEDS, *, against: str = "2026.12-6") -> str:
    """The ablation table as markdown: AUC per variant and horizon, on the tuning seeds and the held-out seeds
    (mean), without fraud; then the kind-weighted beta and the 1-month ceiling. Collect first with load().
    against="2026.12-6": 2026.12-7's variants (variants_of_six); "2026.12-5": 2026.12-6's (variants)."""
    import statistics

    vmap = variants_of_six() if against == "2026.12-6" else variants(SIX)
    sets = {"tuning": load_all(tuning, fraud=False), "held-out": load_all(held_out, fraud=False)}
    lines = [
        f"Seeds: tuning {sorted(sets['tuning'])}, held-out {sorted(sets['held-out'])}, no fraud; "
        "AUC honest vs dishonest (and minus the kind-weighted beta, in brackets, on the same actors).",
        "",
        "| variant | tuning 1m | tuning 3m | tuning 12m | held-out 1m | held-out 3m | held-out 12m |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, values in [*vmap.items(), ("kind-weighted beta", None)]:
        cells = []
        for label in ("tuning", "held-out"):
            for month in ("1", "3", "12"):
                aucs, diffs = [], []
                for data in sets[label].values():
                    kb = kind_beta_auc(data, month)
                    value = kb if values is None else variant_auc(data, month, **values)
                    aucs.append(value)
                    diffs.append(value - kb)
                if not aucs:
                    cells.append("")
                    continue
                mean = statistics.mean(aucs)
                cells.append(f"{mean:.3f}" if values is None else f"{mean:.3f} ({statistics.mean(diffs):+.3f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| 1 month, seed | actors | no booking | one booking | tie bound | oracle (exact facts) "
              "| oracle (kind counts) | honest / dishonest with nothing bad | clean-tie estimate |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for label in ("tuning", "held-out"):
        for seed, data in sets[label].items():
            c = ceiling(data, "1")
            shares = clean_shares(data, "1")
            lines.append(
                f"| {seed} ({label}) | {c['actors']} | {c['no booking']:.1%} | {c['one booking']:.1%} "
                f"| {c['tie bound']} "
                f"| {c['oracle bound (exact facts)']} | {c['oracle bound (kind counts)']} "
                f"| {shares['honest with nothing bad']:.0%} / {shares['dishonest with nothing bad']:.0%} "
                f"| {shares['clean-tie estimate']} |"
            )
    return "\n".join(lines) + "\n"
