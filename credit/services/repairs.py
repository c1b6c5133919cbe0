"""Credit repair: a listed subject asks to end publication early, with proof and a signed commitment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .. import policy
from ..models import CreditEvent, ListEntry, RepairRequest
from ..permissions import can_act_for_subject
from .ledger import credit_event_record
from .lists import _end_publication, _locked_entry, _require_moderator, _require_reason
from .persons import person_entry_ended

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import UploadedFile


def repair_request_submit(
    *, entry: ListEntry, user: User, proof_text: str, commitment_signed: bool, proof_file: UploadedFile | None = None
) -> RepairRequest:
    """Ask for credit repair once the shortest publication period passed, with proof and a signed commitment."""
    if not can_act_for_subject(user, entry.subject):
        raise DomainPermissionError(
            _("Only the listed person or an administrator of the listed unit may request repair.")
        )
    if not commitment_signed:
        raise DomainValidationError(_("The credit commitment must be signed."), field="commitment_signed")
    proof_text = (proof_text or "").strip()
    if not proof_text:
        raise DomainValidationError(_("Describe how the problem was corrected."), field="proof_text")
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status != ListEntry.Status.PUBLISHED:
            raise DomainConflictError(_("Only a published entry can be repaired."))
        available = policy.repair_available_from(entry)
        if available is not None and timezone.now() < available:
            raise DomainConflictError(
                _("Repair can be requested from %(date)s, after the minimum publication period.")
                % {"date": timezone.localtime(available).date().isoformat()}
            )
        if entry.repair_requests.filter(status=RepairRequest.Status.PENDING).exists():
            raise DomainConflictError(_("A repair request for this entry is already waiting for a decision."))
        return RepairRequest.objects.create(
            entry=entry,
            submitted_by=user,
            proof_text=proof_text,
            proof_file=proof_file or "",
            commitment_signed=True,
        )


def repair_request_decide(*, repair: RepairRequest, admin: User, granted: bool, reason: str) -> RepairRequest:
    """Grant (publication ends, the score is recomputed) or refuse a repair request; a ledger event either way."""
    _require_moderator(admin)
    reason = _require_reason(reason)
    with transaction.atomic():
        repair = RepairRequest.objects.select_for_update().select_related("entry").get(pk=repair.pk)
        if repair.status != RepairRequest.Status.PENDING:
            raise DomainConflictError(_("This repair request has already been decided."))
        entry = _locked_entry(repair.entry)
        now = timezone.now()
        repair.status = RepairRequest.Status.GRANTED if granted else RepairRequest.Status.REFUSED
        repair.decided_by, repair.decision_reason, repair.decided_at = admin, reason, now
        repair.save()
        if granted and entry.status == ListEntry.Status.PUBLISHED:
            _end_publication(entry, ListEntry.Status.REPAIRED, now)
            person_entry_ended(entry=entry, status=ListEntry.Status.REPAIRED, now=now)
        credit_event_record(
            subject=entry.subject,
            kind=CreditEvent.Kind.REPAIR_GRANTED if granted else CreditEvent.Kind.ADMIN_DECISION,
            source=CreditEvent.Source.ADMIN,
            source_ref=f"repair:{repair.pk}",
            polarity=None if granted else 0,
            occurred_at=now,
            details={"repair": repair.pk, "entry": entry.pk, "outcome": repair.status, "reason": reason},
            recorded_by=admin,
        )
    return repair
