"""The booking policy as a pure function: one test per rule, no database."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bookings.models import BookingPolicy
from bookings.policy import (
    QualificationFacts,
    auto_approval_decision,
    booking_problems,
    deposit_decision,
    price_quote,
    usage_overrun,
)
from credit.selectors import NEUTRAL_STANDING, CreditStanding

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=TZ)  # a Monday


def _instrument(**kw):
    values = {
        "status": "available",
        "get_status_display": lambda: "Available",
        "unit": SimpleNamespace(is_verified=True),
        "min_credit_score": None,
        "requires_qualification": False,
        "requires_approval": True,
        "deposit": 1000,
        "hourly_rate_internal": 100,
        "hourly_rate_external": 300,
    }
    values.update(kw)
    return SimpleNamespace(**values)


def _policy(**kw):
    return BookingPolicy(**kw)


def _at(day_offset, hour, minute=0):
    return (NOW + timedelta(days=day_offset)).replace(hour=hour, minute=minute)


def _rules(*, start=None, end=None, instrument=None, policy=None, existing=(), standing=NEUTRAL_STANDING, **kw):
    start = start or _at(2, 10)
    end = end or start + timedelta(hours=2)
    problems = booking_problems(
        instrument=instrument or _instrument(),
        policy=policy or _policy(),
        user=None,
        start=start,
        end=end,
        existing_bookings=list(existing),
        standing=standing,
        now=NOW,
        tz=TZ,
        **kw,
    )
    return [problem.rule for problem in problems]


def _booking(start, hours=2):
    return SimpleNamespace(start=start, end=start + timedelta(hours=hours))


def test_policy_clean_request_has_no_problems():
    assert _rules() == []


def test_policy_time_range_reversed_and_zero():
    assert _rules(start=_at(2, 10), end=_at(2, 9)) == ["time_range"]
    assert _rules(start=_at(2, 10), end=_at(2, 10)) == ["time_range"]


def test_policy_past_and_minimum_notice():
    assert "past" in _rules(start=NOW - timedelta(hours=1))
    assert _rules(start=NOW + timedelta(hours=1), policy=_policy(min_notice_hours=2)) == ["minimum_notice"]
    assert _rules(start=NOW + timedelta(hours=3), policy=_policy(min_notice_hours=2)) == []


def test_policy_horizon_scaled_by_credit():
    far = _at(40, 10)
    assert _rules(start=far, policy=_policy(horizon_days=30)) == ["booking_horizon"]
    wide = CreditStanding(score=850, tier="excellent", blacklisted=False, deposit_waived=True,
                          auto_approval_eligible=True, horizon_factor=1.5)  # fmt: skip
    assert _rules(start=far, policy=_policy(horizon_days=30), standing=wide) == []


def test_policy_min_and_max_duration():
    assert _rules(end=_at(2, 10, 15), policy=_policy(min_duration_minutes=30)) == ["minimum_duration"]
    assert _rules(end=_at(2, 19), policy=_policy(max_duration_hours=8)) == ["maximum_duration"]


def test_policy_overnight_and_multi_day():
    overnight = {"start": _at(2, 20), "end": _at(3, 2)}
    assert _rules(**overnight, policy=_policy(max_duration_hours=48)) == ["overnight"]
    assert _rules(**overnight, policy=_policy(max_duration_hours=48, allow_overnight=True)) == []
    multi = {"start": _at(2, 10), "end": _at(4, 10)}
    assert _rules(**multi, policy=_policy(max_duration_hours=72, allow_overnight=True)) == ["multi_day"]
    assert _rules(**multi, policy=_policy(max_duration_hours=72, allow_multi_day=True)) == []
    # Ending exactly at midnight is not overnight.
    assert _rules(start=_at(2, 20), end=_at(3, 0)) == []


def test_policy_bookings_per_day():
    existing = [_booking(_at(2, 14))]
    assert _rules(existing=existing, policy=_policy(max_bookings_per_day=1)) == ["bookings_per_day"]
    assert _rules(existing=existing, policy=_policy(max_bookings_per_day=2)) == []


def test_policy_bookings_in_future():
    existing = [_booking(_at(3, 10)), _booking(_at(4, 10))]
    assert _rules(existing=existing, policy=_policy(max_future_bookings=2)) == ["bookings_in_future"]
    assert _rules(existing=existing, policy=_policy(max_future_bookings=3)) == []


def test_policy_minimum_gap_and_own_overlap():
    existing = [_booking(_at(2, 12, 30))]
    assert _rules(existing=existing, policy=_policy(min_gap_minutes=60)) == ["minimum_gap"]
    assert _rules(existing=existing, policy=_policy(min_gap_minutes=30)) == []
    assert _rules(existing=[_booking(_at(2, 11))]) == ["own_overlap"]


def test_policy_weekly_and_monthly_quota_scaled_by_credit():
    existing = [_booking(_at(1, 10), hours=7)]  # same ISO week (Tuesday)
    assert _rules(existing=existing, policy=_policy(quota_hours_per_week=8)) == ["weekly_quota"]
    assert _rules(existing=existing, policy=_policy(quota_hours_per_week=9)) == []
    generous = CreditStanding(score=820, tier="excellent", blacklisted=False, deposit_waived=True,
                              auto_approval_eligible=True, quota_factor=2.0)  # fmt: skip
    assert _rules(existing=existing, policy=_policy(quota_hours_per_week=8), standing=generous) == []
    # Next week's booking does not count this week.
    assert _rules(existing=[_booking(_at(8, 10), hours=7)], policy=_policy(quota_hours_per_week=8)) == []
    assert _rules(existing=existing, policy=_policy(quota_hours_per_month=8)) == ["monthly_quota"]


def test_policy_opening_hours():
    weekdays = [(d, time(9), time(17)) for d in range(5)]
    assert _rules(opening_hours=weekdays) == []
    assert _rules(start=_at(2, 16), opening_hours=weekdays) == ["opening_hours"]
    saturday = _at(5, 10)
    assert _rules(start=saturday, opening_hours=weekdays) == ["opening_hours"]


def test_policy_blackout():
    blackout = SimpleNamespace(start=_at(2, 11), end=_at(2, 12), reason="annual service")
    assert _rules(blackouts=[blackout]) == ["blackout"]
    touching = SimpleNamespace(start=_at(2, 12), end=_at(2, 13), reason="")
    assert _rules(blackouts=[touching]) == []


def test_policy_instrument_status_and_unverified_provider():
    maintenance = _instrument(status="maintenance", get_status_display=lambda: "In maintenance")
    assert _rules(instrument=maintenance) == ["instrument_status"]
    assert _rules(instrument=_instrument(unit=SimpleNamespace(is_verified=False))) == ["provider_status"]


def test_policy_qualification_lapses_and_operator_assistance():
    instrument = _instrument(requires_qualification=True)
    assert _rules(instrument=instrument) == ["qualification"]
    fresh = QualificationFacts(granted_at=NOW - timedelta(days=100), last_used_at=NOW - timedelta(days=10),
                               revoked_at=None)  # fmt: skip
    assert _rules(instrument=instrument, qualification=fresh, policy=_policy(qualification_lapse_days=30)) == []
    stale = QualificationFacts(granted_at=NOW - timedelta(days=100), last_used_at=None, revoked_at=None)
    assert _rules(instrument=instrument, qualification=stale, policy=_policy(qualification_lapse_days=30)) == [
        "qualification"
    ]
    offered = _policy(qualification_lapse_days=30, operator_assistance_offered=True)
    assert _rules(instrument=instrument, qualification=stale, policy=offered, operator_assisted=True) == []
    assert _rules(operator_assisted=True) == ["operator_assistance"]


def test_policy_project_code_required():
    assert _rules(policy=_policy(project_code_required=True)) == ["project_code"]
    assert _rules(policy=_policy(project_code_required=True), project_code="NSFC-123") == []


def test_policy_credit_gates():
    black = CreditStanding(score=400, tier="bad", blacklisted=True, deposit_waived=False, auto_approval_eligible=False)
    assert "credit_blacklist" in _rules(standing=black)
    low = CreditStanding(score=600, tier="fair", blacklisted=False, deposit_waived=False, auto_approval_eligible=False)
    assert _rules(instrument=_instrument(min_credit_score=700), standing=low) == ["credit_minimum"]
    # Not yet scored: the minimum does not apply.
    assert _rules(instrument=_instrument(min_credit_score=700)) == []


def test_policy_several_problems_reported_together():
    rules = _rules(start=NOW + timedelta(minutes=30), end=NOW + timedelta(minutes=40),
                   policy=_policy(project_code_required=True))  # fmt: skip
    assert set(rules) == {"minimum_notice", "minimum_duration", "project_code"}


def test_policy_decisions_price_deposit_approval():
    instrument = _instrument()
    kind, rate, price = price_quote(instrument=instrument, internal=False, start=_at(2, 10), end=_at(2, 11, 30))
    assert (kind, rate, str(price)) == ("external", 300, "450.00")
    assert deposit_decision(instrument=instrument, standing=NEUTRAL_STANDING) == (1000, False)
    waived = CreditStanding(
        score=750, tier="good", blacklisted=False, deposit_waived=True, auto_approval_eligible=False
    )
    assert deposit_decision(instrument=instrument, standing=waived) == (1000, True)
    assert auto_approval_decision(instrument=instrument, policy=_policy(), standing=NEUTRAL_STANDING) is False
    eligible = CreditStanding(score=850, tier="excellent", blacklisted=False, deposit_waived=True,
                              auto_approval_eligible=True)  # fmt: skip
    assert auto_approval_decision(instrument=instrument, policy=_policy(), standing=eligible) is True
    assert (
        auto_approval_decision(
            instrument=instrument, policy=_policy(allow_credit_auto_approval=False), standing=eligible
        )
        is False
    )
    assert auto_approval_decision(instrument=_instrument(requires_approval=False), policy=_policy(),
                                  standing=NEUTRAL_STANDING) is True  # fmt: skip


@pytest.mark.parametrize(("booked", "actual", "overrun"), [("4", "1.9", True), ("4", "2", False), ("4", "4", False)])
def test_policy_usage_overrun(booked, actual, overrun):
    from decimal import Decimal

    assert usage_overrun(booked_hours=Decimal(booked), actual_hours=Decimal(actual)) is overrun


def test_policy_utc_input_is_judged_in_local_time():
    # 02:00 UTC is 10:00 in Shanghai: within weekday opening hours.
    start = _at(2, 10).astimezone(UTC)
    assert _rules(start=start, end=start + timedelta(hours=1), opening_hours=[(2, time(9), time(17))]) == []
