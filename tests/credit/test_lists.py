"""List proposals by rule, expiry, the trusted provider badge, and the standing selectors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from credit import params
from credit.models import CreditEvent, CreditWarning, ListEntry, TrustedProviderBadge
from credit.recompute import recompute_subject
from credit.selectors import (
    NEUTRAL_STANDING,
    NO_HISTORY,
    CreditHistory,
    credit_histories_of_users,
    credit_standing_for_unit,
    credit_standing_for_user,
    standing_from,
)
from credit.services import credit_event_reverse, list_entries_expire, list_entries_propose, trusted_badges_review
from tests.credit.factories import ListEntryFactory, record
from tests.factories import UnitFactory, UserFactory

K = CreditEvent.Kind


@pytest.mark.django_db
def test_list_entries_propose_violations_warn_first_then_propose_black():
    user = UserFactory()
    now = timezone.now()
    first = [record(user, K.NO_SHOW, days_ago=d, source_ref=f"booking:{d}") for d in (60, 50)]
    record(UserFactory(), K.NO_SHOW)  # someone else with one violation: nothing
    assert list_entries_propose(as_of=now - timedelta(days=40)) == []  # two violations: a warning, no proposal
    (warning,) = CreditWarning.objects.all()
    assert (warning.subject_key, warning.status, warning.violations) == (f"user:{user.pk}", "open", 2)
    later = [
        record(user, kind, days_ago=d, source_ref=f"booking:{d}")
        for kind, d in [(K.LATE_CANCELLATION, 20), (K.USAGE_OVERRUN, 10)]
    ]
    proposed = list_entries_propose()
    assert [(e.subject_key, e.list_type, e.rule, e.status) for e in proposed] == [
        (f"user:{user.pk}", "black", "violations", "proposed")
    ]
    entry = proposed[0]
    assert set(entry.basis_events.values_list("pk", flat=True)) == {e.pk for e in first + later}
    assert entry.severity == "general"
    assert "4 violations in 4 bookings" in entry.reason
    warning.refresh_from_db()
    assert warning.status == "escalated"
    assert list_entries_propose() == []  # no duplicate open proposal, no new warning while listed
    assert CreditWarning.objects.count() == 1


@pytest.mark.django_db
def test_list_entries_propose_old_or_reversed_violations_do_not_count():
    user = UserFactory()
    record(user, K.NO_SHOW, days_ago=5)
    record(user, K.NO_SHOW, days_ago=400)
    mistaken = record(user, K.NO_SHOW, days_ago=6)
    credit_event_reverse(event=mistaken, reason="recorded by mistake")
    assert list_entries_propose() == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [K.BREACH_CONFIRMED, K.FRAUD_CONFIRMED, K.MISUSE_CONFIRMED])
def test_list_entries_propose_one_serious_intentional_event_is_enough(kind):
    unit = UnitFactory()
    record(unit, kind, severity="serious", source="incident")
    (entry,) = list_entries_propose()
    assert (entry.rule, entry.severity, entry.subject_unit_id) == ("severe_event", "serious", unit.pk)
    assert not CreditWarning.objects.exists()


@pytest.mark.django_db
def test_list_entries_propose_serious_damage_warns_first_and_proposes_after_a_further_fault():
    """An accident, even serious, caps the score (549, under the floor) and brings a warning, not a proposal:
    neither by the severe-event rule nor by the score floor. Counted as a violation, it proposes once faults after
    the warning's notice make three at a high rate."""
    user = UserFactory()
    now = timezone.now()
    for n in range(12):
        record(user, K.BOOKING_FULFILLED, days_ago=90 - n, source_ref=f"booking:{n}")
    damage = record(user, K.DAMAGE_CONFIRMED, days_ago=60, severity="serious", source="incident")
    snapshot = recompute_subject(f"user:{user.pk}")
    assert (snapshot.score, snapshot.cap) == (549, 549), snapshot.reasons  # under the floor, by the cap
    assert list_entries_propose(as_of=now - timedelta(days=59)) == []
    (warning,) = CreditWarning.objects.all()
    assert (warning.subject_user_id, warning.status) == (user.pk, "open")
    assert warning.reason.startswith("Confirmed serious damage")
    assert [item["event"] for item in warning.evidence] == [damage.pk]
    assert list_entries_propose(as_of=now - timedelta(days=30)) == []  # nothing since the warning
    later = record(user, K.LATE_CANCELLATION, days_ago=20, source_ref="booking:99")
    assert list_entries_propose(as_of=now - timedelta(days=15)) == []  # one fault after it: not a pattern
    last = record(user, K.NO_SHOW, days_ago=10, source_ref="booking:98")
    (entry,) = list_entries_propose()
    assert (entry.subject_user_id, entry.list_type, entry.rule, entry.severity) == (
        user.pk,
        "black",
        "serious_damage",
        "serious",
    )
    assert set(entry.basis_events.values_list("pk", flat=True)) == {damage.pk, later.pk, last.pk}
    warning.refresh_from_db()
    assert warning.status == "escalated"


@pytest.mark.django_db
def test_list_entries_propose_serious_damage_after_a_warning_proposes():
    user = UserFactory()
    now = timezone.now()
    for d in (60, 50):
        record(user, K.NO_SHOW, days_ago=d, source_ref=f"booking:{d}")
    assert list_entries_propose(as_of=now - timedelta(days=40)) == []  # warned
    record(user, K.DAMAGE_CONFIRMED, days_ago=5, severity="serious", source="incident")
    (entry,) = list_entries_propose()
    assert (entry.rule, entry.severity) == ("serious_damage", "serious")


@pytest.mark.django_db
def test_list_entries_propose_basis_events_are_not_reused_after_rejection():
    user = UserFactory()
    now = timezone.now()
    for d in (40, 30, 3, 2, 1):
        record(user, K.NO_SHOW, days_ago=d, source_ref=f"booking:{d}")
    list_entries_propose(as_of=now - timedelta(days=25))  # warned after the first two
    (entry,) = list_entries_propose()
    entry.status = ListEntry.Status.REJECTED
    entry.save()
    assert list_entries_propose() == []
    record(user, K.NO_SHOW)
    assert list_entries_propose() == []  # one fresh violation is not three


@pytest.mark.django_db
def test_list_entries_propose_score_floor_and_red_list():
    low = UserFactory()
    for d in range(30):
        record(low, K.NO_SHOW, days_ago=370 + d)  # outside the violations window, but still weighing
    for d in (40, 41):
        record(low, K.LATE_CANCELLATION, days_ago=d)  # two violations in the window: a warning
    star = UnitFactory(accreditations=["CMA", "CNAS", "ISO"])
    for d in range(1, 60):
        record(star, K.SERVICE_DELIVERED, days_ago=d)
        record(star, K.APPROVED_ON_TIME, days_ago=d)
    snapshot = recompute_subject(f"unit:{star.pk}")
    assert snapshot.score >= params.RED_MIN_SCORE, snapshot.reasons
    assert recompute_subject(f"user:{low.pk}").score < params.BLACK_SCORE_FLOOR
    # Under the floor but not warned yet: warned, not proposed (issue 18.8, a warning before any proposal).
    earlier = timezone.now() - timedelta(days=20)
    first = {(e.subject_key, e.list_type, e.rule) for e in list_entries_propose(as_of=earlier)}
    assert first == {(f"unit:{star.pk}", "red", "top_tier")}
    warning = CreditWarning.objects.get(subject_key=f"user:{low.pk}")
    assert warning.status == CreditWarning.Status.OPEN
    proposed = {(e.subject_key, e.list_type, e.rule) for e in list_entries_propose()}
    assert proposed == {(f"user:{low.pk}", "black", "score_floor")}
    warning.refresh_from_db()
    assert warning.status == CreditWarning.Status.ESCALATED
    assert list_entries_propose() == []


@pytest.mark.django_db
def test_list_entries_propose_red_needs_a_clean_recent_record():
    star = UnitFactory(accreditations=["CMA", "CNAS", "ISO"])
    for d in range(1, 60):
        record(star, K.SERVICE_DELIVERED, days_ago=d)
        record(star, K.APPROVED_ON_TIME, days_ago=d)
    record(star, K.RESPONSE_LATE, days_ago=20)
    recompute_subject(f"unit:{star.pk}")
    assert list_entries_propose() == []


@pytest.mark.django_db
def test_list_entries_expire_ends_publication():
    now = timezone.now()
    past = ListEntryFactory(
        status="published", published_at=now - timedelta(days=100), expires_at=now - timedelta(days=1)
    )
    current = ListEntryFactory(
        status="published", published_at=now - timedelta(days=1), expires_at=now + timedelta(days=90)
    )
    assert list_entries_expire() == 1
    past.refresh_from_db()
    current.refresh_from_db()
    assert (past.status, past.ended_at) == ("expired", past.expires_at)
    assert current.status == "published"


@pytest.mark.django_db
def test_credit_standing_tiers_and_consequences():
    kept = CreditHistory(kept_bookings=params.MIN_KEPT_BOOKINGS, distinct_providers=params.MIN_DISTINCT_PROVIDERS)
    assert standing_from(820, False, history=kept).deposit_waived
    assert standing_from(820, False, history=kept).auto_approval_eligible
    assert standing_from(720, False, history=kept).deposit_waived
    assert not standing_from(720, False, history=kept).auto_approval_eligible
    assert not standing_from(650, False, history=kept).deposit_waived
    assert standing_from(560, False, history=kept).tier == "poor"
    assert standing_from(540, False, history=kept).tier == "bad"
    assert standing_from(820, True, history=kept).deposit_waived is False
    wide, narrow = standing_from(820, False, history=kept), standing_from(540, False, history=kept)
    assert wide.horizon_factor > narrow.horizon_factor


def test_credit_standing_thin_file_earns_no_waiver_nor_auto_approval():
    """A thin file is not "good" (issue 18.4): the tier keeps its horizon and quota, not its waiver."""
    for history in (
        NO_HISTORY,
        CreditHistory(kept_bookings=1, distinct_providers=1),
        CreditHistory(kept_bookings=params.MIN_KEPT_BOOKINGS + 5, distinct_providers=1),
        CreditHistory(kept_bookings=params.MIN_KEPT_BOOKINGS - 1, distinct_providers=params.MIN_DISTINCT_PROVIDERS),
    ):
        standing = standing_from(900, False, history=history)
        assert (standing.tier, standing.deposit_waived, standing.auto_approval_eligible) == ("excellent", False, False)
        assert standing.horizon_factor == params.HORIZON_FACTORS["excellent"]
        assert not history.sufficient
    assert (CreditHistory(1, 1).missing_kept_bookings, CreditHistory(1, 1).missing_providers) == (2, 1)
    assert (CreditHistory(8, 1).missing_kept_bookings, CreditHistory(8, 1).missing_providers) == (1, 1)
    assert (CreditHistory(2, 2).missing_kept_bookings, CreditHistory(2, 2).missing_providers) == (1, 0)
    assert CreditHistory(3, 2).sufficient


@pytest.mark.django_db
def test_credit_standing_for_user_reads_latest_snapshot_and_black_list(django_assert_num_queries):
    user = UserFactory()
    assert credit_standing_for_user(user) == NEUTRAL_STANDING
    snapshot = recompute_subject(f"user:{user.pk}")
    with django_assert_num_queries(3):  # the newest snapshot, the black list, the history
        standing = credit_standing_for_user(user)
    assert (standing.score, standing.tier, standing.blacklisted) == (snapshot.score, snapshot.tier, False)
    now = timezone.now()
    ListEntryFactory(subject=user, status="published", published_at=now, expires_at=now + timedelta(days=90))
    assert credit_standing_for_user(user).blacklisted
    unit = UnitFactory()
    ListEntryFactory(subject=unit, status="proposed")
    assert not credit_standing_for_unit(unit).blacklisted  # proposals are not published


@pytest.mark.django_db
def test_trusted_badges_review_awards_and_revokes():
    unit = UnitFactory()
    for d in range(1, 15):
        record(unit, K.SERVICE_DELIVERED, days_ago=d)
        record(unit, K.APPROVED_ON_TIME, days_ago=d)
        record(unit, K.REVIEW_RECEIVED, days_ago=d, value=5, polarity=0, source="review")
    assert trusted_badges_review() == {"awarded": 1, "revoked": 0}
    assert trusted_badges_review() == {"awarded": 0, "revoked": 0}
    badge = TrustedProviderBadge.objects.get(unit=unit)
    assert badge.criteria["services"] == 14
    record(unit, K.PROVIDER_CANCELLATION)
    assert trusted_badges_review() == {"awarded": 0, "revoked": 1}
    badge.refresh_from_db()
    assert badge.revoked_at is not None


def _deserving_unit():
    unit = UnitFactory()
    for d in range(1, 30):
        record(unit, K.SERVICE_DELIVERED, days_ago=d, source_ref=f"booking:{d}")
        record(unit, K.APPROVED_ON_TIME, days_ago=d, source_ref=f"booking:{d}")
        record(unit, K.REVIEW_RECEIVED, days_ago=d, value=5, polarity=0, source="review")
    return unit


@pytest.mark.django_db
def test_trusted_badges_review_refuses_unjustified_refusers_breachers_and_warned_providers():
    """Issue 18.6: the badge goes to trustworthy providers only."""
    refuser, breacher, warned, trusted = _deserving_unit(), _deserving_unit(), _deserving_unit(), _deserving_unit()
    for n in range(6):  # 6 of 35 answered requests (17%)
        record(refuser, K.REFUSAL_UNJUSTIFIED, days_ago=2, source_ref=f"booking:{100 + n}")
    record(breacher, K.BREACH_CONFIRMED, days_ago=2, source="incident", severity="minor")
    CreditWarning.objects.create(
        subject_unit=warned, subject_key=f"unit:{warned.pk}", issued_at=timezone.now(), violations=4, bookings=20
    )
    assert trusted_badges_review() == {"awarded": 1, "revoked": 0}
    assert list(TrustedProviderBadge.objects.values_list("unit_id", flat=True)) == [trusted.pk]


@pytest.mark.django_db
def test_credit_histories_of_users_counts_kept_bookings_and_providers_in_one_query(django_assert_num_queries):
    established, thin, idle = UserFactory(), UserFactory(), UserFactory()
    first, second = UnitFactory(), UnitFactory()
    for n, provider in enumerate((first, first, second)):
        record(established, K.BOOKING_FULFILLED, days_ago=n + 1, counterparty=provider, source_ref=f"booking:{n}")
    kept = record(thin, K.BOOKING_FULFILLED, counterparty=first, source_ref="booking:10")
    reversed_kept = record(thin, K.BOOKING_FULFILLED, counterparty=second, source_ref="booking:11")
    record(thin, K.NO_SHOW, counterparty=second, source_ref="booking:12")
    credit_event_reverse(event=reversed_kept, reason="Recorded by mistake")
    with django_assert_num_queries(1):
        histories = credit_histories_of_users([established.pk, thin.pk, idle.pk])
    assert histories == {established.pk: CreditHistory(3, 2), thin.pk: CreditHistory(1, 1)}
    assert histories[established.pk].sufficient
    assert kept.kind == K.BOOKING_FULFILLED
    assert credit_standing_for_user(idle) == NEUTRAL_STANDING
    assert credit_standing_for_user(thin).history == CreditHistory(1, 1)
