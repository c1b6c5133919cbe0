"""Endorsements: a unit vouches for another (counted through trust propagation only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from instruments.models import Unit
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from ..models import CreditEvent, Endorsement
from ..permissions import can_act_for_subject
from .ledger import credit_event_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def endorsement_create(
    *, endorser: Unit, endorsed: Unit, by: User, kind: str = "collaboration", note: str = ""
) -> Endorsement:
    """A unit admin vouches for another unit. It counts only as far as the endorser is itself trusted."""
    if not can_act_for_subject(by, endorser):
        raise DomainPermissionError(_("Only an administrator of the endorsing unit may endorse on its behalf."))
    if endorser.pk == endorsed.pk:
        raise DomainValidationError(_("A unit cannot endorse itself."), field="endorsed")
    with transaction.atomic():
        if (
            Endorsement.objects.select_for_update()
            .filter(endorser=endorser, endorsed=endorsed, revoked_at=None)
            .exists()
        ):
            raise DomainConflictError(_("This unit already endorses that unit."))
        endorsement = Endorsement.objects.create(
            endorser=endorser, endorsed=endorsed, kind=kind, note=note, created_by=by
        )
        # On the ledger for the record (and the recompute it triggers); it weighs nothing in the credit
        # record (KIND_MULTIPLIERS): endorsements count through trust propagation only.
        credit_event_record(
            subject=endorsed,
            kind=CreditEvent.Kind.ENDORSEMENT_RECEIVED,
            source=CreditEvent.Source.ENDORSEMENT,
            source_ref=f"endorsement:{endorsement.pk}",
            counterparty=endorser,
            details={"endorsement": endorsement.pk, "kind": kind},
            recorded_by=by,
        )
    return endorsement
