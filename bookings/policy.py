"""Pure booking rules: they read what they are given and return problems or decisions, never write.

`booking_problems` is the one policy function; credit tiers widen or narrow its limits through the
`standing` they pass (horizon_factor, quota_factor), and gate through blacklisted / min score.
The provider unit's standing gates too: a black-listed provider cannot take new bookings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from credit.selectors import NEUTRAL_STANDING, CreditStanding

from .availability import covers, open_intervals
from .error_codes import BookingRule


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
    """Every rule the request [start, end) breaks, in words.

    existing_bookings: the user's live bookings of this instrument (objects with start and end),
    without the booking being moved. blackouts: objects with start, end and reason.
    """
    problems: list[Problem] = []

    def add(rule: BookingRule, message: str, field: str | None = None) -> None:
        problems.append(Problem(rule, message, field))

    # Gates: the instrument and the user's standing.
    if instrument.status != "available":
        add(
            BookingRule.INSTRUMENT_STATUS,
            _("The instrument cannot be booked while it is %(status)s.")
            % {"status": instrument.get_status_display().lower()},
            "instrument",
        )
    if not instrument.unit.is_verified:
        add(
            BookingRule.PROVIDER_STATUS,
            _("The instrument's unit is not verified; it cannot take bookings."),
            "instrument",
        )
    if provider_standing.blacklisted:
        add(
            BookingRule.PROVIDER_BLACKLIST,
            _(
                "Black list: the instrument's unit is on the platform's black list and cannot accept new bookings "
                "until its entry ends or is repaired."
            ),
            "instrument",
        )
    if standing.blacklisted:
        add(
            BookingRule.CREDIT_BLACKLIST,
            _(
                "Black list: you are on the platform's black list and cannot book instruments until the entry ends "
                "or is repaired. You may object to the entry, or request credit repair, from your credit page."
            ),
        )
    minimum = instrument.min_credit_score
    # A subject not scored yet (no snapshot; the nightly recompute scores everyone) is not refused here;
    # their request waits for the provider's approval instead (unscored_needs_approval).
    if minimum is not None and standing.score is not None and standing.score < minimum:
        add(
            BookingRule.CREDIT_MINIMUM,
            _("Minimum credit: this instrument requires a credit score of at least %(min)s; yours is %(score)s.")
            % {"min": minimum, "score": standing.score},
        )

    # The time range itself.
    if end <= start:
        add(BookingRule.TIME_RANGE, _("The end must be after the start."), "end")
        return problems
    duration = end - start
    if start < now:
        add(BookingRule.PAST, _("The start is in the past."), "start")
    elif start < now + timedelta(hours=policy.min_notice_hours):
        add(
            BookingRule.MINIMUM_NOTICE,
            _("Minimum notice: bookings must start at least %(hours)s hours from now.")
            % {"hours": policy.min_notice_hours},
            "start",
        )
    horizon = timedelta(days=policy.horizon_days * standing.horizon_factor)
    if start > now + horizon:
        add(
            BookingRule.BOOKING_HORIZON,
            _("Booking horizon: bookings may start at most %(days)s days ahead.")
            % {"days": _fmt(horizon.total_seconds() / 86400)},
            "start",
        )
    if duration < timedelta(minutes=policy.min_duration_minutes):
        add(
            BookingRule.MINIMUM_DURATION,
            _("Minimum duration: a booking lasts at least %(minutes)s minutes.")
            % {"minutes": policy.min_duration_minutes},
            "end",
        )
    if duration > timedelta(hours=policy.max_duration_hours):
        add(
            BookingRule.MAXIMUM_DURATION,
            _("Maximum duration: a booking lasts at most %(hours)s hours.") % {"hours": policy.max_duration_hours},
            "end",
        )
    local_start, local_last = start.astimezone(tz), (end - timedelta(microseconds=1)).astimezone(tz)
    days_spanned = (local_last.date() - local_start.date()).days
    if days_spanned >= 1 and not policy.allow_multi_day:
        if days_spanned == 1 and duration < timedelta(hours=24):
            if not policy.allow_overnight:
                add(BookingRule.OVERNIGHT, _("Overnight bookings (running past midnight) are not allowed."), "end")
        else:
            add(BookingRule.MULTI_DAY, _("Bookings spanning several days are not allowed."), "end")

    # Calendar: opening hours and blackouts.
    if not covers(open_intervals(opening_hours, start, end, tz), start, end):
        add(BookingRule.OPENING_HOURS, _("Opening hours: the instrument is closed during part of this time."), "start")
    for blackout in blackouts:
        if blackout.start < end and blackout.end > start:
            reason = f" ({blackout.reason})" if blackout.reason else ""
            add(
                BookingRule.BLACKOUT,
                _("Blackout period: the instrument is unavailable from %(start)s to %(end)s%(reason)s.")
                % {
                    "start": blackout.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    "end": blackout.end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    "reason": reason,
                },
                "start",
            )
            break

    # The user's own bookings: per day, in the future, gaps, quotas.
    if policy.max_bookings_per_day is not None:
        same_day = [b for b in existing_bookings if b.start.astimezone(tz).date() == local_start.date()]
        if len(same_day) + 1 > policy.max_bookings_per_day:
            add(
                BookingRule.BOOKINGS_PER_DAY,
                _("Bookings per day: you may hold at most %(count)s bookings of this instrument on one day.")
                % {"count": policy.max_bookings_per_day},
                "start",
            )
    if policy.max_future_bookings is not None:
        future = [b for b in existing_bookings if b.end > now]
        if len(future) + 1 > policy.max_future_bookings:
            add(
                BookingRule.BOOKINGS_IN_FUTURE,
                _("Bookings in the future: you may hold at most %(count)s upcoming bookings of this instrument.")
                % {"count": policy.max_future_bookings},
            )
    gap = timedelta(minutes=policy.min_gap_minutes)
    for booking in existing_bookings:
        if booking.start < end + gap and booking.end > start - gap:
            if booking.start < end and booking.end > start:
                add(BookingRule.OWN_OVERLAP, _("You already have a booking of this instrument at this time."), "start")
            else:
                add(
                    BookingRule.MINIMUM_GAP,
                    _("Minimum gap: leave at least %(minutes)s minutes between your bookings of this instrument.")
                    % {"minutes": policy.min_gap_minutes},
                    "start",
                )
            break
    requested_hours = _hours(start, end)
    quota_factor = Decimal(str(standing.quota_factor))
    if policy.quota_hours_per_week is not None:
        week_start = (local_start - timedelta(days=local_start.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        week_end = week_start + timedelta(days=7)
        used = sum((_hours(b.start, b.end) for b in existing_bookings if week_start <= b.start < week_end), Decimal(0))
        limit = Decimal(policy.quota_hours_per_week) * quota_factor
        if used + requested_hours > limit:
            add(
                BookingRule.WEEKLY_QUOTA,
                _("Hours quota per week: %(limit)s hours; you have %(used)s booked that week.")
                % {"limit": _fmt(limit), "used": _fmt(used)},
            )
    if policy.quota_hours_per_month is not None:
        month_start = local_start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        month_end = (month_start + timedelta(days=32)).replace(day=1)
        used = sum(
            (_hours(b.start, b.end) for b in existing_bookings if month_start <= b.start < month_end), Decimal(0)
        )
        limit = Decimal(policy.quota_hours_per_month) * quota_factor
        if used + requested_hours > limit:
            add(
                BookingRule.MONTHLY_QUOTA,
                _("Hours quota per month: %(limit)s hours; you have %(used)s booked that month.")
                % {"limit": _fmt(limit), "used": _fmt(used)},
            )

    # Who may operate it, and what the provider asks for.
    if operator_assisted and not policy.operator_assistance_offered:
        add(
            BookingRule.OPERATOR_ASSISTANCE,
            _("This instrument does not offer operator assistance."),
            "operator_assisted",
        )
    qualified = qualification_valid(qualification, lapse_days=policy.qualification_lapse_days, now=now)
    assisted = operator_assisted and policy.operator_assistance_offered
    if instrument.requires_qualification and not qualified and not assisted:
        if qualification is not None and qualification.revoked_at is None:
            message = _("Qualification: yours has lapsed after %(days)s days without use.") % {
                "days": policy.qualification_lapse_days
            }
        else:
            message = _("Qualification: you are not qualified to operate this instrument.")
        if policy.operator_assistance_offered:
            message += " " + _("You may book with operator assistance instead.")
        add(BookingRule.QUALIFICATION, message, "operator_assisted")
    if policy.project_code_required and not project_code.strip():
        add(BookingRule.PROJECT_CODE, _("This instrument requires a project or funding code."), "project_code")
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


REFUSAL_BLACK_LIST_HISTORY = "black_list_history"
REFUSAL_BELOW_MINIMUM_CREDIT = "below_minimum_credit"
REFUSAL_INSTRUMENT_UNAVAILABLE = "instrument_unavailable"


def refusal_justification(*, instrument, standing: CreditStanding, black_list_history: bool) -> str:
    """Why a refusal is justified by the platform's own rules ("" when nothing justifies it).

    A justified refusal counts for the provider (REFUSAL_JUSTIFIED); any other one counts against its
    acceptance rate (REFUSAL_UNJUSTIFIED). Providers may refuse users with a black-list history.
    """
    if black_list_history:
        return REFUSAL_BLACK_LIST_HISTORY
    minimum = instrument.min_credit_score
    if minimum is not None and standing.score is not None and standing.score < minimum:
        return REFUSAL_BELOW_MINIMUM_CREDIT
    if instrument.status != "available":
        return REFUSAL_INSTRUMENT_UNAVAILABLE
    return ""


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
