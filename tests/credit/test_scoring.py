"""The credit model as pure functions: range, monotonicity, decay, caps, trust propagation."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import params
from credit.models import CreditEvent
from credit.scoring.model import Bucket, ExternalFact, IdentityFacts, SubjectInputs, score_subject
from credit.scoring.reasons import reasons_with_text
from credit.scoring.trust import propagate_trust

TODAY = date(2026, 11, 23)
K = CreditEvent.Kind
POSITIVE = sorted(params.POSITIVE_KINDS)
NEGATIVE = sorted(params.NEGATIVE_KINDS)

buckets_strategy = st.lists(
    st.builds(
        Bucket,
        kind=st.sampled_from(sorted(POSITIVE + NEGATIVE)),
        polarity=st.just(0),
        severity=st.sampled_from(["", "minor", "general", "serious"]),
        day=st.integers(min_value=0, max_value=1500).map(lambda n: TODAY - timedelta(days=n)),
        weight=st.floats(min_value=0, max_value=20),
        count=st.integers(min_value=1, max_value=5),
    ).map(lambda b: Bucket(b.kind, params.default_polarity(b.kind), b.severity, b.day, b.weight, b.count)),
    max_size=25,
)
inputs_strategy = st.builds(
    SubjectInputs,
    subject_key=st.sampled_from(["user:1", "unit:1"]),
    buckets=buckets_strategy.map(tuple),
    identity=st.builds(
        IdentityFacts,
        unit_status=st.sampled_from(["verified", "pending", "suspended"]),
        accreditations=st.integers(0, 5),
        has_email=st.booleans(),
        verified_member=st.booleans(),
        verified_person=st.booleans(),
        seniority_days=st.integers(0, 2000),
    ),
    external=st.lists(
        st.builds(
            ExternalFact,
            source=st.sampled_from(["A", "B"]),
            normalised=st.floats(0, 1),
            reported_on=st.integers(0, 800).map(lambda n: TODAY - timedelta(days=n)),
        ),
        max_size=3,
    ).map(tuple),
    relationships=st.floats(0, 1),
)
new_event = st.builds(
    lambda kind, days, weight, severity: Bucket(
        kind, params.default_polarity(kind), severity, TODAY - timedelta(days=days), weight, 1
    ),
    kind=st.sampled_from(POSITIVE + NEGATIVE),
    days=st.integers(0, 1500),
    weight=st.floats(min_value=0.01, max_value=20),
    severity=st.sampled_from(["", "minor", "general", "serious"]),
)


def _with(inputs, bucket):
    return SubjectInputs(
        subject_key=inputs.subject_key,
        buckets=(*inputs.buckets, bucket),
        identity=inputs.identity,
        external=inputs.external,
        relationships=inputs.relationships,
    )


@settings(max_examples=300, deadline=None)
@given(inputs_strategy)
def test_score_subject_stays_in_range(inputs):
    result = score_subject(inputs, TODAY)
    assert params.SCORE_MIN <= result.score <= params.SCORE_MAX
    assert all(0 <= value <= 1 for value in result.dimensions.values())
    assert result.tier == params.tier_for(result.score)


@settings(max_examples=300, deadline=None)
@given(inputs_strategy, new_event)
def test_score_subject_positive_event_never_lowers_negative_never_raises(inputs, bucket):
    before = score_subject(inputs, TODAY, explain=False).score
    after = score_subject(_with(inputs, bucket), TODAY, explain=False).score
    if bucket.polarity > 0:
        assert after >= before
    else:
        assert after <= before


def test_score_subject_new_user_is_neutral_fair():
    result = score_subject(SubjectInputs(subject_key="user:1", identity=IdentityFacts(has_email=True)), TODAY)
    assert result.tier == "fair"
    assert result.dimensions["record"] == result.dimensions["fulfilment"] == Decimal("0.5000")


def test_score_subject_old_sins_fade():
    recent = Bucket(K.NO_SHOW, -1, "", TODAY - timedelta(days=5), 1.0, 1)
    old = Bucket(K.NO_SHOW, -1, "", TODAY - timedelta(days=720), 1.0, 1)
    recent_score = score_subject(SubjectInputs("user:1", buckets=(recent,)), TODAY).score
    old_score = score_subject(SubjectInputs("user:1", buckets=(old,)), TODAY).score
    assert recent_score < old_score


def test_score_subject_serious_damage_caps_until_repair():
    good = tuple(Bucket(K.BOOKING_FULFILLED, 1, "", TODAY - timedelta(days=d), 1.0, 1) for d in range(1, 60))
    damage = Bucket(K.DAMAGE_CONFIRMED, -1, "serious", TODAY - timedelta(days=10), 1.0, 1)
    identity = IdentityFacts(has_email=True, verified_member=True, seniority_days=400)
    capped = score_subject(SubjectInputs("user:1", buckets=(*good, damage), identity=identity), TODAY)
    assert capped.score <= params.CAPS["serious"][1]
    assert capped.reasons[0]["code"] == "cap"
    repaired = Bucket(K.REPAIR_GRANTED, 1, "", TODAY - timedelta(days=2), 1.0, 1)
    lifted = score_subject(SubjectInputs("user:1", buckets=(*good, damage, repaired), identity=identity), TODAY)
    assert lifted.score > capped.score
    assert lifted.cap is None


def test_score_subject_reasons_say_what_happened():
    no_shows = tuple(Bucket(K.NO_SHOW, -1, "", TODAY - timedelta(days=d), 1.0, 1) for d in (3, 40))
    result = score_subject(SubjectInputs("user:1", buckets=no_shows), TODAY)
    texts = [reason["code"] for reason in result.reasons]
    assert "events" in texts
    assert "2 no-shows in the last 90 days" in [r["text"] for r in reasons_with_text(result.reasons)]


def test_propagate_trust_ring_of_unverified_accounts_gets_nothing():
    verified = [1, 2, 3]
    ring = [10, 11, 12, 13]
    edges = [(1, 2), (2, 3)] + [(a, b) for a in ring for b in ring if a != b]
    scores = propagate_trust(verified + ring, set(verified), edges)
    assert all(scores[node] == 0 for node in ring)
    assert scores[3] > 0


def test_propagate_trust_is_capped_and_bounded():
    nodes = list(range(1, 30))
    edges = [(a, 1) for a in nodes if a != 1] + [(1, a) for a in nodes if a != 1]
    scores = propagate_trust(nodes, set(nodes), edges)
    assert max(scores.values()) <= params.TRUST_CAP


def test_propagate_trust_without_edges_is_zero():
    assert propagate_trust([1, 2], {1}, []) == {1: 0.0, 2: 0.0}


def test_a_units_first_payment_on_time_never_lowers_its_score():
    """The optional payment component starts from the other components' mean (2026.12-5): it used to start at
    0.5, so a well-answering unit's first light payment on time pulled its fulfilment down (found by the
    property above)."""
    answered = tuple(Bucket(K.APPROVED_ON_TIME, 1, "", TODAY - timedelta(days=d), 1.0, 1) for d in range(1, 30))
    inputs = SubjectInputs("unit:1", buckets=answered)
    payment = Bucket(K.PAYMENT_ON_TIME, 1, "", TODAY - timedelta(days=1), 0.2, 1)
    late = Bucket(K.PAYMENT_LATE, -1, "", TODAY - timedelta(days=1), 0.2, 1)
    before = score_subject(inputs, TODAY, explain=False)
    after = score_subject(_with(inputs, payment), TODAY, explain=False)
    after_late = score_subject(_with(inputs, late), TODAY, explain=False)
    assert after.dimensions["fulfilment"] >= before.dimensions["fulfilment"]
    assert after.score >= before.score
    assert after_late.dimensions["fulfilment"] < before.dimensions["fulfilment"]


def test_fulfilment_counts_each_fact_once_whatever_component_it_falls_in():
    """2026.12-6 (issue 18.9, bench/credit_sim/ablation.py): fulfilment is one beta over its kinds. It was the mean
    of per-component betas, so broken weight in a thin component (late check-ins, the punctuality component)
    weighed far more than the same weight in a thick one (a no-show against many kept bookings), and a kept
    booking counted twice (attendance and care). The ablation found that this mean ranked honest and dishonest
    actors worse than one beta: an occasionally late but reliable user ranked below one who missed a booking."""
    day = TODAY - timedelta(days=3)
    kept = tuple(Bucket(K.BOOKING_FULFILLED, 1, "", day - timedelta(days=d), 1.0, 1) for d in range(10))
    late = tuple(Bucket(K.LATE_CHECK_IN, -1, "", day, 1.0, 1) for _ in range(6))  # 6 x 0.5 of broken weight
    no_show = (Bucket(K.NO_SHOW, -1, "", day, 1.0, 1),)  # 1 x 3 of broken weight
    assert sum(params.KIND_MULTIPLIERS[K.LATE_CHECK_IN] for _ in late) == params.KIND_MULTIPLIERS[K.NO_SHOW]
    identity = IdentityFacts(has_email=True, verified_member=True)
    often_late = score_subject(SubjectInputs("user:1", buckets=kept + late, identity=identity), TODAY, explain=False)
    missed = score_subject(SubjectInputs("user:1", buckets=kept + no_show, identity=identity), TODAY, explain=False)
    # The same kept and broken weight, the same day: the same fulfilment and the same score, whichever kinds.
    assert often_late.dimensions["fulfilment"] == missed.dimensions["fulfilment"]
    assert often_late.dimensions["record"] == missed.dimensions["record"]
    assert often_late.score == missed.score


def test_caps_lapse_where_they_only_cost_ranking_and_relationships_weigh_nothing():
    """2026.12-7 (issue 18.9, the ablation on the tuning seeds): a general cap lasts 60 days (180 before), a minor cap
    holds the score at 799, the top of "good" (749 before), and relationships weigh 0 (0.02 before). Each of these
    fails on 2026.12-6; the serious cap is unchanged."""
    assert params.MODEL_VERSION == "2026.12-7"
    kept = tuple(Bucket(K.BOOKING_FULFILLED, 1, "", TODAY - timedelta(days=d), 1.0, 1) for d in range(1, 120, 3))
    identity = IdentityFacts(has_email=True, verified_member=True, seniority_days=400)

    def score(*buckets, relationships=0.0):
        inputs = SubjectInputs("user:1", buckets=kept + buckets, identity=identity, relationships=relationships)
        return score_subject(inputs, TODAY, explain=False)

    clean = score()
    assert clean.score > 800
    # A minor damage a week ago: not "excellent" for 90 days, but "good" at its top (749 on 2026.12-6).
    minor = score(Bucket(K.DAMAGE_CONFIRMED, -1, "minor", TODAY - timedelta(days=7), 1.0, 1))
    assert (minor.score, minor.cap, minor.tier) == (799, 799, "good")
    # A general damage 61 days ago no longer caps (649 until day 180 on 2026.12-6); 59 days ago it does.
    lapsed = score(Bucket(K.DAMAGE_CONFIRMED, -1, "general", TODAY - timedelta(days=61), 1.0, 1))
    assert lapsed.cap is None
    assert lapsed.score > 649
    running = score(Bucket(K.DAMAGE_CONFIRMED, -1, "general", TODAY - timedelta(days=59), 1.0, 1))
    assert (running.score, running.tier) == (649, "fair")
    # A serious one still holds the score under the 550 floor for a year.
    serious = score(Bucket(K.DAMAGE_CONFIRMED, -1, "serious", TODAY - timedelta(days=300), 1.0, 1))
    assert serious.score == 549
    # Trust received through endorsements is still computed and shown, and moves no score.
    trusted = score(relationships=1.0)
    assert trusted.dimensions["relationships"] == Decimal("1.0000")
    assert trusted.score == clean.score
