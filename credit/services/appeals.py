"""Objections (appeals) to a list entry: submitted by the subject, decided by a moderator, on the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainConflictError, DomainPermissionError

from .. import params, policy
from ..models import Appeal, CreditEvent, ListEntry
from ..permissions import can_act_for_subject
from .ledger import credit_event_record
from .lists import _end_publication, _locked_entry, _require_moderator, _require_reason
from .persons import person_entry_ended

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def appeal_submit(*, entry: ListEntry, user: User, reason: str) -> Appeal:
    """The subject objects to an entry (any time while it is proposed or published)."""
    if not can_act_for_subject(user, entry.subject):
        raise DomainPermissionError(_("Only the listed person or an administrator of the listed unit may object."))
    reason = _require_reason(reason)
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status not in {ListEntry.Status.PROPOSED, ListEntry.Status.PUBLISHED}:
            raise DomainConflictError(_("This entry is no longer open to objection."))
        if entry.appeals.filter(status=Appeal.Status.OPEN).exists():
            raise DomainConflictError(_("An objection to this entry is already waiting for a decision."))
        today = timezone.localdate()
        return Appeal.objects.create(
            entry=entry,
            submitted_by=user,
            reason=reason,
            due_on=policy.add_working_days(today, params.APPEAL_DECISION_WORKING_DAYS),
        )


def appeal_decide(*, appeal: Appeal, admin: User, upheld: bool, reason: str) -> Appeal:
    """Uphold (the entry is revoked) or dismiss an objection. The decision goes on the ledger either way."""
    _require_moderator(admin)
    reason = _require_reason(reason)
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("entry").get(pk=appeal.pk)
        if appeal.status != Appeal.Status.OPEN:
            raise DomainConflictError(_("This objection has already been decided."))
        entry = _locked_entry(appeal.entry)
        now = timezone.now()
        appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.DISMISSED
        appeal.decided_by, appeal.decision_reason, appeal.decided_at = admin, reason, now
        appeal.save()
        if upheld and entry.status in {ListEntry.Status.PROPOSED, ListEntry.Status.PUBLISHED}:
            _end_publication(entry, ListEntry.Status.REVOKED, now)
            person_entry_ended(entry=entry, status=ListEntry.Status.REVOKED, now=now)
        credit_event_record(
            subject=entry.subject,
            kind=CreditEvent.Kind.APPEAL_UPHELD if upheld else CreditEvent.Kind.ADMIN_DECISION,
            source=CreditEvent.Source.ADMIN,
            source_ref=f"appeal:{appeal.pk}",
            polarity=None if upheld else 0,
            occurred_at=now,
            details={"appeal": appeal.pk, "entry": entry.pk, "outcome": appeal.status, "reason": reason},
            recorded_by=admin,
        )
    return appeal
