"""The credit parts of the pure booking policy: provider gate and refusal justification (no database)."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bookings.models import BookingPolicy
from bookings.policy import auto_approval_decision, booking_problems, refusal_justification
from credit.selectors import NEUTRAL_STANDING, standing_from

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
    assert _rules(provider_standing=standing_from(800, blacklisted=True)) == ["provider_blacklist"]
    # A low provider score alone is no gate; only the published black entry is.
    assert _rules(provider_standing=standing_from(400, blacklisted=False)) == []


def test_policy_black_listed_user_and_provider_both_named():
    black = standing_from(500, blacklisted=True)
    assert _rules(standing=black, provider_standing=black) == ["provider_blacklist", "credit_blacklist"]


def test_refusal_justification_rules():
    fair = standing_from(650, blacklisted=False)
    assert refusal_justification(instrument=_instrument(), standing=fair, black_list_history=False) == ""
    assert (
        refusal_justification(instrument=_instrument(), standing=fair, black_list_history=True) == "black_list_history"
    )
    assert (
        refusal_justification(instrument=_instrument(min_credit_score=700), standing=fair, black_list_history=False)
        == "below_minimum_credit"
    )
    # Not yet scored: the minimum does not justify a refusal (it did not refuse the request either).
    assert (
        refusal_justification(
            instrument=_instrument(min_credit_score=700), standing=NEUTRAL_STANDING, black_list_history=False
        )
        == ""
    )
    assert (
        refusal_justification(instrument=_instrument(status="maintenance"), standing=fair, black_list_history=False)
        == "instrument_unavailable"
    )


def test_auto_approval_poor_credit_is_approved_by_hand():
    automatic = _instrument(requires_approval=False)
    policy = BookingPolicy()
    for score, expected in ((850, True), (650, True), (580, False), (400, False)):
        standing = standing_from(score, blacklisted=False)
        assert auto_approval_decision(instrument=automatic, policy=policy, standing=standing) is expected
    assert auto_approval_decision(instrument=automatic, policy=policy, standing=NEUTRAL_STANDING) is True
