"""Writes of an instrument's booking rules: its policy, opening hours and blackouts.

Only the instrument's managers (managers and admins of its verified unit, and platform admins) may
write them. Each service locks the instrument row first (the same lock order as the booking
services), re-checks, validates every field with a message naming the rule, and writes; a refused
write changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.models import Instrument
from sharing_platform.errors import DomainConflictError, DomainNotFoundError, DomainValidationError

from ..error_codes import BookingRule
from ..models import WEEKDAYS, Blackout, Booking, BookingPolicy, BookingState, OpeningHours
from .locking import lock_instrument_to_manage

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# The policy fields a manager may set, with (smallest, largest) accepted value; None = no bound.
POLICY_INTEGER_BOUNDS: dict[str, tuple[int, int]] = {
    "min_notice_hours": (0, 24 * 365),
    "horizon_days": (1, 3 * 365),
    "min_duration_minutes": (1, 60 * 24 * 31),
    "max_duration_hours": (1, 24 * 31),
    "max_bookings_per_day": (1, 1000),
    "max_future_bookings": (1, 10000),
    "min_gap_minutes": (0, 60 * 24 * 7),
    "quota_hours_per_week": (1, 24 * 7),
    "quota_hours_per_month": (1, 24 * 31),
    "cancellation_notice_hours": (0, 24 * 365),
    "grace_period_minutes": (0, 60 * 24),
    "no_show_threshold_minutes": (0, 60 * 24),
    "qualification_lapse_days": (1, 10 * 365),
}
# These may be empty (no limit).
POLICY_NULLABLE = {
    "max_bookings_per_day",
    "max_future_bookings",
    "quota_hours_per_week",
    "quota_hours_per_month",
    "qualification_lapse_days",
}
POLICY_BOOLEANS = (
    "allow_multi_day",
    "allow_overnight",
    "allow_credit_auto_approval",
    "operator_assistance_offered",
    "project_code_required",
)
POLICY_FIELDS = (*POLICY_INTEGER_BOUNDS, *POLICY_BOOLEANS)
BLACKOUT_MAX_LENGTH = timedelta(days=366)


class RulesValidationError(DomainValidationError):
    """Several field problems at once: `errors` is a list of {"field", "message"}; `message` joins them."""

    def __init__(self, problems: Sequence[tuple[str | None, str]]) -> None:
        super().__init__(
            " ".join(message for _field, message in problems),
            field=problems[0][0],
            errors=[{"field": field, "message": message} for field, message in problems],
        )


def _full_clean(instance, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        problems = [(field if field != "__all__" else None, " ".join(messages))
                    for field, messages in exc.message_dict.items()]  # fmt: skip
        raise RulesValidationError(problems) from exc


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


# --- Booking policy ---------------------------------------------------------------------------


def _coerce_int(field: str, value) -> int | None:
    if value is None or value == "":
        if field in POLICY_NULLABLE:
            return None
        raise ValueError(_("This rule needs a number."))
    if isinstance(value, bool):
        raise ValueError(_("Give a whole number."))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(_("Give a whole number.")) from None
    if isinstance(value, float) and number != value:
        raise ValueError(_("Give a whole number."))
    return number


def policy_problems(values: Mapping) -> list[tuple[str, str]]:
    """Every problem with a complete set of policy values, as (field, message). Pure."""
    problems: list[tuple[str, str]] = []
    for field, (low, high) in POLICY_INTEGER_BOUNDS.items():
        value = values.get(field)
        if value is None:
            continue
        if value < 0:
            problems.append((field, _("Cannot be negative.")))
        elif value < low:
            if field in POLICY_NULLABLE:
                problems.append((field, _("Must be at least %(low)s; leave it empty for no limit.") % {"low": low}))
            else:
                problems.append((field, _("Must be at least %(low)s.") % {"low": low}))
        elif value > high:
            problems.append((field, _("Must be at most %(high)s.") % {"high": high}))
    bad = {field for field, _message in problems}
    min_minutes, max_hours = values.get("min_duration_minutes"), values.get("max_duration_hours")
    if (
        not bad & {"min_duration_minutes", "max_duration_hours"}
        and min_minutes
        and max_hours
        and max_hours * 60 < min_minutes
    ):
        problems.append(
            (
                "max_duration_hours",
                _("The maximum duration (%(max)s hours) is shorter than the minimum duration (%(min)s minutes).")
                % {"max": max_hours, "min": min_minutes},
            )
        )
    notice, horizon = values.get("min_notice_hours"), values.get("horizon_days")
    if not bad & {"min_notice_hours", "horizon_days"} and notice is not None and horizon and notice >= horizon * 24:
        problems.append(
            (
                "horizon_days",
                _("With %(notice)s hours' notice and a %(days)s-day horizon nothing could ever be booked.")
                % {"notice": notice, "days": horizon},
            )
        )
    grace, threshold = values.get("grace_period_minutes"), values.get("no_show_threshold_minutes")
    if (
        not bad & {"grace_period_minutes", "no_show_threshold_minutes"}
        and grace is not None
        and threshold is not None
        and threshold < grace
    ):
        problems.append(
            (
                "no_show_threshold_minutes",
                _(
                    "The no-show threshold (%(threshold)s minutes) cannot be shorter than the check-in grace period "
                    "(%(grace)s minutes)."
                )
                % {"threshold": threshold, "grace": grace},
            )
        )
    week, month = values.get("quota_hours_per_week"), values.get("quota_hours_per_month")
    if not bad & {"quota_hours_per_week", "quota_hours_per_month"} and week and month and month < week:
        problems.append(
            (
                "quota_hours_per_month",
                _("The monthly quota (%(month)s hours) is smaller than the weekly quota (%(week)s hours).")
                % {"month": month, "week": week},
            )
        )
    return problems


def booking_policy_update(*, instrument: Instrument | int, actor: User, values: Mapping) -> BookingPolicy:
    """Set some or all of the policy's rules (the others keep their values); creates the policy on first use."""
    unknown = sorted(set(values) - set(POLICY_FIELDS))
    if unknown:
        raise RulesValidationError([(field, _("Not a booking rule.")) for field in unknown])
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        policy = BookingPolicy.objects.select_for_update().filter(instrument=locked).first()
        if policy is None:
            policy = BookingPolicy(instrument=locked)
        merged = {field: getattr(policy, field) for field in POLICY_FIELDS}
        problems: list[tuple[str, str]] = []
        for field, value in values.items():
            if field in POLICY_BOOLEANS:
                if not isinstance(value, bool):
                    problems.append((field, _("Give true or false.")))
                    continue
                merged[field] = value
            else:
                try:
                    merged[field] = _coerce_int(field, value)
                except ValueError as exc:
                    problems.append((field, str(exc)))
        problems += policy_problems(merged)
        if problems:
            raise RulesValidationError(problems)
        for field, value in merged.items():
            setattr(policy, field, value)
        _full_clean(policy)
        policy.save()
    return policy


# --- Opening hours ----------------------------------------------------------------------------


def _opening_row_problems(weekday, opens, closes) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        problems.append(("weekday", _("The weekday must be 0 (Monday) to 6 (Sunday).")))
    if not isinstance(opens, time):
        problems.append(("opens", _("Give the opening time as HH:MM.")))
    if not isinstance(closes, time):
        problems.append(("closes", _("Give the closing time as HH:MM.")))
    if isinstance(opens, time) and isinstance(closes, time) and closes <= opens:
        problems.append(
            (
                "closes",
                _("The closing time must be after the opening time; past midnight, add a row for the next day."),
            )
        )
    return problems


def _overlap_message(weekday: int, opens: time, closes: time) -> str:
    return _("This overlaps the opening hours %(opens)s to %(closes)s on %(day)s.") % {
        "opens": opens.strftime("%H:%M"),
        "closes": closes.strftime("%H:%M"),
        "day": WEEKDAYS[weekday],
    }


def opening_hours_add(
    *, instrument: Instrument | int, actor: User, weekday: int, opens: time, closes: time
) -> OpeningHours:
    """Add one open interval; it may not overlap another on the same weekday."""
    problems = _opening_row_problems(weekday, opens, closes)
    if problems:
        raise RulesValidationError(problems)
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        clash = (
            OpeningHours.objects.filter(instrument=locked, weekday=weekday, opens__lt=closes, closes__gt=opens)
            .order_by("opens")
            .first()
        )
        if clash is not None:
            raise RulesValidationError([("opens", _overlap_message(weekday, clash.opens, clash.closes))])
        row = OpeningHours(instrument=locked, weekday=weekday, opens=opens, closes=closes)
        _full_clean(row)
        row.save()
    return row


def opening_hours_replace(*, instrument: Instrument | int, actor: User, rows: Iterable[Mapping]) -> list[OpeningHours]:
    """Replace the whole week at once (an empty list means always open)."""
    rows = list(rows)
    problems: list[tuple[str, str]] = []
    for index, row in enumerate(rows):
        for field, message in _opening_row_problems(row.get("weekday"), row.get("opens"), row.get("closes")):
            problems.append((f"{index}.{field}", message))
    if not problems:
        ordered = sorted(enumerate(rows), key=lambda item: (item[1]["weekday"], item[1]["opens"]))
        for (_i, previous), (index, row) in pairwise(ordered):
            if row["weekday"] == previous["weekday"] and row["opens"] < previous["closes"]:
                message = _overlap_message(previous["weekday"], previous["opens"], previous["closes"])
                problems.append((f"{index}.opens", message))
    if problems:
        raise RulesValidationError(problems)
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        OpeningHours.objects.filter(instrument=locked).delete()
        created = [
            OpeningHours(instrument=locked, weekday=row["weekday"], opens=row["opens"], closes=row["closes"])
            for row in rows
        ]
        for hours in created:
            _full_clean(hours)
        OpeningHours.objects.bulk_create(created)
    return sorted(created, key=lambda row: (row.weekday, row.opens))


def opening_hours_delete(*, instrument: Instrument | int, actor: User, opening_hours_id: int) -> None:
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        deleted, _rows = OpeningHours.objects.filter(instrument=locked, pk=opening_hours_id).delete()
        if not deleted:
            raise DomainNotFoundError(_("No such opening hours on this instrument."))


# --- Blackouts --------------------------------------------------------------------------------


def blackout_create(
    *,
    instrument: Instrument | int,
    actor: User,
    start: datetime,
    end: datetime,
    reason: str = "",
    now: datetime | None = None,
) -> Blackout:
    """Block a period (maintenance, training, holidays). Existing bookings in it are not touched."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    problems: list[tuple[str, str]] = []
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            problems.append((field, _("Times must include a UTC offset (ISO 8601 with offset).")))
    if not problems:
        if end <= start:
            problems.append(("end", _("The end must be after the start.")))
        elif end - start > BLACKOUT_MAX_LENGTH:
            problems.append(("end", _("A blackout can last at most 366 days; add another for longer.")))
        elif end <= now:
            problems.append(("end", _("This period is already over; a blackout must end in the future.")))
    if len(reason) > 200:
        problems.append(("reason", _("Keep the reason under 200 characters.")))
    if problems:
        raise RulesValidationError(problems)
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        clash = Blackout.objects.filter(instrument=locked, start__lt=end, end__gt=start).order_by("start").first()
        if clash is not None:
            raise RulesValidationError(
                [
                    (
                        "start",
                        _("This overlaps the blackout %(start)s to %(end)s%(reason)s.")
                        % {
                            "start": _local(clash.start),
                            "end": _local(clash.end),
                            "reason": f" ({clash.reason})" if clash.reason else "",
                        },
                    )
                ]
            )
        blackout = Blackout(instrument=locked, start=start, end=end, reason=reason, created_by=actor)
        _full_clean(blackout, exclude=["created_by"])
        blackout.save()
    return blackout


def blackout_delete(*, instrument: Instrument | int, actor: User, blackout_id: int) -> None:
    with transaction.atomic():
        locked = lock_instrument_to_manage(actor, instrument)
        blackout = Blackout.objects.filter(instrument=locked, pk=blackout_id).first()
        if blackout is None:
            raise DomainNotFoundError(_("No such blackout period on this instrument."))
        if _refusals_in(blackout).exists():
            # A declared maintenance period that justified a refusal stays declared: removing it after
            # refusing would be the status toggle the refusal rule does not accept.
            raise DomainConflictError(
                _(
                    "A booking in this blackout was refused while it was declared, so the period stays as it "
                    "was declared."
                ),
                code=BookingRule.BLACKOUT,
            )
        blackout.delete()


def _refusals_in(blackout: Blackout):
    """Refusals of bookings inside the blackout decided while it was declared (the ones it justified)."""
    return Booking.objects.filter(
        instrument_id=blackout.instrument_id,
        state=BookingState.REFUSED,
        decided_at__gte=blackout.created_at,
    ).overlapping(blackout.start, blackout.end)
