"""Disputes: a platform admin decides a contested incident, a fraud report (which opens its dispute at once),
or a contested one-sided fact (a no-show, an overrun); both sides get the outcome as a fact. An upheld
fraud report is FRAUD_CONFIRMED against the accused. An incident may be upheld at another severity than
the reporter chose (issue 18.1): the fact against the accused carries the decided one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.permissions import is_platform_admin
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

from .. import facts
from ..error_codes import BookingErrorCode
from ..models import Booking, BookingState, ContestableFact, Dispute, Incident, Side
from ..signals import no_show_dismissed
from .contests import fact_record, lock_fact
from .incidents import deposit_refund_blocked, settle_confirmed
from .locking import lock_incident

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DepositState = Booking.DepositState


def dispute_decide(
    *,
    dispute_id: int,
    actor: User,
    decision: str,
    reason: str,
    severity: str = "",
    now: datetime | None = None,
) -> Dispute:
    """A platform admin decides: upheld (the report or fact stands; an incident at `severity`, blank for the
    reported one) or dismissed (nothing is recorded against the accused). Both sides get the outcome."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    severity = (severity or "").strip()
    if not is_platform_admin(actor):
        raise DomainPermissionError(_("Only platform administrators decide disputes."))
    if decision not in Dispute.Decision.values:
        raise DomainValidationError(_("The decision must be upheld or dismissed."), field="decision")
    if severity and severity not in Incident.Severity.values:
        raise DomainValidationError(_("Severity must be minor, general or serious."), field="severity")
    if severity and decision != Dispute.Decision.UPHELD:
        raise DomainValidationError(_("A severity is decided only when the report is upheld."), field="severity")
    if not reason:
        raise DomainValidationError(_("A decision needs its reasons."), field="reason")
    with transaction.atomic():
        ids = Dispute.objects.filter(pk=dispute_id).values_list("incident_id", "fact_id").first()
        if ids is None:
            raise DomainNotFoundError(_("No such dispute."))
        incident_id, fact_id = ids
        if fact_id is not None and severity:
            raise DomainValidationError(_("A no-show or an overrun has no severity to decide."), field="severity")
        locked = lock_incident(incident_id) if incident_id is not None else lock_fact(fact_id)
        dispute = Dispute.objects.select_for_update(of=("self",)).get(pk=dispute_id)
        if dispute.state != Dispute.State.OPEN:
            raise DomainConflictError(_("This dispute is already decided."), code=BookingErrorCode.WRONG_STATE)
        dispute.state, dispute.decision, dispute.decision_reason = Dispute.State.DECIDED, decision, reason
        dispute.decided_by, dispute.decided_at = actor, now
        dispute.severity = severity if incident_id is not None else ""
        dispute.save()
        if isinstance(locked, Incident):
            dispute.incident = locked
            _decide_incident(dispute, locked, now=now)
        else:
            dispute.fact = locked
            _decide_fact(dispute, locked, now=now)
    return dispute


def _decide_incident(dispute: Dispute, incident: Incident, *, now: datetime) -> None:
    booking = incident.booking
    reporter = booking.requester if incident.reporter_side == Side.REQUESTER else booking.instrument.unit
    accused = booking.instrument.unit if incident.reporter_side == Side.REQUESTER else booking.requester
    if dispute.decision == Dispute.Decision.UPHELD:
        incident.state = Incident.State.UPHELD
        incident.save(update_fields=["state"])
        settle_confirmed(incident, now=now, severity=dispute.severity or incident.severity)
        facts.fact_dispute_decided(dispute, winner=reporter, loser=accused, occurred_at=now)
        return
    incident.state = Incident.State.DISMISSED
    incident.save(update_fields=["state"])
    if (
        booking.state == BookingState.COMPLETED
        and booking.deposit_state == DepositState.HELD
        and not deposit_refund_blocked(booking)
    ):
        booking.deposit_state = DepositState.REFUNDED
        booking.save(update_fields=["deposit_state", "updated_at"])
    facts.fact_dispute_decided(dispute, winner=accused, loser=reporter, occurred_at=now)


def _decide_fact(dispute: Dispute, fact: ContestableFact, *, now: datetime) -> None:
    """Upheld: the fact is recorded (at the time it happened). Dismissed: it never reaches the ledger. The
    provider wins or loses the dispute only over what it asserted itself (not over the no-show sweep)."""
    booking = fact.booking
    requester = booking.requester
    provider = booking.instrument.unit if fact.asserted_by_id is not None else None
    if dispute.decision == Dispute.Decision.UPHELD:
        fact_record(fact, now=now)
        facts.fact_dispute_decided(dispute, winner=provider, loser=requester, occurred_at=now)
        return
    fact.state = ContestableFact.State.DISMISSED
    fact.save(update_fields=["state"])
    if fact.kind == ContestableFact.Kind.NO_SHOW:
        # The requester owes nothing for a no-show that did not happen: the deposit comes back (one forfeited
        # before no-shows waited for their window too), and billing credits whatever it charged for it.
        if booking.deposit_state in (DepositState.HELD, DepositState.FORFEITED) and not deposit_refund_blocked(booking):
            booking.deposit_state = DepositState.REFUNDED
            booking.save(update_fields=["deposit_state", "updated_at"])
        no_show_dismissed.send(sender=Booking, booking=booking, fact=fact, actor=dispute.decided_by, at=now)
    facts.fact_dispute_decided(dispute, winner=requester, loser=provider, occurred_at=now)
