"""Pure booking rules: they read what they are given and return problems or decisions, never write.

`booking_problems` is the one policy function: it asks each rule of the table BOOKING_RULES, one
small function per rule, and lists the problems they find. Credit tiers widen or narrow the limits
through the `standing` passed in (horizon_factor, quota_factor), and gate through blacklisted / min
score. The provider unit's standing gates too: a black-listed provider cannot take new bookings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from credit.selectors import NEUTRAL_STANDING, CreditStanding

from .availability import covers, open_intervals
from .error_codes import BookingRule
from .refusal_policy import (  # noqa: F401 -- the refusal rule is part of the booking policy's surface
    REFUSAL_HARM_LOOKBACK,
    RefusalFacts,
    refusal_explanation,
    refusal_justification,
)


@dataclass(frozen=True)
class Problem:
    """One broken rule: `rule` is a stable machine name, `message` says it in words."""

    rule: BookingRule
    message: str
    field: str | None = None

    def as_dict(self) -> dict:
        body: dict = {"code": self.rule, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


@dataclass(frozen=True)
class QualificationFacts:
    """What the policy needs to know about the user's qualification on the instrument."""

    granted_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def qualification_valid(qualification: QualificationFacts | None, *, lapse_days: int | None, now: datetime) -> bool:
    """Granted, not revoked, and used (or granted) within the lapse period."""
    if qualification is None or qualification.revoked_at is not None:
        return False
    if lapse_days is None:
        return True
    last = qualification.last_used_at or qualification.granted_at
    return now - last <= timedelta(days=lapse_days)


def _hours(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / Decimal(3600)


def _fmt(value: Decimal | float) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.1')).normalize():f}"


@dataclass(frozen=True)
class BookingRequest:
    """Everything the rules read about one request for [start, end), with the figures several rules share.

    existing_bookings: the user's live bookings of this instrument (objects with start and end), without
    the booking being moved. blackouts: objects with start, end and reason.
    """

    instrument: Any
    policy: Any
    user: Any
    start: datetime
    end: datetime
    existing_bookings: Sequence
    standing: CreditStanding
    now: datetime
    tz: tzinfo
    provider_standing: CreditStanding
    opening_hours: Iterable[tuple[int, time, time]]
    blackouts: Sequence
    qualification: QualificationFacts | None
    operator_assisted: bool
    project_code: str

    @cached_property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.tz)

    @cached_property
    def requested_hours(self) -> Decimal:
        return _hours(self.start, self.end)

    def booked_hours_between(self, first: datetime, until: datetime) -> Decimal:
        """Hours of the user's bookings starting in [first, until)."""
        return sum((_hours(b.start, b.end) for b in self.existing_bookings if first <= b.start < until), Decimal(0))


# One rule: reads the request, returns the one problem it finds or None.
Rule = Callable[[BookingRequest], Problem | None]


# --- Gates: the instrument, its provider and the user's standing -------------------------------


def instrument_available(request: BookingRequest) -> Problem | None:
    instrument = request.instrument
    if instrument.status == "available":
        return None
    return Problem(
        BookingRule.INSTRUMENT_STATUS,
        _("The instrument cannot be booked while it is %(status)s.")
        % {"status": instrument.get_status_display().lower()},
        "instrument",
    )


def provider_verified(request: BookingRequest) -> Problem | None:
    if request.instrument.unit.is_verified:
        return None
    return Problem(
        BookingRule.PROVIDER_STATUS, _("The instrument's unit is not verified; it cannot take bookings."), "instrument"
    )


def provider_not_black_listed(request: BookingRequest) -> Problem | None:
    if not request.provider_standing.blacklisted:
        return None
    return Problem(
        BookingRule.PROVIDER_BLACKLIST,
        _(
            "Black list: the instrument's unit is on the platform's black list and cannot accept new bookings "
            "until its entry ends or is repaired."
        ),
        "instrument",
    )


def user_not_black_listed(request: BookingRequest) -> Problem | None:
    if not request.standing.blacklisted:
        return None
    return Problem(
        BookingRule.CREDIT_BLACKLIST,
        _(
            "Black list: you are on the platform's black list and cannot book instruments until the entry ends "
            "or is repaired. You may object to the entry, or request credit repair, from your credit page."
        ),
    )


def minimum_credit(request: BookingRequest) -> Problem | None:
    """A subject not scored yet (no snapshot; the nightly recompute scores everyone) is not refused here;
    their request waits for the provider's approval instead (unscored_needs_approval)."""
    minimum, score = request.instrument.min_credit_score, request.standing.score
    if minimum is None or score is None or score >= minimum:
        return None
    return Problem(
        BookingRule.CREDIT_MINIMUM,
        _("Minimum credit: this instrument requires a credit score of at least %(min)s; yours is %(score)s.")
        % {"min": minimum, "score": score},
    )


# --- The time range itself ---------------------------------------------------------------------


def end_after_start(request: BookingRequest) -> Problem | None:
    """Broken, it stops the check: the rules after it need a range that is not empty."""
    if request.end > request.start:
        return None
    return Problem(BookingRule.TIME_RANGE, _("The end must be after the start."), "end")


def notice(request: BookingRequest) -> Problem | None:
    """Not in the past, and at least the policy's minimum notice ahead."""
    if request.start < request.now:
        return Problem(BookingRule.PAST, _("The start is in the past."), "start")
    hours = request.policy.min_notice_hours
    if request.start < request.now + timedelta(hours=hours):
        return Problem(
            BookingRule.MINIMUM_NOTICE,
            _("Minimum notice: bookings must start at least %(hours)s hours from now.") % {"hours": hours},
            "start",
        )
    return None


def horizon(request: BookingRequest) -> Problem | None:
    """At most the policy's horizon ahead, stretched or shortened by the user's credit."""
    ahead = timedelta(days=request.policy.horizon_days * request.standing.horizon_factor)
    if request.start <= request.now + ahead:
        return None
    return Problem(
        BookingRule.BOOKING_HORIZON,
        _("Booking horizon: bookings may start at most %(days)s days ahead.")
        % {"days": _fmt(ahead.total_seconds() / 86400)},
        "start",
    )


def minimum_duration(request: BookingRequest) -> Problem | None:
    minutes = request.policy.min_duration_minutes
    if request.end - request.start >= timedelta(minutes=minutes):
        return None
    return Problem(
        BookingRule.MINIMUM_DURATION,
        _("Minimum duration: a booking lasts at least %(minutes)s minutes.") % {"minutes": minutes},
        "end",
    )


def maximum_duration(request: BookingRequest) -> Problem | None:
    hours = request.policy.max_duration_hours
    if request.end - request.start <= timedelta(hours=hours):
        return None
    return Problem(
        BookingRule.MAXIMUM_DURATION,
        _("Maximum duration: a booking lasts at most %(hours)s hours.") % {"hours": hours},
        "end",
    )


def days_spanned(request: BookingRequest) -> Problem | None:
    """Past midnight only where the policy allows overnight (under 24 hours) or multi-day bookings."""
    policy = request.policy
    local_last = (request.end - timedelta(microseconds=1)).astimezone(request.tz)
    spanned = (local_last.date() - request.local_start.date()).days
    if spanned < 1 or policy.allow_multi_day:
        return None
    if spanned == 1 and request.end - request.start < timedelta(hours=24):
        if policy.allow_overnight:
            return None
        return Problem(BookingRule.OVERNIGHT, _("Overnight bookings (running past midnight) are not allowed."), "end")
    return Problem(BookingRule.MULTI_DAY, _("Bookings spanning several days are not allowed."), "end")


# --- The calendar: opening hours and blackouts -------------------------------------------------


def within_opening_hours(request: BookingRequest) -> Problem | None:
    start, end = request.start, request.end
    if covers(open_intervals(request.opening_hours, start, end, request.tz), start, end):
        return None
    return Problem(
        BookingRule.OPENING_HOURS, _("Opening hours: the instrument is closed during part of this time."), "start"
    )


def outside_blackouts(request: BookingRequest) -> Problem | None:
    """Names the first blackout the request meets."""
    blackout = next((b for b in request.blackouts if b.start < request.end and b.end > request.start), None)
    if blackout is None:
        return None
    return Problem(
        BookingRule.BLACKOUT,
        _("Blackout period: the instrument is unavailable from %(start)s to %(end)s%(reason)s.")
        % {
            "start": blackout.start.astimezone(request.tz).strftime("%Y-%m-%d %H:%M"),
            "end": blackout.end.astimezone(request.tz).strftime("%Y-%m-%d %H:%M"),
            "reason": f" ({blackout.reason})" if blackout.reason else "",
        },
        "start",
    )


# --- The user's own bookings: per day, in the future, gaps, quotas -----------------------------


def bookings_per_day(request: BookingRequest) -> Problem | None:
    limit = request.policy.max_bookings_per_day
    if limit is None:
        return None
    day = request.local_start.date()
    same_day = [b for b in request.existing_bookings if b.start.astimezone(request.tz).date() == day]
    if len(same_day) + 1 <= limit:
        return None
    return Problem(
        BookingRule.BOOKINGS_PER_DAY,
        _("Bookings per day: you may hold at most %(count)s bookings of this instrument on one day.")
        % {"count": limit},
        "start",
    )


def bookings_in_future(request: BookingRequest) -> Problem | None:
    limit = request.policy.max_future_bookings
    if limit is None:
        return None
    future = [b for b in request.existing_bookings if b.end > request.now]
    if len(future) + 1 <= limit:
        return None
    return Problem(
        BookingRule.BOOKINGS_IN_FUTURE,
        _("Bookings in the future: you may hold at most %(count)s upcoming bookings of this instrument.")
        % {"count": limit},
    )


def gap_to_own_bookings(request: BookingRequest) -> Problem | None:
    """The first of the user's bookings closer than the minimum gap: an overlap, or too close."""
    gap = timedelta(minutes=request.policy.min_gap_minutes)
    start, end = request.start, request.end
    near = next((b for b in request.existing_bookings if b.start < end + gap and b.end > start - gap), None)
    if near is None:
        return None
    if near.start < end and near.end > start:
        return Problem(
            BookingRule.OWN_OVERLAP, _("You already have a booking of this instrument at this time."), "start"
        )
    return Problem(
        BookingRule.MINIMUM_GAP,
        _("Minimum gap: leave at least %(minutes)s minutes between your bookings of this instrument.")
        % {"minutes": request.policy.min_gap_minutes},
        "start",
    )


def weekly_quota(request: BookingRequest) -> Problem | None:
    """The policy's weekly hours, scaled by the user's credit (quota_factor)."""
    if request.policy.quota_hours_per_week is None:
        return None
    local_start = request.local_start
    week_start = (local_start - timedelta(days=local_start.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    used = request.booked_hours_between(week_start, week_start + timedelta(days=7))
    limit = Decimal(request.policy.quota_hours_per_week) * Decimal(str(request.standing.quota_factor))
    if used + request.requested_hours <= limit:
        return None
    return Problem(
        BookingRule.WEEKLY_QUOTA,
        _("Hours quota per week: %(limit)s hours; you have %(used)s booked that week.")
        % {"limit": _fmt(limit), "used": _fmt(used)},
    )


def monthly_quota(request: BookingRequest) -> Problem | None:
    """The policy's monthly hours, scaled by the user's credit (quota_factor)."""
    if request.policy.quota_hours_per_month is None:
        return None
    month_start = request.local_start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    used = request.booked_hours_between(month_start, (month_start + timedelta(days=32)).replace(day=1))
    limit = Decimal(request.policy.quota_hours_per_month) * Decimal(str(request.standing.quota_factor))
    if used + request.requested_hours <= limit:
        return None
    return Problem(
        BookingRule.MONTHLY_QUOTA,
        _("Hours quota per month: %(limit)s hours; you have %(used)s booked that month.")
        % {"limit": _fmt(limit), "used": _fmt(used)},
    )


# --- Who may operate it, and what the provider asks for ----------------------------------------


def operator_assistance_offered(request: BookingRequest) -> Problem | None:
    if not request.operator_assisted or request.policy.operator_assistance_offered:
        return None
    return Problem(
        BookingRule.OPERATOR_ASSISTANCE, _("This instrument does not offer operator assistance."), "operator_assisted"
    )


def qualified_or_assisted(request: BookingRequest) -> Problem | None:
    """A valid qualification where the instrument requires one, unless an operator assists."""
    policy, qualification = request.policy, request.qualification
    qualified = qualification_valid(qualification, lapse_days=policy.qualification_lapse_days, now=request.now)
    assisted = request.operator_assisted and policy.operator_assistance_offered
    if not request.instrument.requires_qualification or qualified or assisted:
        return None
    if qualification is not None and qualification.revoked_at is None:
        message = _("Qualification: yours has lapsed after %(days)s days without use.") % {
            "days": policy.qualification_lapse_days
        }
    else:
        message = _("Qualification: you are not qualified to operate this instrument.")
    if policy.operator_assistance_offered:
        message += " " + _("You may book with operator assistance instead.")
    return Problem(BookingRule.QUALIFICATION, message, "operator_assisted")


def project_code_given(request: BookingRequest) -> Problem | None:
    if not request.policy.project_code_required or request.project_code.strip():
        return None
    return Problem(BookingRule.PROJECT_CODE, _("This instrument requires a project or funding code."), "project_code")


# The rules in the order their problems are listed. When `end_after_start` is broken the rules
# after it are not asked (they need a range that is not empty).
BOOKING_RULES: tuple[Rule, ...] = (
    instrument_available,
    provider_verified,
    provider_not_black_listed,
    user_not_black_listed,
    minimum_credit,
    end_after_start,
    notice,
    horizon,
    minimum_duration,
    maximum_duration,
    days_spanned,
    within_opening_hours,
    outside_blackouts,
    bookings_per_day,
    bookings_in_future,
    gap_to_own_bookings,
    weekly_quota,
    monthly_quota,
    operator_assistance_offered,
    qualified_or_assisted,
    project_code_given,
)


def booking_problems(
    *,
    instrument,
    policy,
    user,
    start: datetime,
    end: datetime,
    existing_bookings: Sequence,
    standing: CreditStanding,
    now: datetime,
    tz: tzinfo,
    provider_standing: CreditStanding = NEUTRAL_STANDING,
    opening_hours: Iterable[tuple[int, time, time]] = (),
    blackouts: Sequence = (),
    qualification: QualificationFacts | None = None,
    operator_assisted: bool = False,
    project_code: str = "",
) -> list[Problem]:
    """Every rule of BOOKING_RULES the request [start, end) breaks, in words, in the table's order."""
    request = BookingRequest(
        instrument=instrument,
        policy=policy,
        user=user,
        start=start,
        end=end,
        existing_bookings=existing_bookings,
        standing=standing,
        now=now,
        tz=tz,
        provider_standing=provider_standing,
        opening_hours=opening_hours,
        blackouts=blackouts,
        qualification=qualification,
        operator_assisted=operator_assisted,
        project_code=project_code,
    )
    problems: list[Problem] = []
    for rule in BOOKING_RULES:
        problem = rule(request)
        if problem is not None:
            problems.append(problem)
            if rule is end_after_start:
                break
    return problems


def price_quote(*, instrument, internal: bool, start: datetime, end: datetime) -> tuple[str, Decimal, Decimal]:
    """(rate kind, hourly rate, price) in CNY for [start, end): internal rate for the provider's own members."""
    rate_kind = "internal" if internal else "external"
    rate = instrument.hourly_rate_internal if internal else instrument.hourly_rate_external
    price = (rate * _hours(start, end)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return rate_kind, rate, price


def deposit_decision(*, instrument, standing: CreditStanding) -> tuple[Decimal, bool]:
    """(deposit amount, waived). Good credit waives the deposit (the credit engine decides who)."""
    amount = instrument.deposit or Decimal("0")
    if amount <= 0:
        return Decimal("0"), False
    return amount, bool(standing.deposit_waived)


# Tiers whose requests a provider always approves by hand, even on instruments that approve
# automatically (the design's "poor: deposit plus manual approval"; "bad" is normally black-listed).
MANUAL_APPROVAL_TIERS = frozenset({"poor", "bad"})


def unscored_needs_approval(*, instrument, standing: CreditStanding) -> bool:
    """The rule for people not scored yet on an instrument with a minimum credit score: they may request it
    (the minimum cannot refuse a score that does not exist), but the provider approves each such request by
    hand, even where bookings are otherwise confirmed at once. Pages state it; the API and pages apply it."""
    return instrument.min_credit_score is not None and standing.score is None


def auto_approval_decision(*, instrument, policy, standing: CreditStanding) -> bool:
    """Approve at once when the instrument does not need approval (unless poor credit, or no score on an
    instrument with a minimum, asks for a look by hand), or credit earns it where the provider allows it."""
    if unscored_needs_approval(instrument=instrument, standing=standing):
        return False
    if not instrument.requires_approval:
        return standing.tier not in MANUAL_APPROVAL_TIERS
    return bool(policy.allow_credit_auto_approval and standing.auto_approval_eligible)


def cancellation_is_late(*, policy, start: datetime, now: datetime) -> bool:
    """Late when inside the cancellation notice window before the start."""
    return now > start - timedelta(hours=policy.cancellation_notice_hours)


CHECK_IN_OPENS_BEFORE_START = timedelta(minutes=30)


def check_in_opens_at(*, start: datetime) -> datetime:
    """Check-in opens this long before the booked start."""
    return start - CHECK_IN_OPENS_BEFORE_START


def no_show_opens_at(*, policy, start: datetime) -> datetime:
    """A no-show can be recorded once the no-show threshold has passed without a check-in: the same moment
    the automatic marking uses and the rules page states."""
    return start + timedelta(minutes=policy.no_show_threshold_minutes)


def action_opens_at(*, action: str, policy, start: datetime, now: datetime) -> datetime | None:
    """When an offered action that cannot succeed yet opens (None when it can be tried now)."""
    if action == "check-in":
        opens = check_in_opens_at(start=start)
    elif action == "no-show":
        opens = no_show_opens_at(policy=policy, start=start)
    else:
        return None
    return opens if now < opens else None


def check_in_is_punctual(*, policy, start: datetime, checked_in_at: datetime) -> bool:
    return checked_in_at <= start + timedelta(minutes=policy.grace_period_minutes)


def usage_overrun(*, booked_hours: Decimal, actual_hours: Decimal) -> bool:
    """Booked time more than double the used time: a fact the black-list rule counts."""
    return booked_hours > 2 * actual_hours
