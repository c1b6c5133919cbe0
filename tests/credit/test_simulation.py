"""The credit model against a small simulated platform (bench/credit_sim.py): its targets hold.

A later change to credit/params.py or the scoring code that breaks the model fails here. The full-size
figures are in docs/credit-model.md (python manage.py simulate_credit ...).
"""

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from bench.credit_sim import SIM_START, SimConfig, auc, ledger_row, run_simulation
from bench.credit_sim.attacks import (
    ATTACKS,
    fresh_account_after_black_list,
    internal_self_dealing,
    maintenance_toggling,
    refusal_of_damaged_user,
    run_attacks,
    serious_incident_upheld,
    understated_hours,
)
from credit import params
from credit.models import CreditEvent, CreditScore
from credit.services import credit_event_record
from tests.factories import UnitFactory, UserFactory

K = CreditEvent.Kind
SMALL = SimConfig(
    seed=7, users=120, providers=12, months=8, recompute_days=30, drift_month=3, reform_share=0.5, ring_size=20
)
FIELDS = ("subject_key", "kind", "polarity", "weight", "value", "severity", "source", "source_ref", "counterparty_key")


@pytest.fixture(scope="module")
def small_run(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return run_simulation(SMALL)


def _auc(rows: list[list], column: int) -> float:
    """P(an honest actor scores above a dishonest one), ties half: counted pair by pair, independently of the
    simulator's own AUC code."""
    honest = [row[column] for row in rows if row[0] and row[column] is not None]
    dishonest = [row[column] for row in rows if not row[0] and row[column] is not None]
    wins = sum((h > d) + 0.5 * (h == d) for h in honest for d in dishonest)
    return wins / (len(honest) * len(dishonest))


MODEL, AVERAGE_STARS, PLAIN_BETA, KIND_BETA = 1, 2, 3, 4  # columns of figures["ranking"][month]


@pytest.mark.django_db
def test_simulation_small_run_meets_the_ranking_ring_and_recovery_targets(small_run):
    """The targets of issues 8 and 18 (docs/credit-model.md, "Targets"), checked on figures this test computes
    from the per-actor scores (AUC pair by pair), never on the ``met`` flags bench/credit_sim computes (the
    code under test). SMALL (seed 7) ranks drifting actors by their type at the moment and sends 5% of bookings
    through the real services; the held-out figures, over five seeds, are in docs/credit-model.md section 3."""
    figures = small_run["figures"]
    rows = figures["ranking"]["3"]
    assert sum(1 for row in rows if not row[0]) >= 12  # enough dishonest actors for the AUC to mean something
    auc_3 = _auc(rows, MODEL)
    # Target "AUC at 3 months >= 0.95, above the mean of stars and the plain beta".
    assert auc_3 >= 0.95
    assert auc_3 > _auc(rows, AVERAGE_STARS)
    assert auc_3 > _auc(rows, PLAIN_BETA)
    # Target "above the kind-weighted beta" (issue 18.9) is MISSED on this branch (docs/credit-model.md: the
    # held-out evaluation); this bounds how far behind the model may fall until the model is simplified.
    assert auc_3 >= _auc(rows, KIND_BETA) - 0.02
    # The simulator's own table says the same as the pairs counted here.
    assert figures["auc"]["model"]["all"]["3"] == pytest.approx(auc_3, abs=1e-4)
    # Target "a rating ring gains < 20 points".
    assert figures["ring"]["max"]["model"] < 20
    # Target "a reformed user is back to good within 6 months (median)"; none of them never recovers.
    recovery = figures["recovery_months"]["model"]
    assert recovery["n"] >= 3
    assert recovery["median"] <= 6
    # The flags the simulator reports agree with the figures (a report that says "met" while missing fails).
    targets = small_run["targets"]
    assert targets["auc_3_months"]["value"] == figures["auc"]["model"]["all"]["3"]
    for name in ("ring_gain", "reformed_good_within_6_months"):
        assert targets[name]["met"], targets[name]
    assert targets["above_kind_weighted_beta"]["met"] is (
        auc_3 > _auc(rows, KIND_BETA)
        and all(_auc(figures["ranking"][m], MODEL) > _auc(figures["ranking"][m], KIND_BETA) for m in figures["ranking"])
    )


@pytest.mark.django_db
def test_simulation_small_run_drives_bookings_through_the_real_services(small_run):
    """Issue 18.9: a sample of bookings goes through the booking services, whose facts join the ledger."""
    real = small_run["figures"]["real_services"]
    assert real["bookings"] >= 0.02 * small_run["counts"]["bookings"]
    facts = real["facts_recorded"]
    assert facts["booking_fulfilled"] > 20
    assert facts["review_received"] > 20
    assert facts.get("no_show", 0) + facts.get("late_cancellation", 0) > 0


@pytest.mark.django_db
def test_simulation_small_run_false_proposals_stay_within_the_small_run_bound(small_run):
    """Target "< 1 false black-list proposal per 1,000 honest actors": missed even at full size (1.64, all
    by the three-violations rule: docs/credit-model.md). A small run has ~107 honest actors, so one false
    proposal is already 9.35 per 1,000 (what seed 7 measures); more than one fails."""
    false = small_run["figures"]["false_blacklist_per_1000_honest"]
    assert false["honest_actors"] >= 100
    assert round(false["model"] * false["honest_actors"] / 1000) <= 1  # at most one honest actor proposed
    assert "violations" not in false["model_by_rule"], false  # the rate-based rule proposes none (2026.12-4)
    assert false["model"] <= 10
    assert false["model"] < false["average_stars"] / 2  # the average-stars baseline proposes 46.7 per 1,000


@pytest.mark.django_db
def test_simulation_small_run_catches_careless_and_malicious_users_within_a_few_bad_events(small_run):
    events = small_run["figures"]["events_until_blacklist"]
    # Since 2026.12-4 the violations rule warns first (issue 18.8): a warning at the second violation, a proposal
    # at the third after the warning's notice at a high rate (the fourth before the item-8 re-tuning). Since
    # 2026.12-7 the probe also evaluates the night the notice ends, as production does, so a third violation
    # inside the notice counts at three. Damage (not a violation) and a low rate still delay some careless users,
    # and in this short run (8 months) some have too few violations (the seed-7 run: median 4, 1 of 9 never).
    careless = events["careless users"]["candidate"]
    assert careless["never"] <= careless["n"] // 3, events
    assert careless["median"] <= 4, careless
    assert events["malicious users"]["candidate"]["median"] <= 3


@pytest.mark.django_db
def test_simulation_small_run_proposes_no_honest_actor_for_its_score(small_run):
    # Honest actors were proposed by the old three-violations rule or an honest user's rare serious damage, which
    # since issue 18.8 item 8 warns first (and its 549 cap no longer proposes by the score floor); never for a
    # low score.
    false = small_run["figures"]["false_blacklist_per_1000_honest"]
    assert "score_floor" not in false["model_by_rule"]
    assert false["model"] < false["average_stars"]


@pytest.mark.django_db
def test_simulation_small_run_beats_both_baselines_at_1_and_3_months(small_run):
    table = small_run["figures"]["auc"]
    for month in ("1", "3"):
        model = table["model"]["all"][month]
        assert model >= table["average_stars"]["all"][month]
        assert model >= table["plain_beta"]["all"][month]


@pytest.mark.django_db
def test_simulation_small_run_attacks_gain_nothing(small_run):
    figures = small_run["figures"]
    assert figures["ring"]["max"]["model"] < 20
    assert figures["ring"]["max"]["plain_beta"] > 100  # the attack works on the plain baseline
    attacks = figures["attacks"]
    # The same facts at other times, or spread over many providers, are judged the same, up to the warning's
    # notice period (issue 18.8): whether the next bad event falls 14 days after the warning depends on the
    # timing, so the attacker may at most be proposed one bad event later than its twin (never: 99).
    for role in ("gamer", "spreader"):
        pairs = zip(attacks[role]["events_until_candidate"], attacks[role]["twin_events_until_candidate"], strict=True)
        assert all((attacker or 99) <= (twin or 99) + 1 for attacker, twin in pairs), (
            attacks[role]["events_until_candidate"],
            attacks[role]["twin_events_until_candidate"],
        )
    # One-star reviews from a provider below the "good" tier weigh nothing: its victims lose nothing.
    retaliation = attacks["retaliation"]
    assert retaliation["victims_mean_score"] >= retaliation["others_mean_score"] - 5


@pytest.mark.django_db
def test_simulation_leaves_the_database_as_it_was(small_run):
    assert small_run["counts"]["ledger_events"] > 1000
    assert not CreditEvent.objects.filter(occurred_at__gte=SIM_START).exists()
    assert not CreditScore.objects.filter(as_of__gte=SIM_START).exists()


@pytest.mark.django_db
def test_ledger_row_matches_credit_event_record():
    user, unit, reviewer = UserFactory(), UnitFactory(), UserFactory()
    CreditScore.objects.create(
        subject_user=reviewer, subject_key=f"user:{reviewer.pk}", score=812, tier="excellent", record=1,
        fulfilment=1, external=1, identity=1, relationships=0, model_version="x", run_id="0" * 32,
        as_of=SIM_START - timedelta(days=1),
    )  # fmt: skip
    # The simulator does not model thin files: the reviewer has the minimum history, as its actors do.
    for n in range(params.MIN_KEPT_BOOKINGS):
        credit_event_record(
            subject=reviewer, kind=K.BOOKING_FULFILLED, source="booking", source_ref=f"booking:kept-{n}",
            occurred_at=SIM_START - timedelta(days=10 + n), counterparty=UnitFactory() if n else unit,
        )  # fmt: skip
    moment = SIM_START - timedelta(days=3)
    cases = [
        ({"subject": user, "kind": K.NO_SHOW, "source": "booking", "source_ref": "booking:1"}, {}, unit),
        ({"subject": unit, "kind": K.REVIEW_RECEIVED, "source": "review", "source_ref": "review:1", "value": 4},
         {"reviewer_score": 812}, reviewer),
        ({"subject": user, "kind": K.DAMAGE_CONFIRMED, "source": "incident", "source_ref": "incident:1",
          "severity": "general"}, {}, unit),
    ]  # fmt: skip
    for kwargs, extra, counterparty in cases:
        recorded = credit_event_record(occurred_at=moment, counterparty=counterparty, **kwargs)
        key = f"{'unit' if counterparty is unit else 'user'}:{counterparty.pk}"
        built = ledger_row(occurred_at=moment, counterparty_key=key, **kwargs, **extra)
        assert {f: getattr(built, f) for f in FIELDS} == {f: getattr(recorded, f) for f in FIELDS}
        assert built.occurred_at == recorded.occurred_at
    assert recorded.weight == Decimal(1)


def test_review_weight_gives_uncredible_authors_no_weight():
    assert params.review_weight(params.REVIEW_CREDIBLE_FROM - 1) == 0
    assert params.review_weight(params.REVIEW_CREDIBLE_FROM) == params.REVIEW_WEIGHT_RANGE[0]
    assert params.review_weight(params.SCORE_MAX) == params.REVIEW_WEIGHT_RANGE[1]
    assert params.review_weight(None) == 1
    # A thin file (issue 18.4) counts for part of what its score gives.
    assert params.review_weight(None, thin_file=True) == params.REVIEW_WEIGHT_THIN_FILE_FACTOR
    assert params.review_weight(params.SCORE_MAX, thin_file=True) < params.REVIEW_WEIGHT_RANGE[1]
    assert params.review_weight(params.REVIEW_CREDIBLE_FROM - 1, thin_file=True) == 0


def test_auc_counts_ties_as_half():
    assert auc([3, 4], [1, 2]) == 1
    assert auc([1], [1]) == 0.5
    assert auc([1, 3], [2]) == 0.5
    assert auc([], [1]) is None


@pytest.mark.django_db
def test_simulate_credit_command_is_deterministic_for_a_seed(tmp_path):
    outputs = []
    sink = io.StringIO()
    for n in range(2):
        path = tmp_path / f"run{n}.json"
        call_command(
            "simulate_credit", "--seed", "3", "--users", "50", "--providers", "10", "--months", "2",
            "--recompute-days", "30", "--json", str(path), "--charts", str(tmp_path), stdout=sink,
        )  # fmt: skip
        outputs.append(path.read_text())
    first, second = ({k: v for k, v in json.loads(o).items() if k != "timings_seconds"} for o in outputs)
    assert first == second
    assert (tmp_path / "credit-sim-users.svg").read_text().startswith("<svg")


@pytest.mark.django_db
def test_simulation_small_run_settles_statements_and_late_payers_rank_lower(small_run):
    payments = small_run["figures"]["payments"]
    settled = payments["statements"]
    assert settled["on_time"] > settled["late"] > 0
    # Units that pay late (slow or defaulting payers) score below prompt ones more often than not.
    assert payments["auc_prompt_vs_late"][str(SMALL.months)] > 0.5


@pytest.mark.django_db
def test_production_attacks_replay_through_the_real_services():
    """bench/credit_sim/attacks.py (issue 18): every attack of the issue's table runs through the services and
    reports its result. Every defence holds: each attack gains less than 20 points or is refused (contestable
    facts, a person behind the account, severities in dispute decisions, no self-dealing, fair refusals)."""
    results = run_attacks()
    assert len(results) == 7
    for name, row in results.items():
        assert row["result"], name
        assert isinstance(row["met"], bool), name
    by_function = dict(zip(ATTACKS.values(), results.values(), strict=True))
    assert by_function[internal_self_dealing]["met"]
    assert by_function[internal_self_dealing]["gain"] < 20
    assert by_function[maintenance_toggling]["result"].startswith("refusal recorded as refusal_unjustified")
    assert by_function[refusal_of_damaged_user]["result"] == "refusal recorded as refusal_justified"
    assert all(row["met"] for row in results.values()), results
    assert all(row["gain"] is None or row["gain"] < 20 for row in results.values()), results
    assert by_function[fresh_account_after_black_list]["result"].startswith("new account refused")
    assert "0 overruns on the ledger" in by_function[understated_hours]["result"]
    assert "upheld at minor" in by_function[serious_incident_upheld]["result"]
    assert not CreditEvent.objects.filter(source_ref__startswith="history-").exists()  # rolled back
