"""External credit reports: a partner's score for a subject, stored and put on the ledger normalised."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from instruments.models import Unit
from sharing_platform.api.exceptions import error_items
from sharing_platform.errors import DomainValidationError

from ..models import CreditEvent, ExternalCreditReport
from .ledger import credit_event_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def external_report_create(
    *,
    subject: User | Unit,
    source: str,
    score: Decimal,
    range_min: Decimal,
    range_max: Decimal,
    reported_at: datetime,
    expires_at: datetime,
    reference: str = "",
    submitted_by: User | None = None,
) -> ExternalCreditReport:
    """Store a partner's report and put it on the ledger (normalised value); the subject is then recomputed."""
    report = ExternalCreditReport(
        source=source,
        score=score,
        range_min=range_min,
        range_max=range_max,
        reported_at=reported_at,
        expires_at=expires_at,
        reference=reference,
        submitted_by=submitted_by,
    )
    report.subject_set(subject)
    try:
        report.full_clean()
    except ValidationError as error:
        raise DomainValidationError(_("The external report is not valid."), errors=error_items(error)) from error
    if not (range_min <= score <= range_max) or range_max <= range_min:
        raise DomainValidationError(_("The score must lie within the report's range."), field="score")
    if expires_at <= reported_at:
        raise DomainValidationError(_("A report must expire after its date."), field="expires_at")
    with transaction.atomic():
        report.save()
        credit_event_record(
            subject=subject,
            kind=CreditEvent.Kind.EXTERNAL_REPORT,
            source=CreditEvent.Source.EXTERNAL,
            source_ref=f"external:{report.pk}",
            polarity=0,
            value=Decimal(str(round(report.normalised, 4))),
            occurred_at=reported_at,
            details={"source": source, "score": str(score), "range": [str(range_min), str(range_max)]},
            recorded_by=submitted_by,
        )
    return report
