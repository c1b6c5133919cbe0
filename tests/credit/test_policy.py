"""Pure rules: working days, publication bounds, quarters, the badge criteria, proposal precedence."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from credit import params, policy
from credit.models import ListEntry
from credit.selectors import credit_black_list_history
from tests.credit.factories import ListEntryFactory
from tests.factories import UserFactory


def test_add_working_days_skips_weekends():
    friday = date(2026, 11, 20)
    assert policy.add_working_days(friday, 1) == date(2026, 11, 23)
    assert policy.add_working_days(friday, 5) == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("severity", "days", "ok"),
    [
        ("minor", 30, True),
        ("minor", 92, False),
        ("general", 60, False),
        ("general", 200, True),
        ("general", 400, False),
        ("serious", 200, False),
        ("serious", 800, True),
        ("serious", 1200, False),
    ],
)
def test_publication_problem_follows_the_national_bounds(severity, days, ok):
    start = datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())
    problem = policy.publication_problem("black", severity, start, start + timedelta(days=days))
    assert (problem is None) is ok


def test_quarter_of():
    assert policy.quarter_of(date(2026, 11, 23)) == ("2026Q4", date(2027, 1, 1))
    assert policy.quarter_of(date(2026, 2, 1)) == ("2026Q1", date(2026, 4, 1))


def test_badge_deserved_needs_every_criterion():
    good = policy.BadgeFacts(services=20, reviews_weight=10, reviews_value_weight=48, answered_on_time=20)
    assert policy.badge_deserved(good)
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "services": 3}))
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "reviews_value_weight": 40}))
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "answered_late": 10}))
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "provider_cancellations": 1}))
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "refusals_unjustified": 4}))
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "breaches": 1}))
    assert not policy.badge_deserved(policy.BadgeFacts(**{**good.__dict__, "warned_or_listed": True}))


def _violations(kind: str, days_ago: list[float], now: datetime) -> tuple[policy.EventFact, ...]:
    return tuple(policy.EventFact(n, kind, "", now - timedelta(days=d)) for n, d in enumerate(days_ago))


@pytest.mark.parametrize(
    ("key", "kind", "count", "bookings", "warned_days_ago", "last_days_ago", "proposed"),
    [
        ("user:1", "no_show", 4, 10, 30, 5, True),  # warned, continued, 40%
        ("user:1", "no_show", 4, 10, None, 5, False),  # never warned
        ("user:1", "no_show", 4, 10, 10, 5, False),  # warned too recently
        ("user:1", "no_show", 4, 10, 30, 40, False),  # nothing since the warning
        ("user:1", "no_show", 4, 40, 30, 5, False),  # 10%: a careful user's rate
        ("user:1", "no_show", 3, 10, 30, 5, True),  # the third violation after the warning (since issue 18.8 item 8)
        ("user:1", "no_show", 3, 10, None, 5, False),  # the third without a warning
        ("user:1", "no_show", 3, 25, 30, 5, False),  # 12%: under the rate
        ("user:1", "no_show", 2, 10, 30, 5, False),  # too few
        ("unit:1", "refusal_unjustified", 10, 30, 30, 5, True),
        ("unit:1", "response_late", 10, 200, 30, 5, False),  # 5%: a good provider's late answers
        ("unit:1", "refusal_unjustified", 9, 20, 30, 5, False),  # too few for a provider
    ],
)
def test_violations_rule_is_rate_based_and_warned_first(
    key, kind, count, bookings, warned_days_ago, last_days_ago, proposed
):
    now = timezone.now()
    days = [60 - n for n in range(count - 1)] + [last_days_ago]
    warned_at = now - timedelta(days=warned_days_ago) if warned_days_ago is not None else None
    facts = policy.ListFacts(
        key, violations=_violations(kind, days, now), bookings=bookings, warned_at=warned_at, as_of=now
    )
    assert policy.violations_rule_met(facts) is proposed
    assert [p.rule for p in policy.proposals_for(facts)] == (["violations"] if proposed else [])


def test_warning_for_after_the_second_violation_of_a_person_and_a_high_rate_of_a_provider():
    now = timezone.now()
    two = _violations("no_show", [5, 4], now)
    assert policy.warning_for(policy.ListFacts("user:1", violations=two, bookings=40)) is not None
    assert policy.warning_for(policy.ListFacts("user:1", violations=two[:1], bookings=40)) is None
    assert policy.warning_for(policy.ListFacts("user:1", violations=two, bookings=40, warned_at=now)) is None
    listed = policy.ListFacts("user:1", violations=two, bookings=4, open_lists=frozenset({"black"}))
    assert policy.warning_for(listed) is None
    late = _violations("response_late", [9, 8, 7, 6], now)
    assert policy.warning_for(policy.ListFacts("unit:1", violations=late, bookings=80)) is None  # 5%
    assert policy.warning_for(policy.ListFacts("unit:1", violations=late, bookings=20)) is not None  # 20%


def _damage(days_ago: float, now: datetime, pk: int = 90) -> policy.EventFact:
    return policy.EventFact(pk, "damage_confirmed", "serious", now - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("damage_days_ago", "warned_days_ago", "violation_days_ago", "proposed"),
    [
        (40, None, [], False),  # a serious accident alone: a warning, no proposal
        (40, 35, [], False),  # warned for it, nothing since
        (40, 35, [5], False),  # warned for it, then one overrun: not a pattern (the seed-1 honest case)
        (40, 35, [20, 5], True),  # warned for it, then two more faults: three at a high rate
        (40, 35, [38, 36], False),  # the other faults came before the warning
        (40, 3, [2, 1], False),  # faults after a warning still in its notice period
        (10, 30, [45, 40], True),  # the damage is the third fault, after a warning for two violations
    ],
)
def test_serious_damage_proposes_only_with_a_fault_after_a_warning(
    damage_days_ago, warned_days_ago, violation_days_ago, proposed
):
    """An accident, even serious, is warned first and counts as a violation; intent (misuse, fraud, breach) proposes
    at once (issue 18.8)."""
    now = timezone.now()
    violations = _violations("late_cancellation", violation_days_ago, now)
    warned_at = now - timedelta(days=warned_days_ago) if warned_days_ago is not None else None
    facts = policy.ListFacts(
        "user:1",
        score=549,
        capped=True,
        accidents=(_damage(damage_days_ago, now),),
        violations=violations,
        bookings=15,
        warned_at=warned_at,
        as_of=now,
    )
    assert policy.serious_damage_rule_met(facts) is proposed
    proposals = policy.proposals_for(facts)
    assert [(p.rule, p.severity) for p in proposals] == ([("serious_damage", "serious")] if proposed else [])
    if proposed:
        assert {event.kind for event in proposals[0].basis} >= {"damage_confirmed"}


def test_serious_damage_twice_after_a_warning_proposes_at_a_low_rate_too():
    now = timezone.now()
    facts = policy.ListFacts(
        "user:1", accidents=(_damage(40, now), _damage(5, now, pk=91)), bookings=60,
        warned_at=now - timedelta(days=35), as_of=now,
    )  # fmt: skip
    assert policy.serious_damage_rule_met(facts)
    assert not policy.serious_damage_rule_met(policy.ListFacts(**{**facts.__dict__, "accidents": facts.accidents[:1]}))


def test_serious_damage_brings_a_warning_at_once():
    now = timezone.now()
    facts = policy.ListFacts("user:1", accidents=(_damage(2, now),), bookings=30, as_of=now)
    warning = policy.warning_for(facts)
    assert warning is not None
    assert warning.reason.startswith("Confirmed serious damage: 1 x ")
    assert [event.kind for event in warning.basis] == ["damage_confirmed"]
    assert policy.warning_for(policy.ListFacts("user:1", bookings=30, as_of=now)) is None


@pytest.mark.parametrize("kind", ["misuse_confirmed", "fraud_confirmed", "breach_confirmed"])
def test_intentional_serious_event_proposes_at_once(kind):
    now = timezone.now()
    facts = policy.ListFacts("user:1", score=549, capped=True, severe=(policy.EventFact(1, kind, "serious", now),))
    assert [(p.rule, p.severity) for p in policy.proposals_for(facts)] == [("severe_event", "serious")]
    assert kind in params.BLACK_SEVERE_KINDS
    assert "damage_confirmed" not in params.BLACK_SEVERE_KINDS


def test_score_floor_ignores_a_score_held_down_by_a_cap():
    """A cap (549 after a serious event) is that event's consequence; its own rule decides on the list."""
    now = timezone.now()
    warned = now - timedelta(days=params.WARNING_NOTICE_DAYS)
    assert policy.proposals_for(policy.ListFacts("user:1", score=549, capped=True, warned_at=warned, as_of=now)) == []
    (proposal,) = policy.proposals_for(policy.ListFacts("user:1", score=549, warned_at=warned, as_of=now))
    assert proposal.rule == "score_floor"


def test_score_floor_needs_a_warning_given_before_the_notice():
    """Under 2026.12-6 a verified newcomer's two no-shows alone score under the floor: a warning comes first."""
    now = timezone.now()
    assert policy.proposals_for(policy.ListFacts("user:1", score=521, as_of=now)) == []
    fresh = now - timedelta(days=params.WARNING_NOTICE_DAYS - 1)
    assert policy.proposals_for(policy.ListFacts("user:1", score=521, warned_at=fresh, as_of=now)) == []
    old = now - timedelta(days=params.WARNING_NOTICE_DAYS)
    (proposal,) = policy.proposals_for(policy.ListFacts("user:1", score=521, warned_at=old, as_of=now))
    assert (proposal.rule, proposal.list_type) == ("score_floor", "black")


def test_proposals_for_severe_event_takes_precedence_and_open_lists_block():
    now = timezone.now()
    severe = (policy.EventFact(1, "fraud_confirmed", "serious", now),)
    violations = tuple(policy.EventFact(n, "no_show", "", now) for n in range(2, 6))
    facts = policy.ListFacts("user:1", score=500, violations=violations, severe=severe)
    (proposal,) = policy.proposals_for(facts)
    assert (proposal.rule, proposal.severity) == ("severe_event", "serious")
    blocked = policy.ListFacts("user:1", score=500, violations=violations, open_lists=frozenset({"black"}))
    assert policy.proposals_for(blocked) == []
    red = policy.ListFacts("unit:1", score=params.RED_MIN_SCORE, fulfilled_in_window=params.RED_MIN_FULFILLED["unit"])
    assert [p.list_type for p in policy.proposals_for(red)] == ["red"]
    assert policy.proposals_for(policy.ListFacts("unit:1", score=900, fulfilled_in_window=1)) == []


@pytest.mark.django_db
def test_credit_black_list_history_counts_published_entries_only():
    user = UserFactory()
    ListEntryFactory(subject=user, status=ListEntry.Status.REJECTED)
    assert not credit_black_list_history(user)
    now = timezone.now()
    ListEntryFactory(
        subject=user, status="expired", published_at=now - timedelta(days=200), expires_at=now - timedelta(days=10)
    )
    assert credit_black_list_history(user)
