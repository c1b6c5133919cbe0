"""The use of a booking: check-in, check-out, completion by the provider, and no-shows (recorded or swept)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .. import facts
from ..contest_policy import (
    CONTEST_WINDOW_WORKING_DAYS,
    HOURS_TOLERANCE,
    contestable_until,
    is_hours_correction,
    measured_hours,
)
from ..error_codes import BookingErrorCode
from ..models import Booking, BookingState, ContestableFact, Qualification
from ..permissions import can_check_in_out, can_decide_booking, is_requester
from ..policy import CHECK_IN_OPENS_BEFORE_START, check_in_is_punctual, no_show_opens_at, usage_overrun
from ..selectors import booking_policy_get, bookings_due_for_no_show
from ..signals import booking_completed, booking_hours_corrected, booking_no_show
from .contests import fact_assert, fact_reassert
from .history import booking_history_note, record_change
from .incidents import deposit_refund_blocked
from .locking import lock_booking, require_state

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Check-in opens this long before the start.
EARLY_CHECK_IN = CHECK_IN_OPENS_BEFORE_START

DepositState = Booking.DepositState


def _parse_hours(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainValidationError(_("Actual hours must be a number."), field="actual_hours") from None
    if hours < 0 or hours > Decimal("1000"):
        raise DomainValidationError(_("Actual hours must be between 0 and 1000."), field="actual_hours")
    return hours


def booking_check_in(*, booking_id: int, actor: User, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_check_in_out(actor, booking):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can check in."))
        require_state(booking, [BookingState.APPROVED], _("checked in"))
        if now < booking.start - EARLY_CHECK_IN:
            raise DomainConflictError(
                _("Check-in opens %(minutes)s minutes before the start.")
                % {"minutes": int(EARLY_CHECK_IN.total_seconds() // 60)},
                code=BookingErrorCode.TOO_EARLY,
            )
        if now >= booking.end:
            raise DomainConflictError(
                _("The booked time is over; it can no longer be checked in."), code=BookingErrorCode.TOO_LATE
            )
        policy = booking_policy_get(booking.instrument)
        booking.state, booking.checked_in_at = BookingState.IN_USE, now
        booking.save()
        record_change(booking, actor=actor, action="checked_in", from_state=BookingState.APPROVED, at=now)
        punctual = check_in_is_punctual(policy=policy, start=booking.start, checked_in_at=now)
        facts.fact_check_in(booking, occurred_at=now, punctual=punctual)
        Qualification.objects.filter(instrument=booking.instrument, user=booking.requester).update(last_used_at=now)
    return booking


def _finish(
    booking: Booking, *, actor, action: str, actual_hours: Decimal, now: datetime, correction: str = ""
) -> None:
    """in_use/approved -> completed: keep booked and actual hours, refund the deposit, report the facts. An
    overrun is a one-sided fact: pending until the requester's window to contest it has passed."""
    from_state = booking.state
    measured = measured_hours(booking.checked_in_at, min(now, booking.end))
    booking.state, booking.checked_out_at, booking.actual_hours = BookingState.COMPLETED, now, actual_hours
    if now < booking.end:
        booking.released_at = now
    if booking.deposit_state == DepositState.HELD and not deposit_refund_blocked(booking):
        booking.deposit_state = DepositState.REFUNDED
    booking.save()
    reason = _("%(actual)s of %(booked)s booked hours used.") % {"actual": actual_hours, "booked": booking.booked_hours}
    if correction:
        reason += " " + _("Corrected from the %(measured)s hours between check-in and check-out: %(why)s") % {
            "measured": measured,
            "why": correction,
        }
    record_change(booking, actor=actor, action=action, from_state=from_state, reason=reason, at=now)
    facts.fact_booking_fulfilled(booking, occurred_at=now)
    facts.fact_service_delivered(booking, occurred_at=now)
    if usage_overrun(booked_hours=booking.booked_hours, actual_hours=actual_hours):
        fact_assert(
            booking,
            kind=ContestableFact.Kind.USAGE_OVERRUN,
            asserted_by=actor,
            occurred_at=now,
            reason=correction,
            booked_hours=booking.booked_hours,
            actual_hours=actual_hours,
            measured_hours="" if measured is None else measured,
        )
    booking_completed.send(sender=Booking, booking=booking, actor=actor, at=now)


def _provider_hours(booking: Booking, *, actor, hours: Decimal | None, reason: str, now: datetime) -> str:
    """The reason of a provider's correction of the measured hours ('' when there is none to give). The
    requester states their own hours freely; a provider who states other hours than check-in to check-out
    measured must say why (the requester sees it, and can contest the overrun it makes)."""
    if is_requester(actor, booking):
        return ""
    measured = measured_hours(booking.checked_in_at, min(now, booking.end))
    if not is_hours_correction(stated=hours, measured=measured):
        return ""
    if not reason:
        raise DomainValidationError(
            _(
                "Check-in to check-out measures %(measured)s hours: say why the hours used were %(hours)s "
                "(the requester sees your reason and can contest it)."
            )
            % {"measured": measured, "hours": hours},
            field="reason",
        )
    return reason


def _hours_since_check_in(booking: Booking, now: datetime) -> Decimal:
    if booking.checked_in_at is None:  # cannot happen: called for checked-in bookings only
        raise ValueError("The booking was not checked in.")
    seconds = Decimal(max(0.0, (now - booking.checked_in_at).total_seconds()))
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"))


def booking_check_out(
    *,
    booking_id: int,
    actor: User,
    actual_hours: Decimal | str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """End the use. Actual hours are measured from check-in to now, or given (by a provider who corrects the
    measured hours, with a reason)."""
    now = now or timezone.now()
    hours = _parse_hours(actual_hours)
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_check_in_out(actor, booking):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can check out."))
        require_state(booking, [BookingState.IN_USE], _("checked out"))
        correction = _provider_hours(booking, actor=actor, hours=hours, reason=reason, now=now)
        if hours is None:
            hours = _hours_since_check_in(booking, now)
        _finish(booking, actor=actor, action="checked_out", actual_hours=hours, now=now, correction=correction)
    return booking


def booking_complete(
    *,
    booking_id: int,
    actor: User,
    actual_hours: Decimal | str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """The provider closes a booking nobody checked out of, or a service its operators ran. Hours other than
    the measured ones (check-in to now) need a reason."""
    now = now or timezone.now()
    hours = _parse_hours(actual_hours)
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can complete this booking."))
        require_state(booking, [BookingState.APPROVED, BookingState.IN_USE], _("completed"))
        if now < booking.start:
            raise DomainConflictError(_("The booking has not started yet."), code=BookingErrorCode.TOO_EARLY)
        if hours is None:
            if booking.checked_in_at is None:
                raise DomainValidationError(_("Nobody checked in: give the hours actually used."), field="actual_hours")
            hours = _hours_since_check_in(booking, now)
        correction = _provider_hours(booking, actor=actor, hours=hours, reason=reason, now=now)
        _finish(booking, actor=actor, action="completed", actual_hours=hours, now=now, correction=correction)
    return booking


def booking_hours_correct(
    *,
    booking_id: int,
    actor: User,
    actual_hours: Decimal | str | None,
    reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """The provider corrects the used hours of a completed booking, within the requester's window to contest
    (the same working days, from the completion). Hours HOURS_TOLERANCE or more from the recorded ones need a
    reason the requester sees. An overrun it makes (booked > 2x used) is a pending fact the requester may
    contest; one it undoes is withdrawn, unless the requester already contested it (an admin decides) or it
    is recorded. Billing corrects the use charge (booking_hours_corrected)."""
    now = now or timezone.now()
    hours = _parse_hours(actual_hours)
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can correct the hours used."))
        require_state(booking, [BookingState.COMPLETED], _("corrected"))
        if hours is None:
            raise DomainValidationError(_("Give the hours actually used."), field="actual_hours")
        completed_at = booking.checked_out_at or booking.updated_at
        until = contestable_until(completed_at)
        if now >= until:
            raise DomainConflictError(
                _(
                    "The hours used can be corrected until %(time)s (%(days)s working days after the booking was "
                    "completed); that time has passed. Report an incident if something is wrong."
                )
                % {"time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M"), "days": CONTEST_WINDOW_WORKING_DAYS},
                code=BookingErrorCode.CORRECTION_WINDOW_CLOSED,
            )
        previous = booking.actual_hours if booking.actual_hours is not None else Decimal(0)
        if hours == previous:
            raise DomainValidationError(
                _("%(hours)s hours are already the recorded hours used.") % {"hours": hours}, field="actual_hours"
            )
        if abs(hours - previous) >= HOURS_TOLERANCE and not reason:
            raise DomainValidationError(
                _(
                    "%(previous)s hours are recorded: say why the hours used were %(hours)s "
                    "(the requester sees your reason and can contest it)."
                )
                % {"previous": previous, "hours": hours},
                field="reason",
            )
        _overrun_follow(booking, actor=actor, hours=hours, reason=reason, now=now)
        booking.actual_hours = hours
        booking.save(update_fields=["actual_hours", "updated_at"])
        note = _("Hours used corrected from %(previous)s to %(hours)s.") % {"previous": previous, "hours": hours}
        booking_history_note(
            booking=booking, actor=actor, action="hours_corrected", reason=f"{note} {reason}".strip(), at=now
        )
        booking_hours_corrected.send(
            sender=Booking, booking=booking, actor=actor, at=now, previous_hours=previous, reason=reason or note
        )
    return booking


def _overrun_follow(booking: Booking, *, actor, hours: Decimal, reason: str, now: datetime) -> None:
    """Keep the booking's overrun fact in step with corrected hours (inside the correction's transaction)."""
    fact = ContestableFact.objects.filter(booking=booking, kind=ContestableFact.Kind.USAGE_OVERRUN).first()
    overrun = usage_overrun(booked_hours=booking.booked_hours, actual_hours=hours)
    if fact is not None and fact.state in (ContestableFact.State.CONTESTED, ContestableFact.State.RECORDED):
        raise DomainConflictError(
            _(
                "The overrun of this booking is %(state)s: its hours can no longer be corrected here "
                "(a platform administrator decides contested facts)."
            )
            % {"state": fact.get_state_display().lower()},
            code=BookingErrorCode.WRONG_STATE,
        )
    details = {
        "booked_hours": booking.booked_hours,
        "actual_hours": hours,
        "measured_hours": "" if fact is None else fact.details.get("measured_hours", ""),
    }
    if fact is None and overrun:
        fact_assert(
            booking,
            kind=ContestableFact.Kind.USAGE_OVERRUN,
            asserted_by=actor,
            occurred_at=now,
            reason=reason,
            **details,
        )
    elif fact is not None and overrun:
        fact_reassert(fact, asserted_by=actor, occurred_at=now, reason=reason, **details)
    elif fact is not None and fact.state == ContestableFact.State.PENDING:
        fact.state = ContestableFact.State.WITHDRAWN
        fact.save(update_fields=["state"])


def _no_show(booking: Booking, *, actor, now: datetime, automatic: bool) -> None:
    # A held deposit stays held while the no-show is pending: it is forfeited when the no-show is recorded
    # (contests.fact_record) and refunded when an admin dismisses it (disputes).
    booking.state, booking.released_at = BookingState.NO_SHOW, now
    booking.save()
    reason = _("Nobody checked in; marked automatically.") if automatic else ""
    record_change(booking, actor=actor, action="no_show", from_state=BookingState.APPROVED, reason=reason, at=now)
    # One-sided (the provider's word, or nobody's check-in): pending until the requester's window has passed.
    fact_assert(booking, kind=ContestableFact.Kind.NO_SHOW, asserted_by=actor, occurred_at=now)
    booking_no_show.send(sender=Booking, booking=booking, actor=actor, at=now)


def booking_record_no_show(*, booking_id: int, actor: User, now: datetime | None = None) -> Booking:
    """The provider records a no-show, only once the no-show threshold has passed (as the rules page says)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can record a no-show."))
        require_state(booking, [BookingState.APPROVED], _("recorded as a no-show"))
        policy = booking_policy_get(booking.instrument)
        allowed_from = no_show_opens_at(policy=policy, start=booking.start)
        if now < allowed_from:
            raise DomainConflictError(
                _(
                    "A no-show can be recorded from %(time)s: the instrument's no-show threshold is %(minutes)s "
                    "minutes after the start without a check-in."
                )
                % {
                    "time": timezone.localtime(allowed_from).strftime("%Y-%m-%d %H:%M"),
                    "minutes": policy.no_show_threshold_minutes,
                },
                code=BookingErrorCode.TOO_EARLY,
            )
        _no_show(booking, actor=actor, now=now, automatic=False)
    return booking


def bookings_mark_no_shows(*, now: datetime | None = None) -> list[int]:
    """Mark approved bookings nobody checked in to past the threshold. Idempotent: re-checks under lock."""
    now = now or timezone.now()
    marked: list[int] = []
    for booking_id in bookings_due_for_no_show(now=now):
        with transaction.atomic():
            booking = lock_booking(booking_id)
            if booking.state != BookingState.APPROVED or booking.checked_in_at is not None:
                continue
            _no_show(booking, actor=None, now=now, automatic=True)
            marked.append(booking_id)
    return marked
