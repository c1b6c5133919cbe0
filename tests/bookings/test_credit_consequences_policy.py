"""The credit parts of the pure booking policy: provider gate and refusal justification (no database)."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bookings.models import BookingPolicy
from bookings.policy import (
    RefusalFacts,
    auto_approval_decision,
    booking_problems,
    refusal_explanation,
    refusal_justification,
)
from credit.selectors import NEUTRAL_STANDING, NO_HISTORY, CreditHistory, standing_from

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=TZ)


def _instrument(**kw):
    values = {
        "status": "available",
        "get_status_display": lambda: "Available",
        "unit": SimpleNamespace(is_verified=True),
        "min_credit_score": None,
        "requires_qualification": False,
    }
    return SimpleNamespace(**{**values, **kw})


def _rules(**kw):
    start = NOW + timedelta(days=2)
    problems = booking_problems(
        instrument=kw.pop("instrument", _instrument()),
        policy=BookingPolicy(),
        user=None,
        start=start,
        end=start + timedelta(hours=2),
        existing_bookings=[],
        standing=kw.pop("standing", NEUTRAL_STANDING),
        now=NOW,
        tz=TZ,
        **kw,
    )
    return [problem.rule for problem in problems]


def test_policy_black_listed_provider_takes_no_requests():
    assert _rules() == []
    assert _rules(provider_standing=standing_from(800, blacklisted=True, history=NO_HISTORY)) == ["provider_blacklist"]
    # A low provider score alone is no gate; only the published black entry is.
    assert _rules(provider_standing=standing_from(400, blacklisted=False, history=NO_HISTORY)) == []


def test_policy_black_listed_user_and_provider_both_named():
    black = standing_from(500, blacklisted=True, history=NO_HISTORY)
    assert _rules(standing=black, provider_standing=black) == ["provider_blacklist", "credit_blacklist"]


def _refusal(**kw):
    values = {
        "requested_at": NOW,
        "black_list_history_at_request": False,
        "black_listed_now": False,
        "confirmed_harm_before_request": 0,
        "blackout": None,
        "blackout_applies_to_all": False,
    }
    return RefusalFacts(**{**values, **kw})


def test_refusal_justification_rules():
    assert refusal_justification(_refusal()) == ""
    assert refusal_justification(_refusal(black_list_history_at_request=True)) == "black_list_history"
    assert refusal_justification(_refusal(black_listed_now=True)) == "black_listed"
    assert refusal_justification(_refusal(confirmed_harm_before_request=1)) == "confirmed_damage_or_misuse"
    blackout = SimpleNamespace(start=NOW + timedelta(days=1), end=NOW + timedelta(days=3))
    assert refusal_justification(_refusal(blackout=blackout, blackout_applies_to_all=True)) == "declared_blackout"
    # A blackout that lets an approved booking through is no declared maintenance period.
    assert refusal_justification(_refusal(blackout=blackout, blackout_applies_to_all=False)) == ""


def test_refusal_explanation_says_whether_and_why():
    justification, text = refusal_explanation(_refusal(confirmed_harm_before_request=2), tz=TZ)
    assert justification == "confirmed_damage_or_misuse"
    assert "will count as justified" in text
    assert "two years" in text
    blackout = SimpleNamespace(start=NOW + timedelta(days=1), end=NOW + timedelta(days=3))
    justification, text = refusal_explanation(_refusal(blackout=blackout, blackout_applies_to_all=False), tz=TZ)
    assert justification == ""
    assert "against your unit's acceptance rate" in text
    assert "2026-05-05 08:00" in text
    justification, text = refusal_explanation(_refusal(), tz=TZ)
    assert justification == ""
    assert "does not justify" in text


def test_auto_approval_poor_credit_is_approved_by_hand():
    automatic = _instrument(requires_approval=False)
    policy = BookingPolicy()
    for score, expected in ((850, True), (650, True), (580, False), (400, False)):
        standing = standing_from(score, blacklisted=False, history=CreditHistory(3, 2))
        assert auto_approval_decision(instrument=automatic, policy=policy, standing=standing) is expected
    assert auto_approval_decision(instrument=automatic, policy=policy, standing=NEUTRAL_STANDING) is True
