"""One-sided facts (issue 18.1): a no-show or an overrun of the booked hours, asserted by the provider or by
the system, is kept pending (a ContestableFact) instead of reaching the requester's credit at once.

The requester may contest it within the window (bookings.contest_policy): it becomes a dispute that a
platform admin decides (disputes.dispute_decide). Uncontested, it is recorded in the credit ledger when the
window has passed (`contestable_facts_record_due`, a beat task); upheld in a dispute, at the decision; a
dismissed one is never recorded. The ledger row keeps the time the fact happened.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform import outbox
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

from .. import facts
from ..contest_policy import contestable_until
from ..error_codes import BookingErrorCode
from ..models import Booking, ContestableFact, Dispute
from ..permissions import is_requester
from ..signals import no_show_recorded
from .history import booking_history_note
from .locking import lock_booking

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Kind = ContestableFact.Kind
State = ContestableFact.State


def fact_assert(
    booking: Booking, *, kind: str, asserted_by: User | None, occurred_at: datetime, reason: str = "", **details
) -> ContestableFact:
    """Keep a one-sided fact about the requester pending, inside the caller's transaction (the booking is
    locked), and tell the requester once it commits."""
    fact = ContestableFact.objects.create(
        booking=booking,
        kind=kind,
        asserted_by=asserted_by if asserted_by is not None and asserted_by.is_authenticated else None,
        reason=reason,
        details={key: str(value) for key, value in details.items()},
        occurred_at=occurred_at,
        contestable_until=contestable_until(occurred_at),
    )
    from ..notifications.tasks import send_fact_pending  # the notifications import these services

    outbox.enqueue(send_fact_pending, fact.pk)
    return fact


def fact_reassert(
    fact: ContestableFact, *, asserted_by: User | None, occurred_at: datetime, reason: str = "", **details
) -> ContestableFact:
    """The provider restates a pending (or withdrawn) fact with new details (corrected hours): the requester
    gets a new full window from now and is told again. Inside the caller's transaction, booking locked."""
    fact.asserted_by = asserted_by if asserted_by is not None and asserted_by.is_authenticated else None
    fact.reason, fact.details = reason, {key: str(value) for key, value in details.items()}
    fact.occurred_at, fact.contestable_until, fact.state = occurred_at, contestable_until(occurred_at), State.PENDING
    fact.save(update_fields=["asserted_by", "reason", "details", "occurred_at", "contestable_until", "state"])
    from ..notifications.tasks import send_fact_pending  # the notifications import these services

    outbox.enqueue(send_fact_pending, fact.pk)
    return fact


def lock_fact(fact_id: int) -> ContestableFact:
    """Lock the fact's booking (and so its instrument), then the fact: the lock order of bookings.locking."""
    booking_id = ContestableFact.objects.filter(pk=fact_id).values_list("booking_id", flat=True).first()
    if booking_id is None:
        raise DomainNotFoundError(_("No such fact."))
    booking = lock_booking(booking_id)
    fact = ContestableFact.objects.select_for_update(of=("self",)).get(pk=fact_id)
    fact.booking = booking
    return fact


def fact_contest(*, fact_id: int, actor: User, reason: str, now: datetime | None = None) -> Dispute:
    """The requester contests a pending fact about them, once, within its window: a platform admin decides."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        fact = lock_fact(fact_id)
        if not is_requester(actor, fact.booking):
            raise DomainPermissionError(_("Only the requester of the booking can contest this fact."))
        if fact.state != State.PENDING:
            raise DomainConflictError(
                _("This fact is %(state)s; it cannot be contested again.")
                % {"state": fact.get_state_display().lower()},
                code=BookingErrorCode.ALREADY_CONTESTED,
            )
        if now >= fact.contestable_until:
            raise DomainConflictError(
                _("The window to contest this fact closed on %(time)s.")
                % {"time": timezone.localtime(fact.contestable_until).strftime("%Y-%m-%d %H:%M")},
                code=BookingErrorCode.CONTEST_WINDOW_CLOSED,
            )
        if not reason:
            raise DomainValidationError(_("Say why you contest it."), field="reason")
        fact.state, fact.contested_by, fact.contested_at, fact.contest_reason = State.CONTESTED, actor, now, reason
        fact.save()
        dispute = Dispute.objects.create(fact=fact, opened_by=actor, reason=reason)
        booking_history_note(
            booking=fact.booking, actor=actor, action="fact_contested", reason=f"{fact.kind}: {reason}", at=now
        )
    return dispute


def fact_record(fact: ContestableFact, *, now: datetime) -> None:
    """Into the credit ledger, at the time the fact happened (inside the caller's transaction, fact locked)."""
    booking, details = fact.booking, dict(fact.details)
    if fact.kind == Kind.NO_SHOW:
        facts.fact_no_show(booking, occurred_at=fact.occurred_at, automatic=fact.asserted_by_id is None)
        # The no-show stands: only now is a held deposit forfeited and the no-show billed (billing's receiver).
        if booking.deposit_state == Booking.DepositState.HELD:
            booking.deposit_state = Booking.DepositState.FORFEITED
            booking.save(update_fields=["deposit_state", "updated_at"])
        no_show_recorded.send(sender=Booking, booking=booking, fact=fact, actor=None, at=now)
    else:
        facts.fact_usage_overrun(
            booking,
            occurred_at=fact.occurred_at,
            booked_hours=Decimal(details["booked_hours"]),
            actual_hours=Decimal(details["actual_hours"]),
        )
    fact.state, fact.recorded_at = State.RECORDED, now
    fact.save(update_fields=["state", "recorded_at"])


def contestable_facts_record_due(*, now: datetime | None = None) -> list[int]:
    """Record every pending fact whose window has passed uncontested. Idempotent: re-checks under lock."""
    now = now or timezone.now()
    recorded: list[int] = []
    due = ContestableFact.objects.filter(state=State.PENDING, contestable_until__lte=now).order_by(
        "contestable_until", "pk"
    )
    for fact_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            fact = lock_fact(fact_id)
            if fact.state != State.PENDING or fact.contestable_until > now:
                continue
            fact_record(fact, now=now)
            recorded.append(fact_id)
    return recorded
