"""Disputes: a platform admin decides a contested incident, or a fraud report (which opens its dispute at
once); both sides get the outcome as a fact. An upheld fraud report is FRAUD_CONFIRMED against the accused."""

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
from ..models import Booking, BookingState, Dispute, Incident, Side
from .incidents import deposit_refund_blocked, settle_confirmed
from .locking import lock_incident

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DepositState = Booking.DepositState


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
        incident = lock_incident(incident_id)
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
            settle_confirmed(incident, now=now)
            facts.fact_dispute_decided(dispute, winner=reporter, loser=accused, occurred_at=now)
        else:
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
    return dispute
