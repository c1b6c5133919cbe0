"""Reads for the booking-rules pages and API, and for the disputes page. No writes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from instruments.models import Instrument

from .models import Blackout, BookingPolicy, Dispute, OpeningHours, Qualification
from .policy import QualificationFacts, qualification_valid
from .selectors import managed_unit_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def opening_hours_list(instrument: Instrument) -> QuerySet[OpeningHours]:
    return OpeningHours.objects.filter(instrument=instrument).order_by("weekday", "opens", "id")


def blackout_list(instrument: Instrument, *, upcoming_from: datetime | None = None) -> QuerySet[Blackout]:
    """The instrument's blackouts; with `upcoming_from`, only those not yet over then."""
    queryset = Blackout.objects.filter(instrument=instrument).select_related("created_by").order_by("start", "id")
    if upcoming_from is not None:
        queryset = queryset.filter(end__gt=upcoming_from)
    return queryset


@dataclass(frozen=True)
class QualificationRow:
    qualification: Qualification
    status: str  # "valid", "lapsed" or "revoked"


def qualification_list(
    instrument: Instrument, *, policy: BookingPolicy, now: datetime | None = None
) -> list[QualificationRow]:
    """Every qualification on the instrument with its status under the policy's lapse rule (1 query)."""
    now = now or timezone.now()
    rows = []
    queryset = (
        Qualification.objects.filter(instrument=instrument)
        .select_related("user", "granted_by")
        .order_by("user__username", "id")
    )
    for qualification in queryset:
        if qualification.revoked_at is not None:
            status = "revoked"
        else:
            facts = QualificationFacts(
                granted_at=qualification.granted_at,
                last_used_at=qualification.last_used_at,
                revoked_at=qualification.revoked_at,
            )
            status = (
                "valid" if qualification_valid(facts, lapse_days=policy.qualification_lapse_days, now=now) else "lapsed"
            )
        rows.append(QualificationRow(qualification=qualification, status=status))
    return rows


def instruments_managed_by(user: User | AnonymousUser, *, limit: int = 200) -> list[Instrument]:
    """Instruments of the verified units where the user is a manager or unit admin (for the desk's links)."""
    if not user.is_authenticated:
        return []
    return list(
        Instrument.objects.filter(unit_id__in=managed_unit_ids(user))
        .exclude(status=Instrument.Status.RETIRED)
        .select_related("unit")
        .order_by("unit_id", "name", "id")[:limit]
    )


def dispute_list_open_for_page() -> QuerySet[Dispute]:
    """Open disputes with everything the decide page shows, oldest first (1 query)."""
    return (
        Dispute.objects.filter(state=Dispute.State.OPEN)
        .select_related(
            "opened_by",
            "incident",
            "incident__reported_by",
            "incident__booking",
            "incident__booking__requester",
            "incident__booking__instrument",
            "incident__booking__instrument__unit",
        )
        .order_by("created_at", "id")
    )


def rules_summary(instrument: Instrument, *, user: User | AnonymousUser, now: datetime | None = None) -> dict:
    """What a booker should know before booking: the policy, the week's hours, blackouts ahead (3 queries)."""
    from instruments.permissions import can_manage_instrument

    from .selectors import booking_policy_get
    from .services_rules import WEEKDAYS

    now = now or timezone.now()
    return {
        "instrument": instrument,
        "policy": booking_policy_get(instrument),
        "opening_hours": [(row, WEEKDAYS[row.weekday]) for row in opening_hours_list(instrument)],
        "blackouts": list(blackout_list(instrument, upcoming_from=now)[:10]),
        "can_manage": bool(user.is_authenticated and can_manage_instrument(user, instrument)),
    }


def bookings_in_period(instrument: Instrument, *, start: datetime, end: datetime) -> int:
    """How many requested, approved or in-use bookings meet [start, end) (a blackout does not cancel them)."""
    from .models import Booking, BookingState

    states = [BookingState.REQUESTED, BookingState.APPROVED, BookingState.IN_USE]
    return Booking.objects.of_instrument(instrument).filter(state__in=states).overlapping(start, end).count()
