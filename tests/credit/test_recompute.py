"""Recomputation from the ledger: snapshots reproduce, full and per-subject runs agree, runs are idempotent."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit import params, recompute, snapshots
from credit.models import CreditEvent, CreditRun, CreditScore
from credit.recompute import latest_snapshots, recompute_all, recompute_subject, score_keys
from credit.scoring.trust import trust_scores
from credit.services import credit_event_reverse
from tests.credit.factories import EndorsementFactory, ExternalCreditReportFactory, record
from tests.factories import MembershipFactory, UnitFactory, UserFactory

K = CreditEvent.Kind
KINDS = sorted(params.POSITIVE_KINDS | params.NEGATIVE_KINDS)
events_strategy = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 900), st.sampled_from(["", "general", "serious"])),
    min_size=1,
    max_size=12,
)
HYPOTHESIS_DB = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_reproduces(snapshot: CreditScore) -> None:
    result, reasons = score_keys([snapshot.subject_key], snapshot.as_of, trust_scores(snapshot.as_of))[
        snapshot.subject_key
    ]
    assert result.score == snapshot.score
    assert result.dimensions == snapshot.dimensions()
    assert result.cap == snapshot.cap
    assert reasons == snapshot.reasons


@pytest.mark.django_db
@HYPOTHESIS_DB
@given(events=events_strategy, checkpoints=st.lists(st.integers(0, 12), min_size=1, max_size=4))
def test_recompute_subject_snapshots_reproduce_from_the_ledger(events, checkpoints):
    user = UserFactory()
    key = f"user:{user.pk}"
    for index, (kind, days, severity) in enumerate(events):
        record(user, kind, days_ago=days, severity=severity, source_ref=f"f:{index}")
        if index in checkpoints:
            recompute_subject(key)  # as of now: later (and back-dated) facts must not change it
    recompute_subject(key)
    snapshots = list(CreditScore.objects.filter(subject_key=key))
    assert snapshots
    for snapshot in snapshots:
        _assert_reproduces(snapshot)


@pytest.mark.django_db
@HYPOTHESIS_DB
@given(events=events_strategy, extra=st.tuples(st.sampled_from(KINDS), st.integers(0, 900)))
def test_recompute_subject_positive_event_never_lowers_negative_never_raises(events, extra):
    user = UserFactory()
    key = f"user:{user.pk}"
    base = timezone.now()
    for index, (kind, days, severity) in enumerate(events):
        record(user, kind, days_ago=days, severity=severity, source_ref=f"f:{index}", as_of=base)
    before = recompute_subject(key, as_of=timezone.now()).score
    kind, days = extra
    record(user, kind, days_ago=days, as_of=base)
    after = recompute_subject(key, as_of=timezone.now()).score
    if kind in params.POSITIVE_KINDS:
        assert after >= before
    else:
        assert after <= before


@pytest.mark.django_db
@pytest.mark.parametrize("copy_from_rows", [1, 10_000], ids=["copy", "insert"])
def test_recompute_all_agrees_with_recompute_subject(monkeypatch, copy_from_rows):
    """Both ways of writing a batch (COPY for many snapshots, INSERT ... unnest for a few) store the same rows."""
    monkeypatch.setattr(snapshots, "COPY_FROM_ROWS", copy_from_rows)
    base = timezone.now()
    verified = UnitFactory(accreditations=["CMA"])
    pending = UnitFactory(status="pending")
    EndorsementFactory(endorser=verified, endorsed=pending)
    users = [UserFactory() for _ in range(4)]
    MembershipFactory(user=users[0], unit=verified)
    for index, user in enumerate(users):
        for n in range(index + 1):
            record(user, K.NO_SHOW if n % 2 else K.BOOKING_FULFILLED, days_ago=10 * n + 1, as_of=base)
    record(verified, K.SERVICE_DELIVERED, days_ago=3, as_of=base)
    ExternalCreditReportFactory(subject=pending)
    as_of = timezone.now()
    outcome = recompute_all(as_of=as_of)
    assert outcome.status == "done"
    keys = [f"user:{u.pk}" for u in users] + [f"unit:{verified.pk}", f"unit:{pending.pk}"]
    full = latest_snapshots(keys)
    count = CreditScore.objects.count()
    for key in keys:
        single = recompute_subject(key, as_of=as_of)
        assert (single.score, single.dimensions(), single.reasons) == (
            full[key].score,
            full[key].dimensions(),
            full[key].reasons,
        )
    assert CreditScore.objects.count() == count  # identical results write nothing
    verified.refresh_from_db()
    assert verified.credit_score == full[f"unit:{verified.pk}"].score
    assert verified.credit_tier == full[f"unit:{verified.pk}"].tier


@pytest.mark.django_db
def test_recompute_all_twice_writes_nothing_new():
    user = UserFactory()
    record(user, K.NO_SHOW)
    as_of = timezone.now()
    first = recompute_all(as_of=as_of)
    second = recompute_all(as_of=as_of)
    assert first.snapshots_written >= 1
    assert second.snapshots_written == 0
    assert CreditScore.objects.filter(subject_key=f"user:{user.pk}").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("stage_from_batches", [0, 10**6], ids=["ledger-staged-once", "ledger-read-per-batch"])
def test_recompute_all_resumes_a_partial_run_with_the_same_as_of(monkeypatch, stage_from_batches):
    monkeypatch.setattr(recompute, "STAGE_FROM_BATCHES", stage_from_batches)
    monkeypatch.setattr(params, "RECOMPUTE_BATCH_SIZE", 2)
    users = [UserFactory() for _ in range(5)]
    for user in users:
        record(user, K.BOOKING_FULFILLED)
    as_of = timezone.now()
    partial = recompute_all(as_of=as_of, deadline=0)  # monotonic time is past 0: stops before any batch
    assert partial.status == "partial"
    run = CreditRun.objects.get(run_id=partial.run_id)
    assert run.subjects_seen == 0
    done = recompute_all(run_id=partial.run_id)
    assert done.status == "done"
    assert set(CreditScore.objects.filter(run_id=partial.run_id).values_list("as_of", flat=True)) == {as_of}
    assert CreditRun.objects.get(run_id=partial.run_id).subjects_seen == 5 + len(UnitFactory._meta.model.objects.all())
    assert recompute_all(run_id=partial.run_id).status == "done"  # a redelivered finished run does nothing


@pytest.mark.django_db
def test_recompute_subject_ignores_reversed_events():
    user = UserFactory()
    key = f"user:{user.pk}"
    clean = recompute_subject(key).score
    event = record(user, K.NO_SHOW)
    hurt = recompute_subject(key).score
    credit_event_reverse(event=event, reason="recorded by mistake")
    healed = recompute_subject(key).score
    assert hurt < clean
    assert healed == clean


@pytest.mark.django_db
@pytest.mark.parametrize("ring_size", [2, 5, 12])
def test_recompute_subject_endorsement_ring_cannot_beat_a_clean_verified_unit(ring_size):
    """Fresh unverified accounts endorsing each other densely stay below a verified unit with a clean record."""
    clean = UnitFactory()
    for n in range(3):
        record(clean, K.SERVICE_DELIVERED, days_ago=n + 1)
    ring = [UnitFactory(status="pending") for _ in range(ring_size)]
    for a in ring:
        for b in ring:
            if a != b:
                EndorsementFactory(endorser=a, endorsed=b)
                record(b, K.ENDORSEMENT_RECEIVED, source="endorsement", source_ref=f"endorsement:{a.pk}")
    clean_score = recompute_subject(f"unit:{clean.pk}").score
    for unit in ring:
        snapshot = recompute_subject(f"unit:{unit.pk}")
        assert snapshot.relationships == 0
        assert snapshot.score < clean_score


@pytest.mark.django_db
def test_recompute_subject_verified_ring_gains_at_most_the_relationship_weight():
    clean = UnitFactory()
    for n in range(3):
        record(clean, K.SERVICE_DELIVERED, days_ago=n + 1)
    ring = [UnitFactory() for _ in range(5)]
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        EndorsementFactory(endorser=a, endorsed=b)
    clean_score = recompute_subject(f"unit:{clean.pk}").score
    for unit in ring:
        assert recompute_subject(f"unit:{unit.pk}").score < clean_score


@pytest.mark.django_db
def test_recompute_subject_endorsement_from_trusted_unit_raises_relationships():
    endorser = UnitFactory(accreditations=["CNAS"])
    endorsed = UnitFactory()
    before = recompute_subject(f"unit:{endorsed.pk}")
    EndorsementFactory(endorser=endorser, endorsed=endorsed)
    after = recompute_subject(f"unit:{endorsed.pk}")
    assert after.relationships > before.relationships
    assert after.score >= before.score


@pytest.mark.django_db
def test_recompute_subject_external_report_moves_external_dimension():
    user = UserFactory()
    low = recompute_subject(f"user:{user.pk}")
    ExternalCreditReportFactory(subject=user, score=95)
    high = recompute_subject(f"user:{user.pk}")
    assert high.external > low.external
    ExternalCreditReportFactory(
        subject=user,
        score=95,
        expires_at=timezone.now() - timedelta(days=1),
        reported_at=timezone.now() - timedelta(days=400),
    )
    assert recompute_subject(f"user:{user.pk}").external == high.external  # expired reports do not count


@pytest.mark.postgres
@pytest.mark.django_db
def test_recompute_all_second_concurrent_run_returns_already_running():
    import psycopg2

    settings_dict = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        password=settings_dict["PASSWORD"] or None,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [params.RECOMPUTE_ADVISORY_LOCK_KEY])
            assert cursor.fetchone()[0]
        outcome = recompute_all()
        assert outcome.status == "already_running"
        assert not CreditRun.objects.exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [params.RECOMPUTE_ADVISORY_LOCK_KEY])
    finally:
        other.close()
    assert recompute_all().status == "done"


@pytest.mark.django_db
def test_recompute_subject_unknown_subject_writes_nothing():
    assert recompute_subject(f"user:{uuid.uuid4().int % 10_000_000 + 10_000_000}") is None
    assert not CreditScore.objects.exists()


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories=st.lists(events_strategy, min_size=2, max_size=4),
    endorsements=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=4),
)
def test_recompute_all_and_per_subject_agree_for_any_ledger(histories, endorsements):
    units = [UnitFactory(), UnitFactory(status="pending"), UnitFactory(accreditations=["CMA"])]
    for a, b in endorsements:
        if a != b and not units[a].endorsements_given.filter(endorsed=units[b]).exists():
            EndorsementFactory(endorser=units[a], endorsed=units[b])
    subjects = [UserFactory() if n % 2 else units[n % 3] for n in range(len(histories))]
    for subject, history in zip(subjects, histories, strict=True):
        for index, (kind, days, severity) in enumerate(history):
            record(subject, kind, days_ago=days, severity=severity, source_ref=f"h:{index}")
    as_of = timezone.now()
    assert recompute_all(as_of=as_of).status == "done"
    keys = sorted(
        {f"unit:{u.pk}" for u in units}
        | {f"{'unit' if hasattr(s, 'credit_code') else 'user'}:{s.pk}" for s in subjects}
    )
    full = latest_snapshots(keys)
    count = CreditScore.objects.count()
    for key in keys:
        single = recompute_subject(key, as_of=as_of)
        assert (single.pk, single.score, single.dimensions()) == (full[key].pk, full[key].score, full[key].dimensions())
        _assert_reproduces(full[key])
    assert CreditScore.objects.count() == count


@pytest.mark.django_db
def test_recompute_all_never_writes_behind_a_newer_snapshot():
    unit = UnitFactory()
    older = timezone.now()
    record(unit, K.SERVICE_DELIVERED)
    newer = recompute_subject(f"unit:{unit.pk}")
    recompute_all(as_of=older)  # a full run that started before the event
    assert latest_snapshots([f"unit:{unit.pk}"])[f"unit:{unit.pk}"].pk == newer.pk
    assert CreditScore.objects.filter(subject_key=f"unit:{unit.pk}").count() == 1
    unit.refresh_from_db()
    assert unit.credit_score == newer.score


@pytest.mark.django_db
def test_credit_event_record_weighs_reviews_by_reviewer_credibility():
    trusted, unknown, provider, other = UserFactory(), UserFactory(), UnitFactory(), UnitFactory()
    for d in range(1, 40):
        record(trusted, K.BOOKING_FULFILLED, days_ago=d, counterparty=(provider, other)[d % 2])
    recompute_subject(f"user:{trusted.pk}")
    heavy = record(provider, K.REVIEW_RECEIVED, value=5, counterparty=trusted, source="review", source_ref="review:1")
    plain = record(provider, K.REVIEW_RECEIVED, value=5, counterparty=unknown, source="review", source_ref="review:2")
    assert heavy.weight > 1
    # Unscored, and a thin file (no kept bookings): half the weight of an unscored established reviewer.
    assert plain.weight == Decimal(str(params.REVIEW_WEIGHT_THIN_FILE_FACTOR))


@pytest.mark.postgres
@pytest.mark.django_db
def test_snapshots_written_by_copy_keep_every_character_of_their_reasons():
    """COPY's text format treats backslashes, tabs and newlines specially: the stored reasons come back as given."""
    users = [UserFactory() for _ in range(snapshots.COPY_FROM_ROWS)]
    reasons = [{"code": "x", "params": {"kind": 'a\\b "quoted"\ttab\nline 中文'}, "impact": -1.5, "text": "\\N"}]
    units = [5000] * len(params.DIMENSIONS)  # 0.5000 each
    fresh = [snapshots.NewSnapshot(f"user:{u.pk}", 600, "fair", None, units, json.dumps(reasons)) for u in users]
    snapshots.insert_snapshots(fresh, as_of=timezone.now(), run_id=uuid.uuid4())
    stored = CreditScore.objects.filter(pk__in=[row.pk for row in fresh])
    assert stored.count() == len(users)
    for snapshot in stored:
        assert snapshot.reasons == reasons
        assert snapshot.subject_user_id == int(snapshot.subject_key.partition(":")[2])
        assert (snapshot.cap, snapshot.score, snapshot.record) == (None, 600, Decimal("0.5000"))


@pytest.mark.postgres
@pytest.mark.django_db
def test_snapshot_subject_indexes_are_partial_and_serve_a_batch_and_the_foreign_keys():
    """Each subject column is indexed where it is set only (no NULL entry per snapshot of the other kind), and the
    full run's batch read by id range, the PROTECT check and the foreign keys still use those indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'credit_creditscore' "
            "AND indexdef LIKE '%%subject_u%%_id)%%'"
        )
        definitions = dict(cursor.fetchall())
        assert set(definitions) == {"credit_score_user", "credit_score_unit"}
        assert definitions["credit_score_user"].endswith("WHERE (subject_user_id IS NOT NULL)")
        assert definitions["credit_score_unit"].endswith("WHERE (subject_unit_id IS NOT NULL)")
        cursor.execute("SET LOCAL enable_seqscan = off")
        for statement in (
            "SELECT id FROM credit_creditscore WHERE subject_user_id BETWEEN 1 AND 10",
            "SELECT id FROM credit_creditscore WHERE subject_unit_id = ANY('{1,2}'::bigint[])",
        ):
            cursor.execute("EXPLAIN " + statement)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "credit_score_user" in plan or "credit_score_unit" in plan, plan
    user = MembershipFactory().user
    recompute_subject(f"user:{user.pk}")
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        user.delete()
