"""Versioned parameters of the credit model: the one place to tune it.

Change any number here and bump MODEL_VERSION: every snapshot records the version that made it,
so a score can always be explained with the parameters of its time.
"""

import os
from datetime import timedelta

from instruments.models import CreditTier

from .models import CreditEvent

K = CreditEvent.Kind

# -1: payment facts count in units' fulfilment; -2: a person verified by their institution counts in identity;
# -3: a reviewer with a thin file (below the minimum history) counts for half (issue 18.4)
# -4: a violations rule for providers, rate-based with a warning first (issue 18.6, 18.8)
# -5: what one counterparty adds to a subject is capped (COUNTERPARTY_CAP_*, issue 18.3)
# -5 also: an optional fulfilment component (a unit's payments) starts from the other components' mean, so a
# first payment on time never lowers a score (it did, from 0.5)
# -6 (issue 18.9, an ablation on the tuning seed, bench/credit_sim/ablation.py): fulfilment is one beta over its
# kinds instead of the mean of per-component betas; the record weighs more and identity and relationships less
# (they only added noise to the ranking); decay, caps and the beta's prior are unchanged (docs/credit-model.md)
# -7 (issue 18.9, the ablation on the tuning seeds 1, 3 and 5): the caps lapse sooner where they only cost ranking -
# a general cap (649) lasts 60 days instead of 180, a minor cap is 799 (the top of "good": still no "excellent",
# no automatic approval, for 90 days) instead of 749 - and relationships weigh 0 (their 0.02 goes back to identity);
# the serious cap (549 for a year) is unchanged
MODEL_VERSION = "2026.12-7"

POSITIVE_KINDS = {
    K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.PAYMENT_ON_TIME, K.APPROVED_ON_TIME, K.REFUSAL_JUSTIFIED,
    K.SERVICE_DELIVERED, K.REVIEW_GIVEN, K.DISPUTE_WON, K.ENDORSEMENT_RECEIVED, K.APPEAL_UPHELD, K.REPAIR_GRANTED,
}  # fmt: skip
NEGATIVE_KINDS = {
    K.LATE_CHECK_IN, K.NO_SHOW, K.LATE_CANCELLATION, K.USAGE_OVERRUN, K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED,
    K.FRAUD_CONFIRMED, K.PAYMENT_LATE, K.RESPONSE_LATE, K.REFUSAL_UNJUSTIFIED, K.PROVIDER_CANCELLATION,
    K.INSTRUMENT_FAULT, K.DATA_DELIVERED_LATE, K.BREACH_CONFIRMED, K.DISPUTE_LOST,
}  # fmt: skip


def default_polarity(kind: str) -> int:
    """+1 for kept commitments, -1 for broken ones, 0 where the value carries the meaning (reviews, reports)."""
    if kind in POSITIVE_KINDS:
        return 1
    if kind in NEGATIVE_KINDS:
        return -1
    return 0


# --- Total --------------------------------------------------------------------------------------
SCORE_MIN = 350
SCORE_MAX = 950
SCORE_SPAN = 600  # score = SCORE_MIN + SCORE_SPAN x weighted sum of the dimensions, clamped
# 2026.12-7: identity 0.13 -> 0.15, relationships 0.02 -> 0 (within noise on every horizon of the tuning seeds: a
# dimension that does not earn its place; it is still computed and shown, and a ring of verified units gains nothing).
# 2026.12-6: record 0.35 -> 0.55, fulfilment 0.25 -> 0.10, identity 0.15 -> 0.13, relationships 0.05 -> 0.02. The
# external record (0.5 without reports) and identity keep a third of the scale from moving with the record, so one
# bad first booking does not put a newcomer under the black-list floor (a verified member with one no-show: 550).
DIMENSION_WEIGHTS = {
    "record": 0.55,
    "fulfilment": 0.10,
    "external": 0.20,
    "identity": 0.15,
    "relationships": 0.0,
}
DIMENSIONS = tuple(DIMENSION_WEIGHTS)

# --- Credit record: beta reputation (r + 1) / (r + s + 2) over time-decayed weights -------------
HALF_LIFE_DAYS = 180
# The beta's prior: BETA_PRIOR_WEIGHT pseudo-facts, half kept and half broken, so a subject without facts is at
# 0.5 and record = (r + a/2) / (r + s + a) (the same for fulfilment). Up to 2026.12-5: 2 (Laplace).
BETA_PRIOR_WEIGHT = 2.0
# How much one event of a kind counts (times its own weight); unlisted kinds count 1.
# 2026.11-3 (tuned on the simulator, docs/credit-model.md): no-shows, late cancellations and overruns
# weigh more, a late check-in less (honest "occasionally late" users were ranked with the careless),
# and writing a review earns nothing (a ring of fresh accounts reviewing each other raised its own record).
KIND_MULTIPLIERS: dict[str, float] = {
    K.NO_SHOW: 3.0,
    K.LATE_CANCELLATION: 1.5,
    K.USAGE_OVERRUN: 1.5,
    K.LATE_CHECK_IN: 0.5,
    K.DAMAGE_CONFIRMED: 5.0,
    K.MISUSE_CONFIRMED: 3.0,
    K.FRAUD_CONFIRMED: 8.0,
    K.BREACH_CONFIRMED: 5.0,
    K.DISPUTE_LOST: 2.0,
    K.PROVIDER_CANCELLATION: 2.0,
    K.REFUSAL_UNJUSTIFIED: 1.5,
    K.APPEAL_UPHELD: 2.0,
    K.REPAIR_GRANTED: 2.0,
    K.PUNCTUAL_CHECK_IN: 0.5,
    K.REVIEW_GIVEN: 0.0,
    # Endorsements count in the relationships dimension (trust-weighted), never as kept commitments:
    # otherwise a ring of accounts could raise its own record by endorsing itself.
    K.ENDORSEMENT_RECEIVED: 0.0,
}
# Reviews carry 1-5 stars in `value` (weighted by the reviewer's credibility in `weight`):
# (stars - 1) / 4 of the weight counts as kept, the rest as broken.
REVIEW_KINDS = {K.REVIEW_RECEIVED}
REVIEW_STARS_MIN = 1
REVIEW_STARS_MAX = 5
# A review counts as much as its author is credible: an author scored below REVIEW_CREDIBLE_FROM (the
# "good" tier) counts nothing - fresh accounts cannot praise each other up - and from there their score
# maps linearly onto REVIEW_WEIGHT_RANGE. An author never scored (no snapshot yet) counts 1.
REVIEW_WEIGHT_RANGE = (1.0, 1.5)
REVIEW_CREDIBLE_FROM = 700
REVIEW_WEIGHT_UNCREDIBLE = 0.0
# 2026.12-3 (issue 18.4): a person reviewer without the minimum history below (a thin file) counts this share of
# the weight their score gives: a fresh account, scored or not, cannot weigh like an established one.
REVIEW_WEIGHT_THIN_FILE_FACTOR = 0.5


def review_weight(reviewer_score: int | None, *, thin_file: bool = False) -> float:
    factor = REVIEW_WEIGHT_THIN_FILE_FACTOR if thin_file else 1.0
    if reviewer_score is None:
        return round(1.0 * factor, 4)
    if reviewer_score < REVIEW_CREDIBLE_FROM:
        return REVIEW_WEIGHT_UNCREDIBLE
    low, high = REVIEW_WEIGHT_RANGE
    share = (reviewer_score - REVIEW_CREDIBLE_FROM) / (SCORE_MAX - REVIEW_CREDIBLE_FROM)
    return round((low + (high - low) * min(max(share, 0.0), 1.0)) * factor, 4)


# --- What one counterparty can add (issue 18.3, no self-dealing) ---------------------------------
# A positive fact about a subject from a counterparty (the other side of the booking, the reviewer, the
# endorser) that already gave this subject COUNTERPARTY_CAP_FACTS facts of the same kind, with weight, within
# COUNTERPARTY_CAP_WINDOW_DAYS before it, is recorded with weight 0 and `counterparty_cap: true` in its details
# (credit.services.ledger): two units that book each other over and over, five stars both ways, add at most
# this much to each other's record a year. Negative facts are never capped (a fault stays a fault); nor are
# payments (money changed hands) nor admin decisions. Reviews count as positive from REVIEW_POSITIVE_STARS.
COUNTERPARTY_CAP_FACTS = 5
COUNTERPARTY_CAP_WINDOW_DAYS = 365
COUNTERPARTY_CAP_KINDS = {
    K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.APPROVED_ON_TIME, K.REFUSAL_JUSTIFIED, K.SERVICE_DELIVERED,
    K.REVIEW_RECEIVED, K.REVIEW_GIVEN, K.ENDORSEMENT_RECEIVED,
}  # fmt: skip
REVIEW_POSITIVE_STARS = 4

# --- Fulfilment capability: one beta rate over the kinds that measure it ---------------------------
# (component, kinds that count for it, kinds that count against it). Since 2026.12-6 the components only say
# which kinds count: fulfilment is one beta over their union, each fact once (model.fulfilment_score); the mean
# of per-component rates it replaced ranked honest and dishonest actors worse (docs/credit-model.md, section 3).
FULFILMENT_COMPONENTS = {
    "user": (
        ("punctuality", {K.PUNCTUAL_CHECK_IN}, {K.LATE_CHECK_IN}),
        ("attendance", {K.BOOKING_FULFILLED}, {K.NO_SHOW, K.LATE_CANCELLATION}),
        ("care", {K.BOOKING_FULFILLED}, {K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED, K.USAGE_OVERRUN}),
        ("payment", {K.PAYMENT_ON_TIME}, {K.PAYMENT_LATE}),
    ),
    "unit": (
        ("acceptance", {K.APPROVED_ON_TIME, K.REFUSAL_JUSTIFIED}, {K.REFUSAL_UNJUSTIFIED}),
        ("response", {K.APPROVED_ON_TIME}, {K.RESPONSE_LATE}),
        ("on_time_service", {K.SERVICE_DELIVERED}, {K.PROVIDER_CANCELLATION, K.DATA_DELIVERED_LATE}),
        ("uptime", {K.SERVICE_DELIVERED}, {K.INSTRUMENT_FAULT}),
        # 2026.12-1 (billing): a unit that pays for services settles statements on time or late.
        ("payment", {K.PAYMENT_ON_TIME}, {K.PAYMENT_LATE}),
    ),
}


def fulfilment_kinds(subject_type: str) -> tuple[frozenset[str], frozenset[str]]:
    """(kinds that count for fulfilment, kinds that count against it): the union over the components."""
    components = FULFILMENT_COMPONENTS[subject_type]
    good = frozenset().union(*(kinds for _name, kinds, _bad in components))
    bad = frozenset().union(*(kinds for _name, _good, kinds in components))
    return good, bad


# --- Identity and qualifications ----------------------------------------------------------------
IDENTITY_UNIT_STATUS = {"verified": 0.7, "pending": 0.2, "rejected": 0.0, "suspended": 0.0}
IDENTITY_PER_ACCREDITATION = 0.1
IDENTITY_ACCREDITATIONS_MAX = 0.3
IDENTITY_USER_BASE = 0.2
IDENTITY_USER_EMAIL = 0.1
IDENTITY_USER_VERIFIED_UNIT = 0.5  # a member of a verified unit, or verified by their institution's sign-on
IDENTITY_USER_SENIORITY = 0.2
IDENTITY_USER_SENIORITY_DAYS = 180

# --- External record ----------------------------------------------------------------------------
EXTERNAL_NEUTRAL = 0.5  # what a subject without reports gets, and the prior every report is blended with
EXTERNAL_PRIOR_WEIGHT = 0.5
EXTERNAL_HALF_LIFE_DAYS = 365
EXTERNAL_SOURCE_WEIGHTS: dict[str, float] = {}  # per source name; unlisted sources weigh 1

# --- Relationships: personalised PageRank from verified units over endorsements ------------------
TRUST_DAMPING = 0.85
TRUST_ITERATIONS = 100
TRUST_TOLERANCE = 1e-12
# Relationship score = min(TRUST_CAP, trust received through endorsements / (TRUST_REFERENCE x the
# teleport share of one pre-trusted unit)). Only pre-trusted (verified) units seed trust, so a ring of
# unverified accounts receives none, however densely it endorses itself; the cap bounds any ring.
TRUST_REFERENCE = 2.0
TRUST_CAP = 1.0
TRUST_USER_FACTOR = 0.8  # a person inherits this share of their best unit's relationship score

# --- Caps after severe confirmed events --------------------------------------------------------
SEVERE_KINDS = {K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED, K.FRAUD_CONFIRMED, K.BREACH_CONFIRMED}
SEVERE_DEFAULT_SEVERITY: dict[str, str] = {
    K.DAMAGE_CONFIRMED: "general",
    K.MISUSE_CONFIRMED: "minor",
    K.FRAUD_CONFIRMED: "serious",
    K.BREACH_CONFIRMED: "general",
}
# severity -> (days the cap lasts, highest score allowed meanwhile). Each ceiling is the top of a tier, so a cap is a
# consequence: serious 549 "bad" (under the 550 floor) for a year, general 649 "fair" (a deposit) for 60 days, minor
# 799 "good" (not "excellent": no automatic approval) for 90 days. 2026.12-7 (ablation, tuning seeds 1, 3, 5): general
# 180 -> 60 days and minor 749 -> 799: a longer general cap or a lower minor one held honest users with one accident
# under dishonest ones at 12 months (AUC -0.007 against the kind-weighted beta) and earned nothing at 1 or 3 months.
CAPS = {"serious": (365, 549), "general": (60, 649), "minor": (90, 799)}
# A granted repair or an upheld objection after the event lifts its cap.
CAP_LIFTING_KINDS = {K.REPAIR_GRANTED, K.APPEAL_UPHELD}

# --- Tiers and what they allow -----------------------------------------------------------------
TIERS = (
    (CreditTier.EXCELLENT, 800),
    (CreditTier.GOOD, 700),
    (CreditTier.FAIR, 600),
    (CreditTier.POOR, 550),
    (CreditTier.BAD, SCORE_MIN),
)
DEPOSIT_WAIVED_TIERS = {"excellent", "good"}
AUTO_APPROVAL_TIERS = {"excellent"}
# A thin file is not "good" (issue 18.4): a deposit waiver, automatic approval and a full review weight
# need, besides the tier, a minimum history of kept bookings (BOOKING_FULFILLED facts not reversed) with
# distinct provider units, so a fresh account - for instance one opened after a black-listing - cannot
# earn them with one kept booking. Counted by credit.selectors.credit_histories_of_users.
MIN_KEPT_BOOKINGS = 3
MIN_DISTINCT_PROVIDERS = 2
HISTORY_KINDS = {K.BOOKING_FULFILLED}
HORIZON_FACTORS = {"excellent": 1.5, "good": 1.25, "fair": 1.0, "poor": 0.75, "bad": 0.5}
QUOTA_FACTORS = {"excellent": 1.5, "good": 1.25, "fair": 1.0, "poor": 0.75, "bad": 0.5}


def tier_for(score: int | None) -> str:
    if score is None:
        return ""
    for name, floor in TIERS:
        if score >= floor:
            return name
    return "bad"


# --- Red and black lists -----------------------------------------------------------------------
# Confirmed misuse counts as a violation too (2026.11-3). Damage does not: it is judged by its severity
# (a serious one lists at once; the caps above weigh the others).
BLACK_VIOLATION_KINDS = {K.NO_SHOW, K.LATE_CANCELLATION, K.USAGE_OVERRUN, K.MISUSE_CONFIRMED}
# 2026.12-4 (issue 18.6): providers break commitments too. A unit's violations: unjustified refusals, its own
# cancellations, late answers and confirmed breaches (a serious breach lists at once, below).
PROVIDER_VIOLATION_KINDS = {K.REFUSAL_UNJUSTIFIED, K.PROVIDER_CANCELLATION, K.RESPONSE_LATE, K.BREACH_CONFIRMED}
VIOLATION_KINDS = {"user": BLACK_VIOLATION_KINDS, "unit": PROVIDER_VIOLATION_KINDS}
BLACK_VIOLATION_WINDOW_DAYS = 365
# 2026.12-4 (issue 18.8): the violations rule is rate-based and warns first. Violations are counted against
# the subject's bookings in the window (distinct bookings with a fact of the subject's from the booking source);
# reversed facts never count. After WARNING_MIN_VIOLATIONS violations (and, for units, a rate of at least
# WARNING_MIN_RATE) the subject is warned (a CreditWarning, shown to the person and their unit's admins); a
# black-list proposal needs that warning at least WARNING_NOTICE_DAYS old, a violation after it, and then at
# least BLACK_VIOLATION_COUNT violations at a rate of at least BLACK_VIOLATION_RATE. Tuned on the simulator's
# seeds 1 and 3 (held out: 7, 42, 2026; docs/credit-model.md): an honest user misses about 1 booking in 100, a
# good provider answers about 1 request in 20 late, careless and malicious users break about 1 in 4, refusing
# and breaching providers 1 in 3. Issue 18.8 item 8: a person warned at the second violation is proposed at the
# third after the warning (it was the fourth), so careless people are proposed within about 3 bad events.
# A warning lapses WARNING_LAPSE_DAYS after it was issued (its violations have left the window by then).
BLACK_VIOLATION_COUNT = {"user": 3, "unit": 10}
BLACK_VIOLATION_RATE = {"user": 0.15, "unit": 0.20}
WARNING_MIN_VIOLATIONS = {"user": 2, "unit": 4}
WARNING_MIN_RATE = {"user": 0.0, "unit": 0.15}
WARNING_NOTICE_DAYS = 14
WARNING_LAPSE_DAYS = BLACK_VIOLATION_WINDOW_DAYS
# Issue 18.8 item 8 (list rules only, no score changes): intent decides. A confirmed serious misuse, fraud or
# breach (intentional) proposes at once; a confirmed serious damage (an accident, which even a careful person may
# cause: 2% of honest people's damages in the simulator) caps the score and brings a warning, and proposes only
# when a fault follows that warning (policy.serious_damage_rule_met). A score below the floor only because a cap
# holds it there proposes nothing by the score-floor rule: the capping event's own rule decides.
BLACK_SEVERE_KINDS = {K.MISUSE_CONFIRMED, K.FRAUD_CONFIRMED, K.BREACH_CONFIRMED}
BLACK_ACCIDENT_KINDS = {K.DAMAGE_CONFIRMED}
BLACK_SEVERE_SEVERITY = "serious"  # one confirmed intentional event of this severity is enough
BLACK_SCORE_FLOOR = 550
RED_MIN_SCORE = 800
RED_MIN_FULFILLED = {"user": 10, "unit": 10}
RED_FULFILLED_KINDS = {"user": {K.BOOKING_FULFILLED}, "unit": {K.SERVICE_DELIVERED}}
RED_FULFILLED_WINDOW_DAYS = 365
RED_CLEAN_DAYS = 182
RED_PUBLICATION_DAYS = 365
RED_PUBLICATION_MAX_DAYS = 365
# Rule-based entries that rest on a state, not on events, are not proposed again within this period.
RULE_COOLDOWN_DAYS = 182
# Rule -> severity of the proposed entry.
RULE_SEVERITY = {
    "violations": "general",
    "severe_event": "serious",
    "serious_damage": "serious",
    "score_floor": "general",
}
# Publication bounds by severity, after the national credit-repair measures: (shortest, longest).
SEVERITY_BOUNDS = {
    "minor": (timedelta(0), timedelta(days=91)),
    "general": (timedelta(days=91), timedelta(days=365)),
    "serious": (timedelta(days=365), timedelta(days=3 * 365)),
}
SEVERITY_DEFAULT_PERIOD = {
    "minor": timedelta(days=91),
    "general": timedelta(days=182),
    "serious": timedelta(days=365),
}
# Repair may be requested once the shortest publication period of the severity has passed.
LISTING_AUTHORITY = "Instrument Sharing Platform credit committee"
APPEAL_DECISION_WORKING_DAYS = 5

# --- Trusted provider badge (quarterly) ----------------------------------------------------------
BADGE_MIN_RATING = 4.5  # mean stars received over the window
BADGE_MIN_ON_TIME_RESPONSE = 0.9
BADGE_MAX_CANCELLATION_RATE = 0.01
BADGE_MIN_SERVICES = 10
# 2026.12-4 (issue 18.6): a trusted provider also refuses without a valid reason seldom, has no confirmed breach in
# the window, and holds no open warning nor an open black-list entry.
BADGE_MAX_UNJUSTIFIED_REFUSAL_RATE = 0.15  # the simulator's refusing providers: about 1 request in 5
BADGE_WINDOW_DAYS = 365

# --- Evaluation (issue 18.9) ----------------------------------------------------------------------
# The simulator seeds these parameters were tuned on (bench/credit_sim). The held-out evaluation refuses
# them: its figures (docs/credit-model.md) come from seeds never used to choose a number in this file.
TUNING_SEEDS = (1, 3, 5)  # 3 and 5 since 2026.12-7
HELD_OUT_SEEDS = (7, 42, 2026, 11, 101)

# --- Operational knobs (not model parameters; they do not change any score) ----------------------
RECOMPUTE_BATCH_SIZE = int(os.environ.get("CREDIT_RECOMPUTE_BATCH_SIZE", "2000"))
# Only for the worker-kill test: a pause after each batch so a run can be interrupted mid-way.
RECOMPUTE_BATCH_PAUSE_SECONDS = float(os.environ.get("CREDIT_RECOMPUTE_BATCH_PAUSE_SECONDS", "0"))
# A PostgreSQL advisory lock key (any constant bigint) held by a full run.
RECOMPUTE_ADVISORY_LOCK_KEY = 0x43524544  # "CRED"
