"""A booking's request and decision: create, move, approve, refuse, cancel.

Each service owns one transaction: lock (`locking`), re-check, write, record the change
(`history`), report the facts to credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit.selectors import credit_standing_for_unit, credit_standing_for_user
from instruments.models import Instrument, Membership, Unit
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .. import facts
from ..error_codes import BookingErrorCode, BookingRule
from ..models import Booking, BookingState
from ..permissions import can_cancel_booking, can_decide_booking, can_move_booking, is_provider, is_requester
from ..policy import (
    auto_approval_decision,
    booking_problems,
    cancellation_is_late,
    deposit_decision,
    price_quote,
    refusal_justification,
)
from ..selectors import (
    blackouts_between,
    blocking_overlaps,
    booking_policy_get,
    qualification_facts,
    refusal_facts,
    user_live_bookings,
    weekly_hours,
)
from ..signals import booking_cancelled_late
from .history import record_change
from .locking import lock_booking, lock_instrument, require_state

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EXCLUSION_VIOLATION = "23P01"
# A request answered within this time (and before its start) is answered on time.
RESPONSE_DEADLINE = timedelta(hours=48)

DepositState = Booking.DepositState


# --- Checks shared by requests and moves -----------------------------------------------------


def _require_aware(value: datetime, field: str) -> None:
    if value is None or timezone.is_naive(value):
        raise DomainValidationError(_("Times must include a UTC offset (ISO 8601 with offset)."), field=field)


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


# --- Requests and moves ---------------------------------------------------------------------


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
        locked = lock_instrument(instrument_id)
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
        record_change(booking, actor=requester, action="requested", from_state="", at=now)
        if booking.state == BookingState.APPROVED:
            record_change(booking, actor=None, action="approved", from_state=BookingState.REQUESTED, at=now,
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
        old = lock_booking(booking_id)
        if not can_move_booking(actor, old):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can move this booking."))
        require_state(old, [BookingState.REQUESTED, BookingState.APPROVED], _("moved"))
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
        record_change(old, actor=actor, action="moved", from_state=from_state, reason=reason, at=now)
        record_change(new, actor=actor, action="requested", from_state="",
                reason=_("Moved from booking #%(id)s.") % {"id": old.pk}, at=now)  # fmt: skip
        if new.state == BookingState.APPROVED:
            record_change(new, actor=actor, action="approved", from_state=BookingState.REQUESTED, at=now)
    return new


# --- Decisions --------------------------------------------------------------------------------


def _answered_on_time(booking: Booking, now: datetime) -> bool:
    return now - booking.created_at <= RESPONSE_DEADLINE and now <= booking.start


def booking_approve(*, booking_id: int, actor: User, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can approve this booking."))
        require_state(booking, [BookingState.REQUESTED], _("approved"))
        if booking.instrument.status != Instrument.Status.AVAILABLE:
            raise DomainConflictError(
                _("The instrument is %(status)s; it cannot take bookings now.")
                % {"status": booking.instrument.get_status_display().lower()},
                code=BookingErrorCode.INSTRUMENT_UNAVAILABLE,
            )
        if booking.end <= now:
            raise DomainConflictError(_("The requested time has passed; refuse or let the requester move it."))
        blackout = next(iter(blackouts_between(booking.instrument, booking.start, booking.end)), None)
        if blackout is not None:
            # A declared maintenance period holds for every booking in it, or it justifies no refusal.
            raise DomainConflictError(
                _("The booking falls in the blackout %(start)s to %(end)s; refuse it or remove the blackout.")
                % {
                    "start": timezone.localtime(blackout.start).strftime("%Y-%m-%d %H:%M"),
                    "end": timezone.localtime(blackout.end).strftime("%Y-%m-%d %H:%M"),
                },
                code=BookingRule.BLACKOUT,
            )
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
        record_change(booking, actor=actor, action="approved", from_state=BookingState.REQUESTED, at=now)
        facts.fact_request_answered(booking, occurred_at=now, on_time=_answered_on_time(booking, now), approved=True)
    return booking


def booking_refuse(*, booking_id: int, actor: User, reason: str, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_decide_booking(actor, booking):
            raise DomainPermissionError(_("Only the instrument's managers can refuse this booking."))
        require_state(booking, [BookingState.REQUESTED], _("refused"))
        if not reason:
            raise DomainValidationError(_("A refusal needs a reason."), field="reason")
        booking.state, booking.decided_by, booking.decided_at = BookingState.REFUSED, actor, now
        booking.refusal_reason = reason
        booking.save()
        record_change(booking, actor=actor, action="refused", from_state=BookingState.REQUESTED, reason=reason, at=now)
        facts.fact_request_answered(booking, occurred_at=now, on_time=_answered_on_time(booking, now), approved=False)
        justification = refusal_justification(refusal_facts(booking))
        facts.fact_refusal(booking, occurred_at=now, justification=justification)
    return booking


def booking_cancel(*, booking_id: int, actor: User, reason: str = "", now: datetime | None = None) -> Booking:
    """Cancel. The requester's cancellation of an approved booking inside the notice window is late."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if not can_cancel_booking(actor, booking):
            raise DomainPermissionError(_("Only the requester or the instrument's managers can cancel this booking."))
        require_state(booking, [BookingState.REQUESTED, BookingState.APPROVED], _("cancelled"))
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
        record_change(booking, actor=actor, action="cancelled", from_state=from_state, reason=reason, at=now)
        if late:
            facts.fact_late_cancellation(booking, occurred_at=now)
            booking_cancelled_late.send(sender=Booking, booking=booking, actor=actor, at=now)
        if not by_requester and from_state == BookingState.APPROVED:
            facts.fact_provider_cancellation(booking, occurred_at=now, reason=reason)
    return booking
