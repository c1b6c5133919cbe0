"""The set-based scoring (credit/scoring/sets.py) against the reference model (credit/scoring/model.py).

A varied ledger - every event kind, both polarities, old and new facts, reviews with stars and zero
weights, reversals, severe events of each severity with and without a later repair or upheld
objection, endorsements, external reports, verified and unverified units and people - is scored both
ways, subject by subject: the same score, tier, cap, each dimension and the same explanations.
Runs on SQLite (decay in Python from day buckets) and on PostgreSQL (decay in SQL).
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import params, recompute, recompute_ahead
from credit.models import CreditEvent, CreditScore, subject_key_for
from credit.recompute import latest_snapshots, recompute_all, recompute_subject, score_keys
from credit.scoring.sets import score_keys_set_based
from credit.scoring.trust import trust_scores
from credit.services import credit_event_reverse
from credit.snapshots import ReasonTexts
from tests.credit.factories import EndorsementFactory, ExternalCreditReportFactory
from tests.factories import MembershipFactory, UnitFactory, UserFactory

K = CreditEvent.Kind
ALL_KINDS = [kind for kind in K.values if kind != K.REVERSAL]
USER_KINDS = [
    K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.LATE_CHECK_IN, K.NO_SHOW, K.LATE_CANCELLATION, K.USAGE_OVERRUN,
    K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED, K.FRAUD_CONFIRMED, K.PAYMENT_ON_TIME, K.PAYMENT_LATE, K.REVIEW_GIVEN,
    K.DISPUTE_WON, K.DISPUTE_LOST, K.ADMIN_DECISION, K.APPEAL_UPHELD, K.REPAIR_GRANTED, K.EXTERNAL_REPORT,
]  # fmt: skip
UNIT_KINDS = [
    K.APPROVED_ON_TIME, K.RESPONSE_LATE, K.REFUSAL_JUSTIFIED, K.REFUSAL_UNJUSTIFIED, K.PROVIDER_CANCELLATION,
    K.SERVICE_DELIVERED, K.INSTRUMENT_FAULT, K.DATA_DELIVERED_LATE, K.BREACH_CONFIRMED, K.REVIEW_RECEIVED,
    K.ENDORSEMENT_RECEIVED, K.PAYMENT_ON_TIME, K.PAYMENT_LATE, K.DISPUTE_LOST, K.REPAIR_GRANTED,
]  # fmt: skip


def _event(subject, kind, *, days, n, rng, now, severity="", weight=None, value=None, polarity=None):
    unit = subject if hasattr(subject, "credit_code") else None
    if kind in params.REVIEW_KINDS:
        value = Decimal(rng.choice([1, 2, 3, 4, 5, 5, 4.5])) if value is None else value
        weight = Decimal(rng.choice(["1", "1.25", "1.5", "0", "1"])) if weight is None else weight
    return CreditEvent(
        subject_unit=unit,
        subject_user=None if unit else subject,
        subject_key=subject_key_for(subject),
        kind=kind,
        polarity=params.default_polarity(kind) if polarity is None else polarity,
        weight=Decimal(rng.choice(["1", "1", "0.5", "2", "1.3333"])) if weight is None else weight,
        value=value,
        severity=severity,
        source=CreditEvent.Source.BOOKING,
        source_ref=f"t:{n}",
        occurred_at=now - timedelta(days=days, hours=rng.randrange(0, 24), minutes=rng.randrange(0, 60)),
    )


def _varied_ledger(seed: int = 14):
    rng = random.Random(seed)
    now = timezone.now()
    units = [UnitFactory(accreditations=["CMA", "CNAS"][: i % 3]) for i in range(6)]
    units += [UnitFactory(status="pending"), UnitFactory(status="suspended")]
    for a, b in [(0, 1), (1, 2), (2, 0), (0, 6), (3, 4), (6, 7), (7, 6), (5, 1)]:
        EndorsementFactory(endorser=units[a], endorsed=units[b])
    users = [UserFactory(email="" if i % 5 == 0 else f"u{i}@example.org") for i in range(24)]
    for i, user in enumerate(users[:16]):
        MembershipFactory(user=user, unit=units[i % len(units)])
    ExternalCreditReportFactory(subject=units[1], score=30)
    ExternalCreditReportFactory(subject=users[2], score=95)
    ExternalCreditReportFactory(subject=users[3], score=10, reported_at=now - timedelta(days=400))
    events, n = [], 0
    for subject, kinds in [(u, UNIT_KINDS) for u in units] + [(u, USER_KINDS) for u in users]:
        for _ in range(rng.randrange(0, 40)):
            n += 1
            events.append(_event(subject, rng.choice(kinds), days=rng.choice([0, 1, 5, 30, 89, 91, 200, 364, 366, 700]),
                                 n=n, rng=rng, now=now))  # fmt: skip
    # Caps: every severity, lifted by a later repair or upheld objection, or still running, or expired.
    for i, user in enumerate(users[:12]):
        kind = [K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED, K.FRAUD_CONFIRMED][i % 3]
        severity = ["", "minor", "general", "serious"][i % 4]
        n += 1
        events.append(_event(user, kind, days=[3, 40, 100, 200, 400][i % 5], n=n, rng=rng, now=now, severity=severity))
        if i % 3 == 1:
            n += 1
            events.append(_event(user, [K.REPAIR_GRANTED, K.APPEAL_UPHELD][i % 2], days=1, n=n, rng=rng, now=now))
    # Careful people whose one severe event caps a score that would be higher.
    for i, (kind, severity) in enumerate([(K.DAMAGE_CONFIRMED, "general"), (K.MISUSE_CONFIRMED, "minor"),
                                          (K.FRAUD_CONFIRMED, "")]):  # fmt: skip
        careful = UserFactory(email=f"careful{i}@example.org")
        MembershipFactory(user=careful, unit=units[0])
        users.append(careful)
        for day in range(40):
            n += 1
            events.append(_event(careful, K.BOOKING_FULFILLED, days=day, n=n, rng=rng, now=now, weight=Decimal(1)))
        n += 1
        events.append(_event(careful, kind, days=5, n=n, rng=rng, now=now, severity=severity, weight=Decimal(1)))
    n += 1
    events.append(_event(units[2], K.BREACH_CONFIRMED, days=10, n=n, rng=rng, now=now, severity="serious"))
    # Reviews: odd stars and weights, a day with several of them.
    for stars, weight in [(Decimal(5), Decimal("1.5")), (Decimal(1), Decimal(1)), (Decimal(7), Decimal(1)),
                          (Decimal(3), Decimal(0))]:  # fmt: skip
        n += 1
        events.append(_event(units[0], K.REVIEW_RECEIVED, days=2, n=n, rng=rng, now=now, value=stars, weight=weight))
    created = CreditEvent.objects.bulk_create(events)
    for event in rng.sample(created, 25):
        credit_event_reverse(event=event, reason="test")
    return [subject_key_for(s) for s in units + users], timezone.now()  # as of after everything was recorded


def _compare(keys, as_of):
    trust = trust_scores(as_of)
    reference = score_keys(keys, as_of, trust)
    batches, _facts = score_keys_set_based(keys, as_of, trust)
    texts = ReasonTexts()
    seen = 0
    for batch in batches.values():
        for key in batch.keys:
            expected, expected_reasons = reference[key]
            result = batch.result(key)
            assert result.dimensions == expected.dimensions, key
            assert (result.score, result.tier, result.cap, result.cap_until) == (
                expected.score,
                expected.tier,
                expected.cap,
                expected.cap_until,
            ), key
            assert abs(result.raw - expected.raw) < 1e-9, key
            assert texts(result.reasons) == expected_reasons, key
            seen += 1
    assert seen == len(reference) == len(keys)
    return reference


@pytest.mark.django_db
def test_set_based_scoring_equals_the_reference_model_for_every_subject():
    keys, now = _varied_ledger()
    reference = _compare(keys, now)
    # The ledger really is varied: caps, reviews, endorsements, every kind present.
    assert any(result.cap for result, _ in reference.values())
    assert {reason["code"] for _, reasons in reference.values() for reason in reasons} >= {
        "cap", "events", "unit_status", "person_identity", "external", "endorsements",
    }  # fmt: skip
    kinds = set(CreditEvent.objects.values_list("kind", flat=True))
    assert kinds >= set(ALL_KINDS) - {K.EXTERNAL_REPORT} - set(ALL_KINDS).difference(USER_KINDS + UNIT_KINDS)
    assert sum(len(reasons) for _, reasons in reference.values()) > 3 * len(keys)
    # And at other moments: a week ago (later facts left out) and next year (everything decayed).
    _compare(keys, now - timedelta(days=7))
    _compare(keys, now + timedelta(days=365))


@pytest.mark.django_db
@pytest.mark.parametrize("stage_from_batches", [0, 10**6], ids=["ledger-staged-once", "ledger-read-per-batch"])
def test_recompute_all_writes_what_the_reference_model_computes(monkeypatch, stage_from_batches):
    """Both ways a sequential run reads the ledger on PostgreSQL (grouped once for the whole run into a temporary
    table, or batch by batch) write what the reference model computes; SQLite has only the second."""
    monkeypatch.setattr(recompute, "STAGE_FROM_BATCHES", stage_from_batches)
    keys, _now = _varied_ledger(seed=3)
    as_of = timezone.now()
    assert recompute_all(as_of=as_of).status == "done"
    written = latest_snapshots(keys)
    reference = score_keys(keys, as_of, trust_scores(as_of))
    assert set(written) == set(keys)
    for key, snapshot in written.items():
        expected, reasons = reference[key]
        assert (snapshot.score, snapshot.cap, snapshot.dimensions(), snapshot.reasons) == (
            expected.score,
            expected.cap,
            expected.dimensions,
            reasons,
        ), key
    # The single-subject path returns the snapshot it agrees with, writing nothing new.
    count = CreditScore.objects.count()
    for key in keys[:5]:
        assert recompute_subject(key, as_of=as_of).pk == written[key].pk
    assert CreditScore.objects.count() == count


@pytest.mark.django_db
def test_weightless_facts_count_nothing_in_either_path():
    """Facts recorded with weight 0 (an internal booking's kept commitments and reviews, issue 18.3) leave every
    dimension and the score exactly as they were, in both scoring paths (the explanations still count them
    among the events of their kind, with the same impact)."""
    rng = random.Random(7)
    now = timezone.now()
    unit = UnitFactory()
    user = MembershipFactory(unit=UnitFactory()).user
    events, n = [], 0
    for subject, kinds in [(user, [K.NO_SHOW, K.BOOKING_FULFILLED]), (unit, [K.RESPONSE_LATE, K.SERVICE_DELIVERED])]:
        for kind in kinds:
            n += 1
            events.append(_event(subject, kind, days=3, n=n, rng=rng, now=now, weight=Decimal(1)))
    CreditEvent.objects.bulk_create(events)
    keys = [subject_key_for(user), subject_key_for(unit)]
    before = _compare(keys, timezone.now())
    weightless = {
        user: [K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.REVIEW_RECEIVED, K.REVIEW_GIVEN],
        unit: [K.APPROVED_ON_TIME, K.SERVICE_DELIVERED, K.REVIEW_RECEIVED, K.REVIEW_GIVEN],
    }
    events = []
    for subject, kinds in weightless.items():
        for kind in kinds:
            for days in (0, 1, 3, 40):
                n += 1
                value = Decimal(5) if kind in params.REVIEW_KINDS else None
                events.append(_event(subject, kind, days=days, n=n, rng=rng, now=now, weight=Decimal(0), value=value))
    CreditEvent.objects.bulk_create(events)
    after = _compare(keys, timezone.now())
    for key in keys:
        (old, old_reasons), (new, new_reasons) = before[key], after[key]
        assert (new.score, new.dimensions, new.raw, new.cap) == (old.score, old.dimensions, old.raw, old.cap)
        assert [r["impact"] for r in new_reasons] == [r["impact"] for r in old_reasons]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_recompute_all_reading_ahead_on_a_second_connection_writes_what_the_reference_model_computes(monkeypatch):
    """A sequential run outside any transaction reads and scores its next batch on a second connection while it
    writes the current one: the snapshots are those of the reference model, batch after batch."""
    monkeypatch.setattr(params, "RECOMPUTE_BATCH_SIZE", 7)
    reads: list[int] = []
    read = recompute_ahead.ReadAhead._read

    def counted(self, phase, after):
        reads.append((phase, after))
        return read(self, phase, after)

    monkeypatch.setattr(recompute_ahead.ReadAhead, "_read", counted)
    keys, _now = _varied_ledger(seed=5)
    as_of = timezone.now()
    assert recompute_all(as_of=as_of).status == "done"
    # Every batch of both phases was read ahead, the units' first one first.
    assert len(reads) > 4
    assert reads[0] == ("unit", 0)
    written = latest_snapshots(keys)
    reference = score_keys(keys, as_of, trust_scores(as_of))
    assert set(written) == set(keys)
    for key, snapshot in written.items():
        expected, reasons = reference[key]
        assert (snapshot.score, snapshot.cap, snapshot.dimensions(), snapshot.reasons) == (
            expected.score,
            expected.cap,
            expected.dimensions,
            reasons,
        ), key
    # At most one snapshot per subject from this run: no batch was written twice.
    run_keys = list(CreditScore.objects.filter(as_of=as_of).values_list("subject_key", flat=True))
    assert len(run_keys) == len(set(run_keys))
