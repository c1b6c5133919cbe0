"""A whole run: the simulation in a rolled-back transaction, its figures, the targets, the production attacks."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction

from credit import params
from credit.models import CreditEvent

from .attacks import run_attacks
from .baselines import BASELINES
from .simulation import Simulation
from .world import SimConfig

# --- Targets (issue 8, item 4; issue 18, item 9) ----------------------------------------------------


def targets(figures: dict, months: int) -> dict:
    at3 = figures["auc"]
    model3 = at3["model"]["all"].get("3")
    base3 = max(at3[name]["all"].get("3") or 0 for name in BASELINES)
    model1 = at3["model"]["all"].get("1")
    kind_beta_beaten = {
        month: (at3["model"]["all"].get(month) or 0) > (at3["kind_beta"]["all"].get(month) or 0)
        for month in sorted({"1", "3", str(months)}, key=int)
        if month in at3["model"]["all"]
    }
    careless = figures["events_until_blacklist"]["careless users"]["candidate"]
    false_rate = figures["false_blacklist_per_1000_honest"]["model"]
    ring = figures["ring"].get("max", {}).get("model")
    recovery = figures["recovery_months"]["model"]
    return {
        "auc_3_months": {"target": ">= 0.95 and above every baseline", "value": model3, "baselines_best": base3,
                         "met": model3 is not None and model3 >= 0.95 and model3 > base3},
        "auc_1_month": {"target": ">= 0.85", "value": model1, "met": model1 is not None and model1 >= 0.85},
        "above_kind_weighted_beta": {"target": "model AUC above the kind-weighted beta at 1, 3 and 12 months",
                                     "value": kind_beta_beaten, "met": all(kind_beta_beaten.values())},
        "careless_within_3_bad_events": {"target": "median <= 3", "value": careless.get("median"),
                                         "share_within_3": careless.get("within_3"),
                                         "met": careless.get("median") is not None and careless["median"] <= 3},
        "false_blacklist_per_1000": {"target": "< 1", "value": false_rate,
                                     "met": false_rate is not None and false_rate < 1},
        "ring_gain": {"target": "< 20 points", "value": ring, "met": ring is not None and ring < 20},
        "reformed_good_within_6_months": {"target": "median <= 6 months", "value": recovery.get("median"),
                                          "share_within_6": recovery.get("within_6"),
                                          "met": recovery.get("median") is not None and recovery["median"] <= 6},
    }  # fmt: skip


def run_simulation(config: SimConfig, *, keep: bool = False, attacks: bool = False) -> dict:
    """Run inside one transaction (rolled back unless keep) and return figures, targets and timings.

    attacks: also replay the production attacks of issue 18 through the real services (bench.credit_sim.attacks),
    each in its own savepoint, rolled back."""
    sim = Simulation(config)
    with transaction.atomic():
        figures = sim.run()
        counts = {
            "actors": len(sim.actors),
            "ledger_events": CreditEvent.objects.filter(subject_key__in=[a.key for a in sim.actors]).count(),
            "bookings": sim.booking_seq,
            "nightly_runs": sim.recompute_runs,
        }
        if sim.real is not None:
            figures["real_services"] = sim.real.figures()
        if attacks:
            figures["production_attacks"] = run_attacks()
        if not keep:
            transaction.set_rollback(True)
    return {
        "config": asdict(config),
        "model_version": params.MODEL_VERSION,
        "counts": counts,
        "figures": figures,
        "targets": targets(figures, config.months),
        "timings_seconds": {k: round(v, 1) for k, v in sim.timings.items()},
    }
