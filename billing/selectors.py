"""Reads of the billing app, with their joins stated. No writes here."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from instruments.models import Instrument, Unit
from instruments.permissions import is_platform_admin

from .models import (
    OPEN_STATUSES,
    Charge,
    InstrumentBilling,
    Payment,
    ProviderBilling,
    Statement,
    StatementLine,
    StatementStatus,
)
from .permissions import charge_visibility, provider_unit_ids, statement_visibility
from .policy import money

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User

ZERO = Decimal("0.00")


def instrument_billing_get(instrument: Instrument) -> InstrumentBilling:
    """The instrument's billing rules, or an unsaved row with the defaults (nothing is written on read)."""
    try:
        return instrument.billing
    except InstrumentBilling.DoesNotExist:
        return InstrumentBilling(instrument=instrument)


def provider_billing_get(unit: Unit) -> ProviderBilling:
    try:
        return unit.billing
    except ProviderBilling.DoesNotExist:
        return ProviderBilling(unit=unit)


def end_of_day(day: date) -> datetime:
    """The first moment after `day` in the project's time zone (charges up to a date are those before it)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# --- Charges ----------------------------------------------------------------------------------


def _charge_base() -> QuerySet[Charge]:
    return Charge.objects.select_related(
        "booking", "booking__requester", "instrument", "provider_unit", "payer_unit", "created_by"
    )


def billed_line_exists() -> Exists:
    return Exists(StatementLine.objects.filter(charge=OuterRef("pk"), voided=False))


def charge_list_for(*, user: User, filters: dict | None = None) -> QuerySet[Charge]:
    """Charges a user may see (parties and platform admins), newest first, with `billed` annotated."""
    queryset = _charge_base().annotate(billed=billed_line_exists())
    if not is_platform_admin(user):
        queryset = queryset.filter(charge_visibility(user))
    if filters:
        from .filters import ChargeFilter

        queryset = ChargeFilter(filters, queryset=queryset).qs
    return queryset.order_by("-incurred_at", "-id")


def charge_get_for(*, user: User, pk: int) -> Charge | None:
    return charge_list_for(user=user).filter(pk=pk).first()


def charges_unbilled(*, provider_unit_id: int, payer_unit_id: int, before: datetime) -> QuerySet[Charge]:
    """What a statement for this pair up to `before` would carry: unbilled lines that owe something."""
    return (
        Charge.objects.filter(provider_unit_id=provider_unit_id, payer_unit_id=payer_unit_id, incurred_at__lt=before)
        .exclude(amount=0)
        .filter(~billed_line_exists())
        .order_by("incurred_at", "id")
    )


def unbilled_by_payer(*, provider_unit: Unit, before: datetime) -> list[dict]:
    """Per paying unit (other than the provider itself): the number and sum of unbilled charges (one query)."""
    rows = (
        Charge.objects.filter(provider_unit=provider_unit, incurred_at__lt=before, payer_unit__isnull=False)
        .exclude(payer_unit=provider_unit)
        .exclude(amount=0)
        .filter(~billed_line_exists())
        .order_by()
        .values("payer_unit_id", "payer_unit__name", "payer_unit__name_en")
        .annotate(charges=Count("id"), total=Sum("amount"))
        .order_by("payer_unit__name", "payer_unit_id")
    )
    return [
        {
            "payer_unit_id": row["payer_unit_id"],
            "payer_unit_name": Unit(name=row["payer_unit__name"], name_en=row["payer_unit__name_en"]).display_name,
            "charges": row["charges"],
            "total": money(row["total"] or ZERO),
        }
        for row in rows
    ]


def payers_with_unbilled(*, before: datetime) -> list[tuple[int, int]]:
    """(provider, payer) pairs with unbilled charges incurred before `before`, for providers that opted in
    to monthly statements (one query)."""
    return list(
        Charge.objects.filter(
            incurred_at__lt=before, payer_unit__isnull=False, provider_unit__billing__monthly_statements=True
        )
        .exclude(payer_unit=F("provider_unit"))
        .exclude(amount=0)
        .filter(~billed_line_exists())
        .order_by("provider_unit_id", "payer_unit_id")
        .values_list("provider_unit_id", "payer_unit_id")
        .distinct()
    )


# --- Statements -------------------------------------------------------------------------------


def _statement_base() -> QuerySet[Statement]:
    return Statement.objects.select_related("provider_unit", "payer_unit", "issued_by")


def statement_list_for(*, user: User, filters: dict | None = None) -> QuerySet[Statement]:
    """Statements both units' billing people and platform admins may see, newest first."""
    queryset = _statement_base()
    if not is_platform_admin(user):
        queryset = queryset.filter(statement_visibility(user))
    if filters:
        from .filters import StatementFilter

        queryset = StatementFilter(filters, queryset=queryset).qs
    return queryset.order_by("-issued_at", "-id")


def statement_get_for(*, user: User, pk: int) -> Statement | None:
    return statement_list_for(user=user).filter(pk=pk).first()


def statement_charges(statement: Statement) -> list[Charge]:
    """The statement's live charges (voided ones when it was cancelled), in time order (one query)."""
    voided = statement.status == StatementStatus.CANCELLED
    return list(
        _charge_base()
        .annotate(billed=billed_line_exists())
        .filter(statement_lines__statement=statement, statement_lines__voided=voided)
        .order_by("project_code", "incurred_at", "id")
    )


@dataclass
class ProjectGroup:
    project_code: str
    charges: list[Charge] = field(default_factory=list)
    hours: Decimal = ZERO
    subtotal: Decimal = ZERO


def group_by_project(charges: list[Charge]) -> list[ProjectGroup]:
    """Lines grouped by project code (codes in order, the lines without a code last)."""
    groups: OrderedDict[str, ProjectGroup] = OrderedDict()
    for charge in sorted(charges, key=lambda c: (c.project_code == "", c.project_code, c.incurred_at, c.pk)):
        group = groups.setdefault(charge.project_code, ProjectGroup(project_code=charge.project_code))
        group.charges.append(charge)
        group.hours += charge.hours
        group.subtotal += charge.amount
    return list(groups.values())


def statement_payments(statement: Statement) -> list[Payment]:
    return list(statement.payments.select_related("declared_by", "recorded_by").order_by("created_at", "id"))


def statements_due_for_overdue(*, today: date) -> list[int]:
    """Open statements past their due date that have not been found overdue yet."""
    return list(
        Statement.objects.filter(status__in=[StatementStatus.ISSUED, StatementStatus.PARTLY_PAID], due_date__lt=today)
        .order_by("due_date", "id")
        .values_list("pk", flat=True)
    )


def payments_awaiting_confirmation(*, user: User) -> QuerySet[Payment]:
    """Declared payments on statements this user bills for."""
    queryset = Payment.objects.filter(status=Payment.Status.DECLARED).select_related(
        "statement", "statement__payer_unit", "statement__provider_unit", "declared_by"
    )
    if not is_platform_admin(user):
        queryset = queryset.filter(statement__provider_unit_id__in=provider_unit_ids(user))
    return queryset.order_by("created_at", "id")


# --- What a paying unit owes ------------------------------------------------------------------


def owed_by_project(*, payer_unit: Unit) -> list[dict]:
    """Per project code: charged on open statements, and not billed yet (two grouped queries)."""
    billed = {
        row["project_code"]: money(row["total"] or ZERO)
        for row in Charge.objects.filter(
            payer_unit=payer_unit,
            statement_lines__voided=False,
            statement_lines__statement__status__in=OPEN_STATUSES,
        )
        .order_by()
        .values("project_code")
        .annotate(total=Sum("amount"))
    }
    unbilled = {
        row["project_code"]: money(row["total"] or ZERO)
        for row in Charge.objects.filter(payer_unit=payer_unit)
        .exclude(provider_unit=payer_unit)
        .filter(~billed_line_exists())
        .order_by()
        .values("project_code")
        .annotate(total=Sum("amount"))
    }
    codes = sorted(set(billed) | set(unbilled), key=lambda code: (code == "", code))
    return [
        {
            "project_code": code,
            "on_open_statements": billed.get(code, ZERO),
            "not_billed_yet": unbilled.get(code, ZERO),
        }
        for code in codes
        if billed.get(code, ZERO) or unbilled.get(code, ZERO)
    ]


def outstanding_total(*, payer_unit: Unit) -> Decimal:
    row = Statement.objects.filter(payer_unit=payer_unit, status__in=OPEN_STATUSES).aggregate(
        total=Coalesce(Sum("total"), ZERO), paid=Coalesce(Sum("amount_paid"), ZERO)
    )
    return money(row["total"] - row["paid"])


def billing_units_of(user: User, *, roles: Iterable[str]) -> QuerySet[Unit]:
    """Units in which the user holds one of `roles` (all units for platform admins)."""
    if is_platform_admin(user):
        return Unit.objects.all().order_by("name", "id")
    return Unit.objects.filter(memberships__user=user, memberships__role__in=roles).distinct().order_by("name", "id")


# --- Income for the evaluation (analytics reads these) ----------------------------------------


def income_by_instrument(*, start: datetime, end: datetime, instruments: QuerySet[Instrument]) -> dict[int, dict]:
    """Charged money per instrument over [start, end): {instrument_id: {"internal": D, "external": D}} (one query).

    Internal: the paying unit is the provider itself. Every line counts (use, no-show and late
    cancellation fees, adjustments) at the moment it was incurred; deposits set against a charge
    count as income too (the provider kept them).
    """
    return _income_grouped("instrument_id", start, end, Q(instrument__in=instruments.values("pk")))


def income_by_provider(*, start: datetime, end: datetime, instruments: QuerySet[Instrument]) -> dict[int, dict]:
    """The same per provider unit (one query)."""
    return _income_grouped("provider_unit_id", start, end, Q(instrument__in=instruments.values("pk")))


def _income_grouped(key: str, start: datetime, end: datetime, scope: Q) -> dict[int, dict]:
    internal = Q(payer_unit_id=F("provider_unit_id"))
    money = Coalesce(Sum("amount"), ZERO) + Coalesce(Sum("deposit_applied"), ZERO)
    rows = (
        Charge.objects.filter(scope, incurred_at__gte=start, incurred_at__lt=end)
        .order_by()
        .values(key)
        .annotate(
            internal=Coalesce(Sum("amount", filter=internal), ZERO)
            + Coalesce(Sum("deposit_applied", filter=internal), ZERO),
            total=money,
        )
    )
    return {row[key]: {"internal": row["internal"], "external": row["total"] - row["internal"]} for row in rows}
