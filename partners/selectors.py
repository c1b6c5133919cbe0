"""Reads of the partners app, with their joins stated. A partner only ever sees its own rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, QuerySet

from billing.models import Charge, Statement
from billing.selectors import billed_line_exists
from bookings.models import Booking, BookingEvent, ContestableFact, Dispute
from credit.models import ListEntry
from credit.selectors import credit_score_history

from .models import Partner, PartnerUser, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import User

    from instruments.models import Unit


def partner_user_get(*, partner: Partner, external_id: str) -> PartnerUser | None:
    return PartnerUser.objects.select_related("user").filter(partner=partner, external_id=external_id).first()


def partner_ids_for_user(user_id: int) -> list[int]:
    return list(PartnerUser.objects.filter(user_id=user_id).values_list("partner_id", flat=True))


def partner_user_external_id(*, partner_id: int, user_id: int) -> str | None:
    return (
        PartnerUser.objects.filter(partner_id=partner_id, user_id=user_id).values_list("external_id", flat=True).first()
    )


def partner_booking_list(*, partner: Partner) -> QuerySet[Booking]:
    """Bookings of the partner's users, newest first, with the partner's external_id of the requester."""
    return (
        Booking.objects.filter(requester__partner_link__partner=partner)
        .annotate(external_id=F("requester__partner_link__external_id"))
        .select_related("instrument", "requester", "requester_unit")
        .order_by("-created_at", "-id")
    )


def partner_booking_get(*, partner: Partner, pk: int) -> Booking | None:
    """The booking if one of the partner's users made it; None otherwise (callers answer 404)."""
    return partner_booking_list(partner=partner).filter(pk=pk).first()


def booking_event_latest(*, booking_id: int, action: str) -> BookingEvent | None:
    """The audit row behind a booking_changed signal (names the fact for webhook de-duplication)."""
    return BookingEvent.objects.filter(booking_id=booking_id, action=action).order_by("-id").first()


def booking_usage_overrun(booking_id: int) -> ContestableFact | None:
    """The booking's usage overrun fact (booked > 2x used), if the hours ever made one."""
    return ContestableFact.objects.filter(booking_id=booking_id, kind=ContestableFact.Kind.USAGE_OVERRUN).first()


def list_entries_expired_since(since: datetime, *, until: datetime) -> QuerySet[ListEntry]:
    """Entries whose publication ran out between since and until, with their subjects."""
    return (
        ListEntry.objects.filter(status=ListEntry.Status.EXPIRED, ended_at__gte=since, ended_at__lte=until)
        .select_related("subject_unit", "subject_user")
        .order_by("pk")
    )


def webhook_event_ids_sent(event_ids: list[str]) -> set[str]:
    """Which of these events some endpoint already has a delivery of."""
    return set(WebhookDelivery.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True).distinct())


def fact_dispute(fact_id: int) -> Dispute | None:
    """The dispute over a contested fact (its decision and reasons once decided)."""
    return Dispute.objects.filter(fact_id=fact_id).first()


def booking_for_webhook(booking_id: int) -> Booking | None:
    return Booking.objects.select_related("instrument", "requester").filter(pk=booking_id).first()


def webhook_endpoint_list(*, partner: Partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner, is_active=True).order_by("-created_at", "-id")


def webhook_endpoint_get(*, partner: Partner, pk: int) -> WebhookEndpoint | None:
    return webhook_endpoint_list(partner=partner).filter(pk=pk).first()


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")


def tier_change_latest(subject: User | Unit) -> tuple | None:
    """(previous snapshot, latest snapshot) when the subject's latest snapshot changed its tier, else None."""
    rows = credit_score_history(subject, limit=2)
    if len(rows) == 2 and rows[0].tier != rows[1].tier:
        return rows[0], rows[1]
    return None


# --- Billing: what the partner's users were charged, and the statements that bill them ------------


def partner_charge_list(*, partner: Partner) -> QuerySet[Charge]:
    """Charges of bookings the partner's users made, newest first, with the requester's external_id."""
    return (
        Charge.objects.filter(booking__requester__partner_link__partner=partner)
        .annotate(external_id=F("booking__requester__partner_link__external_id"), billed=billed_line_exists())
        .select_related("instrument", "provider_unit", "payer_unit", "booking")
        .order_by("-incurred_at", "-id")
    )


def partner_statement_list(*, partner: Partner) -> QuerySet[Statement]:
    """Statements that bill at least one charge of the partner's users, newest first."""
    return (
        Statement.objects.filter(
            pk__in=Charge.objects.filter(booking__requester__partner_link__partner=partner).values(
                "statement_lines__statement_id"
            )
        )
        .select_related("provider_unit", "payer_unit")
        .order_by("-issued_at", "-id")
    )


def partner_statement_get(*, partner: Partner, pk: int) -> Statement | None:
    return partner_statement_list(partner=partner).filter(pk=pk).first()


def partner_statement_charges(*, partner: Partner, statement: Statement) -> list[Charge]:
    """The lines of a statement that bill the partner's users (never other people's)."""
    voided = statement.status == Statement.Status.CANCELLED
    return list(
        partner_charge_list(partner=partner)
        .filter(statement_lines__statement=statement, statement_lines__voided=voided)
        .order_by("project_code", "incurred_at", "id")
    )


def partner_ids_for_statement(statement: Statement) -> list[int]:
    return list(
        PartnerUser.objects.filter(
            user__bookings__charges__statement_lines__statement=statement,
            user__bookings__charges__statement_lines__voided=False,
        )
        .values_list("partner_id", flat=True)
        .distinct()
        .order_by("partner_id")
    )


def partner_charges_by_statement(*, partner: Partner, statements: list[Statement]) -> dict[int, list[Charge]]:
    """The partner's users' lines of each statement on a page, in one query."""
    found: dict[int, list[Charge]] = {}
    rows = (
        partner_charge_list(partner=partner)
        .filter(statement_lines__statement__in=[s.pk for s in statements])
        .annotate(on_statement=F("statement_lines__statement_id"), line_voided=F("statement_lines__voided"))
        .order_by("project_code", "incurred_at", "id")
    )
    cancelled = {s.pk for s in statements if s.status == Statement.Status.CANCELLED}
    for charge in rows:
        if charge.line_voided == (charge.on_statement in cancelled):
            found.setdefault(charge.on_statement, []).append(charge)
    return found
