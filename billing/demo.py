"""A year of billing for the demo platform: bookings used at the demo provider's instruments by the demo
researcher's unit and two other units, a statement per paying unit each month, mostly paid on time,
some paid late (found overdue first), the last ones still open.

Everything goes through the real services with past `now`s (bookings, charges, statements, payments,
overdue sweep, credit facts), so the demo shows exactly what the platform would have produced.
Deterministic; a second run finds the provider's statements and does nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from bookings import services as booking_services
from instruments.models import Instrument, Membership, Unit

from . import services
from .models import Statement

SEED = 15
PROVIDER_USERNAME = "provider"
RESEARCHER_USERNAME = "researcher"
# The paying side of the demo: an administrator of the researcher's unit (sees what the unit owes).
PAYER_USERNAME = "payer"
PAYER_PASSWORD = "demo-2026"  # noqa: S105 - the published demo password, like seed_demo's accounts
OTHER_PAYERS = 2
PROJECT_CODES = ("NSFC-22175031", "MOST-2023YFA1501", "SH-STCSM-24ZR", "")


@dataclass
class BillingDemoSummary:
    bookings: int = 0
    statements: int = 0
    paid_on_time: int = 0
    paid_late: int = 0
    open: int = 0
    skipped: bool = False

    def line(self) -> str:
        if self.skipped:
            return "billing demo already present: nothing to do"
        return (
            f"billing demo: {self.bookings} bookings, {self.statements} statements "
            f"({self.paid_on_time} paid on time, {self.paid_late} paid late, {self.open} open)"
        )


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _payers(provider: Unit, researcher_unit: Unit) -> list[tuple[Unit, Any]]:
    """(paying unit, a member who books) for the researcher's unit and two other verified units."""
    user_model = get_user_model()
    people = [(researcher_unit, user_model.objects.get(username=RESEARCHER_USERNAME))]
    others = (
        Unit.objects.verified().exclude(pk__in=[provider.pk, researcher_unit.pk]).order_by("credit_code")[:OTHER_PAYERS]
    )
    for index, unit in enumerate(others, start=1):
        user, _created = user_model.objects.get_or_create(
            username=f"lab-member-{index}", defaults={"email": f"lab-member-{index}@demo.example.cn"}
        )
        if _created:
            user.set_unusable_password()
            user.save()
        Membership.objects.get_or_create(user=user, unit=unit, defaults={"role": Membership.Role.MEMBER})
        people.append((unit, user))
    return people


def _instruments(provider: Unit) -> list[Instrument]:
    return list(
        Instrument.objects.filter(
            unit=provider, status=Instrument.Status.AVAILABLE, requires_qualification=False, min_credit_score=None
        ).order_by("id")[:3]
    )


def billing_demo_seed(*, months: int = 12, now: datetime | None = None) -> BillingDemoSummary:
    """Write the billing year; skip when the demo provider has statements already."""
    now = now or timezone.now()
    user_model = get_user_model()
    provider_admin = user_model.objects.filter(username=PROVIDER_USERNAME).first()
    researcher = user_model.objects.filter(username=RESEARCHER_USERNAME).first()
    if provider_admin is None or researcher is None:
        raise LookupError("run seed_demo first: the demo accounts 'provider' and 'researcher' are missing")
    provider = Unit.objects.get(memberships__user=provider_admin, memberships__role=Membership.Role.ADMIN)
    researcher_unit = Unit.objects.filter(memberships__user=researcher).order_by("id").first()
    if researcher_unit is None:
        raise ValueError("The demo researcher belongs to no unit: seed the demo units first.")
    summary = BillingDemoSummary()
    if Statement.objects.filter(provider_unit=provider).exists():
        summary.skipped = True
        return summary
    payer_admin, created = user_model.objects.get_or_create(
        username=PAYER_USERNAME, defaults={"email": f"{PAYER_USERNAME}@demo.example.cn"}
    )
    if created:
        payer_admin.set_password(PAYER_PASSWORD)
        payer_admin.save()
    Membership.objects.get_or_create(user=payer_admin, unit=researcher_unit, defaults={"role": Membership.Role.ADMIN})
    rng = random.Random(SEED)  # noqa: S311 - deterministic demo data, not security
    # Mail goes to memory while the year is written (it would be a year of notifications at once).
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
        instruments = _instruments(provider)
        payers = _payers(provider, researcher_unit)
        services.provider_billing_update(unit=provider, actor=provider_admin, due_days=30)
        first_month = (timezone.localdate(now).replace(day=1) - timedelta(days=31 * months)).replace(day=1)
        month = first_month
        while month < timezone.localdate(now).replace(day=1):
            summary.bookings += _month_of_bookings(month, instruments, payers, provider_admin, rng, now)
            month = (month + timedelta(days=32)).replace(day=1)
            issued_at = _at(month, 9)
            if issued_at >= now:
                break
            for payer, _person in payers:
                _settle(summary, provider, payer, provider_admin, month - timedelta(days=1), issued_at, rng, now)
    return summary


def _month_of_bookings(month: date, instruments, payers, provider_admin, rng: random.Random, now: datetime) -> int:
    made = 0
    for _ in range(5):
        day = month + timedelta(days=rng.randrange(0, 27))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = _at(day, rng.choice((9, 11, 14)))
        if start + timedelta(hours=4) >= now:
            continue
        instrument = rng.choice(instruments)
        _unit, person = rng.choice(payers)
        hours = rng.choice((1, 2, 2, 3))
        try:
            booking = booking_services.booking_create(
                instrument=instrument,
                requester=person,
                start=start,
                end=start + timedelta(hours=hours),
                purpose="Demo: sample analysis",
                project_code=rng.choice(PROJECT_CODES),
                now=start - timedelta(days=3),
            )
            if booking.state == "requested":
                booking_services.booking_approve(booking_id=booking.pk, actor=provider_admin,
                                                 now=start - timedelta(days=2))  # fmt: skip
            booking_services.booking_check_in(booking_id=booking.pk, actor=person, now=start)
            used = Decimal(hours) - Decimal(rng.choice(("0", "0", "0.25", "0.5")))
            booking_services.booking_check_out(booking_id=booking.pk, actor=person, actual_hours=used,
                                               now=start + timedelta(hours=float(used)))  # fmt: skip
        except Exception:  # noqa: S112 - a slot the demo cannot use (rules, clash): try the next one
            continue
        made += 1
    return made


def _settle(summary, provider, payer, actor, period_end: date, issued_at: datetime, rng, now: datetime) -> None:
    """Issue the month's statement; most are paid on time, about one in eight late, recent ones stay open."""
    from sharing_platform.errors import DomainError

    try:
        statement = services.statement_issue(
            provider_unit=provider, payer_unit=payer, period_end=period_end, actor=actor, now=issued_at
        )
    except DomainError:
        return  # nothing to bill this month
    summary.statements += 1
    due = _at(statement.due_date, 17)
    late = rng.random() < 0.15
    paid_at = due + timedelta(days=rng.randrange(3, 20)) if late else issued_at + timedelta(days=rng.randrange(3, 28))
    if late and due + timedelta(days=1) < now:
        services.statements_mark_overdue(now=_at(statement.due_date + timedelta(days=1), 1))
    if paid_at >= now:
        summary.open += 1
        return
    services.payment_record(
        statement_id=statement.pk,
        actor=actor,
        amount=statement.total,
        paid_on=timezone.localdate(paid_at),
        reference=f"DEMO-{statement.reference}",
        now=paid_at,
    )
    if late:
        summary.paid_late += 1
    else:
        summary.paid_on_time += 1
