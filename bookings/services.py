"""Writes of the bookings app. Each service owns one transaction: lock, re-check, write, audit, facts.

Lock order (never deadlocks): the instrument row first, then the booking row. On PostgreSQL the
instrument lock serialises bookings of one instrument and the exclusion constraint is the last
guard; on SQLite every atomic block is an IMMEDIATE transaction, which serialises all writers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit.selectors import credit_black_list_history, credit_standing_for_unit, credit_standing_for_user
from instruments.models import Instrument, Membership, Unit
from instruments.permissions import is_platform_admin
from sharing_platform import outbox
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

from . import facts
from .error_codes import BookingErrorCode, BookingRule
from .models import (
    Booking,
    BookingEvent,
    BookingState,
    Dispute,
    Incident,
    IncidentAttachment,
    Qualification,
    Review,
    Side,
)
from .permissions import (
    can_cancel_booking,
    can_check_in_out,
    can_decide_booking,
    can_move_booking,
    is_provider,
    is_requester,
)
from .policy import (
    CHECK_IN_OPENS_BEFORE_START,
    auto_approval_decision,
    booking_problems,
    cancellation_is_late,
    check_in_is_punctual,
    deposit_decision,
    no_show_opens_at,
    price_quote,
    refusal_justification,
    usage_overrun,
)
from .selectors import (
    blackouts_between,
    blocking_overlaps,
    booking_policy_get,
    bookings_due_for_no_show,
    qualification_facts,
    user_live_bookings,
    weekly_hours,
)
from .signals import announce_booking_changed, booking_cancelled_late, booking_completed, booking_no_show

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EXCLUSION_VIOLATION = "23P01"
# A request answered within this time (and before its start) is answered on time.
RESPONSE_DEADLINE = timedelta(hours=48)
# Check-in opens this long before the start.
EARLY_CHECK_IN = CHECK_IN_OPENS_BEFORE_START
REVIEW_MAX_TAGS = 10

DepositState = Booking.DepositState


# --- Helpers ----------------------------------------------------------------------------------


def _require_aware(value: datetime, field: str) -> None:
    if value is None or timezone.is_naive(value):
        raise DomainValidationError(_("Times must include a UTC offset (ISO 8601 with offset)."), field=field)


def _lock_instrument(instrument_id: int) -> Instrument:
    instrument = (
        Instrument.objects.select_for_update(of=("self",)).select_related("unit").filter(pk=instrument_id).first()
    )
    if instrument is None:
        raise DomainNotFoundError(_("No such instrument."), field="instrument")
    return instrument


def _lock_booking(booking_id: int) -> Booking:
    """Lock the booking's instrument, then the booking itself, and return it with its joins."""
    instrument_id = Booking.objects.filter(pk=booking_id).values_list("instrument_id", flat=True).first()
    if instrument_id is None:
        raise DomainNotFoundError(_("No such booking."))
    _lock_instrument(instrument_id)
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("instrument", "instrument__unit", "requester", "requester_unit")
        .get(pk=booking_id)
    )


def _require_state(booking: Booking, allowed: Iterable[str], action: str) -> None:
    if booking.state not in set(allowed):
        raise DomainConflictError(
            _("This booking is %(state)s; it cannot be %(action)s now.")
            % {"state": booking.get_state_display().lower(), "action": action},
            code=BookingErrorCode.WRONG_STATE,
        )


def _save(booking: Booking) -> None:
    """Save, turning the database's exclusion violation into a clear 409."""
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if getattr(exc.__cause__, "pgcode", None) == EXCLUSION_VIOLATION:
            raise DomainConflictError(
                _("That time is already taken by another booking of this instrument."), code=BookingErrorCode.SLOT_TAKEN
            ) from exc
        raise


def _record(booking: Booking, *, actor, action: str, from_state: str, reason: str = "", at: datetime) -> None:
    BookingEvent.objects.create(
        booking=booking,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=from_state,
        to_state=booking.state,
        reason=reason,
        at=at,
    )
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    # Announced after commit through the outbox (booking_changed's receivers: mail, webhooks).
    outbox.enqueue(announce_booking_changed, booking.pk, action, actor_id)


def booking_history_note(*, booking: Booking, action: str, at: datetime) -> BookingEvent:
    """A line in the booking's history that changes nothing and is announced to no one (the reminder
    sweep's "reminder_sent" claim); inside the caller's transaction."""
    return BookingEvent.objects.create(
        booking=booking, actor=None, action=action, from_state=booking.state, to_state=booking.state, at=at
    )


def _raise_problems(problems: Sequence) -> None:
    if problems:
        first = problems[0]
        raise DomainValidationError(
            " ".join(problem.message for problem in problems),
            field=first.field,
            code=first.rule,
            errors=[problem.as_dict() for problem in problems],
        )


def _check_free(instrument: Instrument, start: datetime, end: datetime, exclude_pk: int | None = None) -> None:
    if blocking_overlaps(instrument=instrument, start=start, end=end, exclude_pk=exclude_pk).exists():
        raise DomainConflictError(
            _("That time is already taken by another booking of this instrument."), code=BookingErrorCode.SLOT_TAKEN
        )


def _policy_check(
    *,
    instrument: Instrument,
    user,
    start: datetime,
    end: datetime,
    now: datetime,
    operator_assisted: bool,
    project_code: str,
    exclude_pk: int | None = None,
):
    policy = booking_policy_get(instrument)
    standing = credit_standing_for_user(user)
    problems = booking_problems(
        instrument=instrument,
        policy=policy,
        user=user,
        start=start,
        end=end,
        existing_bookings=user_live_bookings(instrument=instrument, user=user, exclude_pk=exclude_pk),
        standing=standing,
        provider_standing=credit_standing_for_unit(instrument.unit),
        now=now,
        tz=timezone.get_current_timezone(),
        opening_hours=weekly_hours(instrument),
        blackouts=blackouts_between(instrument, start, end) if end > start else [],
        qualification=qualification_facts(instrument, user),
        operator_assisted=operator_assisted,
        project_code=project_code,
    )
    _raise_problems(problems)
    return policy, standing


def _resolve_requester_unit(*, user, instrument: Instrument, requester_unit: Unit | int | None) -> Unit | None:
    """The unit the user books for: the given one (must be theirs), else the instrument's unit if
    they belong to it, else their first unit, else none."""
    memberships = {m.unit_id: m.unit for m in Membership.objects.filter(user=user).select_related("unit")}
    if requester_unit is not None:
        unit_id = requester_unit.pk if isinstance(requester_unit, Unit) else int(requester_unit)
        if unit_id not in memberships:
            message = _("You can only book on behalf of a unit you belong to.")
            raise DomainValidationError(message, field="requester_unit")
        return memberships[unit_id]
    if instrument.unit_id in memberships:
        return memberships[instrument.unit_id]
    return memberships[min(memberships)] if memberships else None


def _deposit_refund_blocked(booking: Booking) -> bool:
    """A damage or misuse report against the requester keeps the deposit held until it is settled."""
    return booking.incidents.filter(
        reporter_side=Side.PROVIDER, state__in=[Incident.State.REPORTED, Incident.State.CONTESTED]
    ).exists()


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


# --- Creating and moving ----------------------------------------------------------------------


def _booking_build(
    *,
    instrument: Instrument,
    requester,
    requester_unit: Unit | None,
    start: datetime,
    end: datetime,
    purpose: str,
    project_code: str,
    operator_assisted: bool,
    rate_kind: str | None,
    policy,
    standing,
    now: datetime,
) -> Booking:
    internal = requester_unit is not None and requester_unit.pk == instrument.unit_id
    computed_kind, hourly_rate, price = price_quote(instrument=instrument, internal=internal, start=start, end=end)
    if rate_kind and rate_kind != computed_kind:
        if internal:
            message = _("You belong to the instrument's unit: your booking uses the internal rate, not the external.")
        else:
            message = _("The internal rate is only for members of the instrument's unit; yours is the external rate.")
        raise DomainValidationError(message, field="rate_kind", code=BookingErrorCode.RATE_KIND)
    deposit_amount, waived = deposit_decision(instrument=instrument, standing=standing)
    auto = auto_approval_decision(instrument=instrument, policy=policy, standing=standing)
    if deposit_amount == 0:
        deposit_state = DepositState.NONE
    elif waived:
        deposit_state = DepositState.WAIVED
    else:
        deposit_state = DepositState.HELD if auto else DepositState.REQUIRED
    booking = Booking(
        instrument=instrument,
        requester=requester,
        requester_unit=requester_unit,
        start=start,
        end=end,
        state=BookingState.APPROVED if auto else BookingState.REQUESTED,
        purpose=purpose.strip(),
        project_code=project_code.strip(),
        rate_kind=computed_kind,
        hourly_rate=hourly_rate,
        price=price,
        deposit_amount=deposit_amount,
        deposit_state=deposit_state,
        operator_assisted=operator_assisted,
        decided_at=now if auto else None,
    )
    try:
        booking.full_clean(exclude=["moved_to"])
    except ValidationError as exc:
        raise DomainValidationError(" ".join(exc.messages)) from exc
    return booking


def booking_create(
    *,
    instrument: Instrument | int,
    requester: User,
    start: datetime,
    end: datetime,
    purpose: str,
    project_code: str = "",
    operator_assisted: bool = False,
    requester_unit: Unit | int | None = None,
    rate_kind: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Request a slot. Approved at once when the instrument (or the requester's credit) allows it."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if not purpose or not purpose.strip():
        raise DomainValidationError(_("Say what the booking is for."), field="purpose")
    now = now or timezone.now()
    instrument_id = instrument.pk if isinstance(instrument, Instrument) else instrument
    with transaction.atomic():
        locked = _lock_instrument(instrument_id)
        unit = _resolve_requester_unit(user=requester, instrument=locked, requester_unit=requester_unit)
        policy, standing = _policy_check(
            instrument=locked,
            user=requester,
            start=start,
            end=end,
            now=now,
            operator_assisted=operator_assisted,
            project_code=project_code,
        )
        _check_free(locked, start, end)
        booking = _booking_build(
            instrument=locked,
            requester=requester,
            requester_unit=unit,
            start=start,
            end=end,
            purpose=purpose,
            project_code=project_code,
            operator_assisted=operator_assisted,
            rate_kind=rate_kind,
            policy=policy,
            standing=standing,
            now=now,
        )
        _save(booking)
        _record(booking, actor=requester, action="requested", from_state="", at=now)
        if booking.state == BookingState.APPROVED:
            _record(booking, actor=None, action="approved", from_state=BookingState.REQUESTED, at=now,
                    reason=_("Approved automatically."))  # fmt: skip
    return booking


def booking_move(
    *, booking_id: int, actor: User, start: datetime, end: datetime, now: datetime | None = None
) -> Booking:
    """Move a booking: the old one is cancelled and linked to its successor, so history is kept."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    now = now or timezone.now()
    with transaction.atomic():
        old = _lock_booking(booking_id)
        if not can_move_booking(actor, old):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can move this booking."))
        _require_state(old, [BookingState.REQUESTED, BookingState.APPROVED], _("moved"))
        instrument = old.instrument
        policy, standing = _policy_check(
            instrument=instrument,
            user=old.requester,
            start=start,
            end=end,
            now=now,
            operator_assisted=old.operator_assisted,
            project_code=old.project_code,
            exclude_pk=old.pk,
        )
        _check_free(instrument, start, end, exclude_pk=old.pk)
        new = _booking_build(
            instrument=instrument,
            requester=old.requester,
            requester_unit=old.requester_unit,
            start=start,
            end=end,
            purpose=old.purpose,
            project_code=old.project_code,
            operator_assisted=old.operator_assisted,
            rate_kind=None,
            policy=policy,
            standing=standing,
            now=now,
        )
        # An approved booking moved by its provider stays approved; otherwise it is asked for again.
        if old.state == BookingState.APPROVED and is_provider(actor, old) and new.state != BookingState.APPROVED:
            new.state, new.decided_at, new.decided_by = BookingState.APPROVED, now, actor
            if new.deposit_state == DepositState.REQUIRED:
                new.deposit_state = DepositState.HELD
        if old.deposit_state == DepositState.HELD and new.deposit_state == DepositState.REQUIRED:
            new.deposit_state = DepositState.HELD if new.state == BookingState.APPROVED else DepositState.REQUIRED
        from_state = old.state
        old.state, old.cancelled_by, old.cancelled_at = BookingState.CANCELLED, actor, now
        old.save()  # frees the old range before the new one is inserted (they may overlap)
        _save(new)
        old.moved_to = new
        old.save(update_fields=["moved_to", "updated_at"])
        reason = _("Moved to booking #%(id)s.") % {"id": new.pk}
        _record(old, actor=actor, action="moved", from_state=from_state, reason=reason, at=now)
        _record(new, actor=actor, action="requested", from_state="",
                reason=_("Moved from booking #%(id)s.") % {"id": old.pk}, at=now)  # fmt: skip
        if new.state == BookingState.APPROVED:
            _record(new, actor=actor, action="approved", from_state=BookingState.REQUESTED, at=now)
    return new


# --- Decisions --------------------------------------------------------------------------------


def _answered_on_time(booking: Booking, now: datetime) -> bool:
    return now - booking.created_at <= RESPONSE_DEADLINE and now <= booking.start


def booking_approve(*, booking_id: int, actor: User, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can approve this booking."))
        _require_state(booking, [BookingState.REQUESTED], _("approved"))
        if booking.instrument.status != Instrument.Status.AVAILABLE:
            raise DomainConflictError(
                _("The instrument is %(status)s; it cannot take bookings now.")
                % {"status": booking.instrument.get_status_display().lower()},
                code=BookingErrorCode.INSTRUMENT_UNAVAILABLE,
            )
        if booking.end <= now:
            raise DomainConflictError(_("The requested time has passed; refuse or let the requester move it."))
        if credit_standing_for_unit(booking.instrument.unit).blacklisted:
            raise DomainConflictError(
                _(
                    "Black list: your unit is on the platform's black list and cannot accept new bookings until "
                    "its entry ends or is repaired. Refuse the request, or object to the entry from the unit's "
                    "credit page."
                ),
                code=BookingRule.PROVIDER_BLACKLIST,
            )
        _check_free(booking.instrument, booking.start, booking.end, exclude_pk=booking.pk)
        booking.state, booking.decided_by, booking.decided_at = BookingState.APPROVED, actor, now
        if booking.deposit_state == DepositState.REQUIRED:
            booking.deposit_state = DepositState.HELD
        _save(booking)
        _record(booking, actor=actor, action="approved", from_state=BookingState.REQUESTED, at=now)
        facts.fact_request_answered(booking, occurred_at=now, on_time=_answered_on_time(booking, now), approved=True)
    return booking


def booking_refuse(*, booking_id: int, actor: User, reason: str, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can refuse this booking."))
        _require_state(booking, [BookingState.REQUESTED], _("refused"))
        if not reason:
            raise DomainValidationError(_("A refusal needs a reason."), field="reason")
        booking.state, booking.decided_by, booking.decided_at = BookingState.REFUSED, actor, now
        booking.refusal_reason = reason
        booking.save()
        _record(booking, actor=actor, action="refused", from_state=BookingState.REQUESTED, reason=reason, at=now)
        facts.fact_request_answered(booking, occurred_at=now, on_time=_answered_on_time(booking, now), approved=False)
        justification = refusal_justification(
            instrument=booking.instrument,
            standing=credit_standing_for_user(booking.requester),
            black_list_history=credit_black_list_history(booking.requester),
        )
        facts.fact_refusal(booking, occurred_at=now, justification=justification)
    return booking


def booking_cancel(*, booking_id: int, actor: User, reason: str = "", now: datetime | None = None) -> Booking:
    """Cancel. The requester's cancellation of an approved booking inside the notice window is late."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_cancel_booking(actor, booking):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can cancel this booking."))
        _require_state(booking, [BookingState.REQUESTED, BookingState.APPROVED], _("cancelled"))
        by_requester = is_requester(actor, booking)
        if not by_requester and not reason:
            raise DomainValidationError(_("Say why you cancel the requester's booking."), field="reason")
        from_state = booking.state
        policy = booking_policy_get(booking.instrument)
        late = (
            by_requester
            and from_state == BookingState.APPROVED
            and cancellation_is_late(policy=policy, start=booking.start, now=now)
        )
        booking.state, booking.cancelled_by, booking.cancelled_at = BookingState.CANCELLED, actor, now
        booking.cancellation_late = late
        if booking.deposit_state == DepositState.HELD:
            booking.deposit_state = DepositState.FORFEITED if late else DepositState.REFUNDED
        booking.save()
        _record(booking, actor=actor, action="cancelled", from_state=from_state, reason=reason, at=now)
        if late:
            facts.fact_late_cancellation(booking, occurred_at=now)
            booking_cancelled_late.send(sender=Booking, booking=booking, actor=actor, at=now)
        if not by_requester and from_state == BookingState.APPROVED:
            facts.fact_provider_cancellation(booking, occurred_at=now, reason=reason)
    return booking


# --- Use --------------------------------------------------------------------------------------


def booking_check_in(*, booking_id: int, actor: User, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_check_in_out(actor, booking):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can check in."))
        _require_state(booking, [BookingState.APPROVED], _("checked in"))
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
        _record(booking, actor=actor, action="checked_in", from_state=BookingState.APPROVED, at=now)
        punctual = check_in_is_punctual(policy=policy, start=booking.start, checked_in_at=now)
        facts.fact_check_in(booking, occurred_at=now, punctual=punctual)
        Qualification.objects.filter(instrument=booking.instrument, user=booking.requester).update(last_used_at=now)
    return booking


def _finish(booking: Booking, *, actor, action: str, actual_hours: Decimal, now: datetime) -> None:
    """in_use/approved -> completed: keep booked and actual hours, refund the deposit, report the facts."""
    from_state = booking.state
    booking.state, booking.checked_out_at, booking.actual_hours = BookingState.COMPLETED, now, actual_hours
    if now < booking.end:
        booking.released_at = now
    if booking.deposit_state == DepositState.HELD and not _deposit_refund_blocked(booking):
        booking.deposit_state = DepositState.REFUNDED
    booking.save()
    reason = _("%(actual)s of %(booked)s booked hours used.") % {"actual": actual_hours, "booked": booking.booked_hours}
    _record(booking, actor=actor, action=action, from_state=from_state, reason=reason, at=now)
    facts.fact_booking_fulfilled(booking, occurred_at=now)
    facts.fact_service_delivered(booking, occurred_at=now)
    if usage_overrun(booked_hours=booking.booked_hours, actual_hours=actual_hours):
        facts.fact_usage_overrun(booking, occurred_at=now, booked_hours=booking.booked_hours, actual_hours=actual_hours)
    booking_completed.send(sender=Booking, booking=booking, actor=actor, at=now)


def _hours_since_check_in(booking: Booking, now: datetime) -> Decimal:
    if booking.checked_in_at is None:  # cannot happen: called for checked-in bookings only
        raise ValueError("The booking was not checked in.")
    seconds = Decimal(max(0.0, (now - booking.checked_in_at).total_seconds()))
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"))


def booking_check_out(
    *, booking_id: int, actor: User, actual_hours: Decimal | str | None = None, now: datetime | None = None
) -> Booking:
    """End the use. Actual hours are given, or measured from check-in to now."""
    now = now or timezone.now()
    hours = _parse_hours(actual_hours)
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_check_in_out(actor, booking):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can check out."))
        _require_state(booking, [BookingState.IN_USE], _("checked out"))
        if hours is None:
            hours = _hours_since_check_in(booking, now)
        _finish(booking, actor=actor, action="checked_out", actual_hours=hours, now=now)
    return booking


def booking_complete(
    *, booking_id: int, actor: User, actual_hours: Decimal | str | None = None, now: datetime | None = None
) -> Booking:
    """The provider closes a booking nobody checked out of, or a service its operators ran."""
    now = now or timezone.now()
    hours = _parse_hours(actual_hours)
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can complete this booking."))
        _require_state(booking, [BookingState.APPROVED, BookingState.IN_USE], _("completed"))
        if now < booking.start:
            raise DomainConflictError(_("The booking has not started yet."), code=BookingErrorCode.TOO_EARLY)
        if hours is None:
            if booking.checked_in_at is None:
                raise DomainValidationError(_("Nobody checked in: give the hours actually used."), field="actual_hours")
            hours = _hours_since_check_in(booking, now)
        _finish(booking, actor=actor, action="completed", actual_hours=hours, now=now)
    return booking


def _no_show(booking: Booking, *, actor, now: datetime, automatic: bool) -> None:
    booking.state, booking.released_at = BookingState.NO_SHOW, now
    if booking.deposit_state == DepositState.HELD:
        booking.deposit_state = DepositState.FORFEITED
    booking.save()
    reason = _("Nobody checked in; marked automatically.") if automatic else ""
    _record(booking, actor=actor, action="no_show", from_state=BookingState.APPROVED, reason=reason, at=now)
    facts.fact_no_show(booking, occurred_at=now, automatic=automatic)
    booking_no_show.send(sender=Booking, booking=booking, actor=actor, at=now)


def booking_record_no_show(*, booking_id: int, actor: User, now: datetime | None = None) -> Booking:
    """The provider records a no-show, only once the no-show threshold has passed (as the rules page says)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can record a no-show."))
        _require_state(booking, [BookingState.APPROVED], _("recorded as a no-show"))
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
            booking = _lock_booking(booking_id)
            if booking.state != BookingState.APPROVED or booking.checked_in_at is not None:
                continue
            _no_show(booking, actor=None, now=now, automatic=True)
            marked.append(booking_id)
    return marked


# --- Qualifications ---------------------------------------------------------------------------


def qualification_grant(
    *, instrument: Instrument, user: User, actor: User, now: datetime | None = None
) -> Qualification:
    now = now or timezone.now()
    from instruments.permissions import can_manage_instrument

    if not can_manage_instrument(actor, instrument):
        raise DomainPermissionError(_("Only the instrument's managers can grant qualifications."))
    with transaction.atomic():
        qualification, _created = Qualification.objects.update_or_create(
            instrument=instrument,
            user=user,
            defaults={"granted_by": actor, "granted_at": now, "last_used_at": None, "revoked_at": None},
        )
    return qualification


# --- Reviews ----------------------------------------------------------------------------------


def review_create(
    *,
    booking_id: int,
    author: User,
    stars: int,
    tags: list[str] | None = None,
    text: str = "",
    now: datetime | None = None,
) -> Review:
    """One review per side per completed booking; the reviewed party receives the stars as a fact."""
    now = now or timezone.now()
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        raise DomainValidationError(_("Stars must be a whole number from 1 to 5."), field="stars") from None
    if not 1 <= stars <= 5:
        raise DomainValidationError(_("Stars must be a whole number from 1 to 5."), field="stars")
    tags = list(tags or [])
    if len(tags) > REVIEW_MAX_TAGS or not all(isinstance(tag, str) and 0 < len(tag) <= 40 for tag in tags):
        raise DomainValidationError(_("Up to 10 tags, each a short word or phrase."), field="tags")
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        subject: User | Unit
        author_subject: User | Unit
        if is_requester(author, booking):
            side, subject, author_subject = Side.REQUESTER, booking.instrument.unit, booking.requester
        elif is_provider(author, booking):
            side, subject, author_subject = Side.PROVIDER, booking.requester, booking.instrument.unit
        else:
            raise DomainPermissionError(_("Only the requester or the instrument's managers can review this booking."))
        _require_state(booking, [BookingState.COMPLETED], _("reviewed"))
        if booking.reviews.filter(side=side).exists():
            raise DomainConflictError(
                _("Your side has already reviewed this booking."), code=BookingErrorCode.ALREADY_REVIEWED
            )
        review = Review.objects.create(booking=booking, author=author, side=side, stars=stars, tags=tags, text=text)
        facts.fact_review(review, subject=subject, author_subject=author_subject, occurred_at=now)
    return review


# --- Incidents and disputes -------------------------------------------------------------------


def _side_of(user, booking: Booking) -> str | None:
    if is_requester(user, booking):
        return Side.REQUESTER
    if is_provider(user, booking):
        return Side.PROVIDER
    return None


def incident_report(
    *,
    booking_id: int,
    reporter: User,
    kind: str,
    severity: str,
    description: str,
    estimated_loss: Decimal | str | int = Decimal("0"),
    files: Sequence = (),
) -> Incident:
    if kind not in Incident.Kind.values:
        raise DomainValidationError(_("Kind must be damage or misuse."), field="kind")
    if severity not in Incident.Severity.values:
        raise DomainValidationError(_("Severity must be minor, general or serious."), field="severity")
    if not (description or "").strip():
        raise DomainValidationError(_("Describe what happened."), field="description")
    try:
        loss = Decimal(str(estimated_loss or "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise DomainValidationError(_("The estimated loss must be an amount in CNY."), field="estimated_loss") from None
    if loss < 0:
        raise DomainValidationError(_("The estimated loss cannot be negative."), field="estimated_loss")
    with transaction.atomic():
        booking = _lock_booking(booking_id)
        side = _side_of(reporter, booking)
        if side is None:
            raise DomainPermissionError(_("Only the parties to this booking can report an incident."))
        _require_state(booking, [BookingState.IN_USE, BookingState.COMPLETED], _("the subject of an incident report"))
        incident = Incident.objects.create(
            booking=booking,
            reported_by=reporter,
            reporter_side=side,
            kind=kind,
            severity=severity,
            estimated_loss=loss,
            description=description.strip(),
        )
        IncidentAttachment.objects.bulk_create([IncidentAttachment(incident=incident, file=f) for f in files])
        BookingEvent.objects.create(
            booking=booking, actor=reporter, action="incident_reported", from_state=booking.state,
            to_state=booking.state, reason=f"#{incident.pk} {kind} ({severity})", at=timezone.now(),
        )  # fmt: skip
    return incident


def _lock_incident(incident_id: int) -> Incident:
    booking_id = Incident.objects.filter(pk=incident_id).values_list("booking_id", flat=True).first()
    if booking_id is None:
        raise DomainNotFoundError(_("No such incident."))
    booking = _lock_booking(booking_id)
    incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
    incident.booking = booking
    return incident


def _accused_may_answer(actor, incident: Incident) -> bool:
    side = _side_of(actor, incident.booking)
    return side is not None and side != incident.reporter_side


def _settle_confirmed(incident: Incident, *, now: datetime) -> None:
    """A confirmed incident is a fact against the accused; confirmed damage by the requester forfeits the deposit."""
    facts.fact_incident_confirmed(incident, occurred_at=now)
    booking = incident.booking
    if (
        incident.reporter_side == Side.PROVIDER
        and incident.kind == Incident.Kind.DAMAGE
        and booking.deposit_state == DepositState.HELD
    ):
        booking.deposit_state = DepositState.FORFEITED
        booking.save(update_fields=["deposit_state", "updated_at"])
    elif (
        booking.state == BookingState.COMPLETED
        and booking.deposit_state == DepositState.HELD
        and not _deposit_refund_blocked(booking)
    ):
        booking.deposit_state = DepositState.REFUNDED
        booking.save(update_fields=["deposit_state", "updated_at"])


def incident_confirm(*, incident_id: int, actor: User, now: datetime | None = None) -> Incident:
    """The other side (or a platform admin) confirms the report."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = _lock_incident(incident_id)
        if not (_accused_may_answer(actor, incident) or is_platform_admin(actor)):
            raise DomainPermissionError(_("Only the other side of the booking can confirm this report."))
        if incident.state != Incident.State.REPORTED:
            raise DomainConflictError(
                _("This incident is %(state)s; it cannot be confirmed.")
                % {"state": incident.get_state_display().lower()},
                code=BookingErrorCode.WRONG_STATE,
            )
        incident.state, incident.responded_by, incident.responded_at = Incident.State.CONFIRMED, actor, now
        incident.save()
        _settle_confirmed(incident, now=now)
    return incident


def incident_contest(*, incident_id: int, actor: User, reason: str, now: datetime | None = None) -> Dispute:
    """The other side contests the report: it becomes a dispute for a platform admin."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        incident = _lock_incident(incident_id)
        if not _accused_may_answer(actor, incident):
            raise DomainPermissionError(_("Only the other side of the booking can contest this report."))
        if incident.state != Incident.State.REPORTED:
            raise DomainConflictError(
                _("This incident is %(state)s; it cannot be contested.")
                % {"state": incident.get_state_display().lower()},
                code=BookingErrorCode.WRONG_STATE,
            )
        if not reason:
            raise DomainValidationError(_("Say why you contest the report."), field="reason")
        incident.state, incident.responded_by, incident.responded_at = Incident.State.CONTESTED, actor, now
        incident.response = reason
        incident.save()
        dispute = Dispute.objects.create(incident=incident, opened_by=actor, reason=reason)
    return dispute


def dispute_decide(*, dispute_id: int, actor: User, decision: str, reason: str, now: datetime | None = None) -> Dispute:
    """A platform admin decides: upheld (the report stands) or dismissed. Both sides get the outcome as a fact."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not is_platform_admin(actor):
        raise DomainPermissionError(_("Only platform administrators decide disputes."))
    if decision not in Dispute.Decision.values:
        raise DomainValidationError(_("The decision must be upheld or dismissed."), field="decision")
    if not reason:
        raise DomainValidationError(_("A decision needs its reasons."), field="reason")
    with transaction.atomic():
        incident_id = Dispute.objects.filter(pk=dispute_id).values_list("incident_id", flat=True).first()
        if incident_id is None:
            raise DomainNotFoundError(_("No such dispute."))
        incident = _lock_incident(incident_id)
        dispute = Dispute.objects.select_for_update(of=("self",)).get(pk=dispute_id)
        dispute.incident = incident
        if dispute.state != Dispute.State.OPEN:
            raise DomainConflictError(_("This dispute is already decided."), code=BookingErrorCode.WRONG_STATE)
        dispute.state, dispute.decision, dispute.decision_reason = Dispute.State.DECIDED, decision, reason
        dispute.decided_by, dispute.decided_at = actor, now
        dispute.save()
        booking = incident.booking
        reporter = booking.requester if incident.reporter_side == Side.REQUESTER else booking.instrument.unit
        accused = booking.instrument.unit if incident.reporter_side == Side.REQUESTER else booking.requester
        if decision == Dispute.Decision.UPHELD:
            incident.state = Incident.State.UPHELD
            incident.save(update_fields=["state"])
            _settle_confirmed(incident, now=now)
            facts.fact_dispute_decided(dispute, winner=reporter, loser=accused, occurred_at=now)
        else:
            incident.state = Incident.State.DISMISSED
            incident.save(update_fields=["state"])
            if (
                booking.state == BookingState.COMPLETED
                and booking.deposit_state == DepositState.HELD
                and not _deposit_refund_blocked(booking)
            ):
                booking.deposit_state = DepositState.REFUNDED
                booking.save(update_fields=["deposit_state", "updated_at"])
            facts.fact_dispute_decided(dispute, winner=accused, loser=reporter, occurred_at=now)
    return dispute
