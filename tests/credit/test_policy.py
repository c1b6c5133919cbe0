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
