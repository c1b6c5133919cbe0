"""Writes of the billing app. Each service owns one transaction: lock, re-check, write, then after commit.

Lock order (never deadlocks): a provider's billing-terms row (its statement counter) first, then a
statement row, then a charge row. Issuing locks the provider's counter row, so two statements of one
provider are numbered one after the other without gaps and never pick the same charges; the partial
unique constraint on statement lines (a charge on at most one live statement) is the last guard.

Tasks are written to the outbox in the transaction of the change (`sharing_platform.outbox`), so a
broker outage delays a mail and never loses it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.error_codes import BillingErrorCode
from instruments.models import Instrument, Unit
from sharing_platform import outbox
from sharing_platform.errors import (
    DomainConflictError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

from . import facts, policy
from .charges import (  # noqa: F401 - charges live in their own module; callers import them from here
    charge_adjust,
    charge_correct_usage,
    charge_credit_dismissed_no_show,
    charge_for_booking,
)
from .models import (
    InstrumentBilling,
    Payment,
    ProviderBilling,
    Statement,
    StatementLine,
    StatementStatus,
)
from .permissions import can_bill_for, can_pay_for, can_set_instrument_billing, can_set_provider_terms
from .selectors import (
    charges_unbilled,
    end_of_day,
    payers_with_unbilled,
    statements_due_for_overdue,
)
from .signals import statement_issued

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

MAX_REFERENCE = 120


def _queue_statement_mail(statement: Statement, kind: str) -> None:
    from .notifications import send_statement_notifications

    outbox.enqueue(send_statement_notifications, statement.pk, kind)


# --- Configuration ----------------------------------------------------------------------------


def _full_clean(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        first = next(iter(exc.message_dict), None) if hasattr(exc, "message_dict") else None
        raise DomainValidationError(
            " ".join(exc.messages), field=first, errors=getattr(exc, "message_dict", None)
        ) from exc


INSTRUMENT_BILLING_FIELDS = (
    "basis",
    "billing_unit_minutes",
    "operator_surcharge_per_hour",
    "no_show_rule",
    "no_show_fee",
    "late_cancellation_rule",
    "late_cancellation_fee",
)


def instrument_billing_update(*, instrument: Instrument, actor: User, **values: Any) -> InstrumentBilling:
    """Change how an instrument bills (its managers). Applies to charges created from now on."""
    if not can_set_instrument_billing(actor, instrument):
        raise DomainPermissionError(_("Only the instrument's managers can change how it bills."))
    unknown = set(values) - set(INSTRUMENT_BILLING_FIELDS)
    if unknown:
        raise DomainValidationError(_("Unknown billing settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    for name in ("operator_surcharge_per_hour", "no_show_fee", "late_cancellation_fee"):
        if name in values:
            values[name] = policy.amount_parse(values[name], field=name, allow_zero=True)
    with transaction.atomic():
        InstrumentBilling.objects.get_or_create(instrument=instrument)
        billing = InstrumentBilling.objects.select_for_update().get(instrument=instrument)
        for name, value in values.items():
            setattr(billing, name, value)
        _full_clean(billing)
        if billing.no_show_rule == "fixed_fee" and billing.no_show_fee <= 0:
            raise DomainValidationError(_("A fixed no-show fee needs an amount."), field="no_show_fee")
        if billing.late_cancellation_rule == "fixed_fee" and billing.late_cancellation_fee <= 0:
            raise DomainValidationError(
                _("A fixed late-cancellation fee needs an amount."), field="late_cancellation_fee"
            )
        billing.save()
    return billing


def provider_billing_update(*, unit: Unit, actor: User, **values: Any) -> ProviderBilling:
    """A provider unit's terms: days until a statement is due, monthly automatic statements (its admins)."""
    if not can_set_provider_terms(actor, unit):
        raise DomainPermissionError(_("Only the unit's administrators can change its billing terms."))
    unknown = set(values) - {"due_days", "monthly_statements"}
    if unknown:
        raise DomainValidationError(_("Unknown billing settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    with transaction.atomic():
        terms = _lock_terms(unit.pk)
        for name, value in values.items():
            setattr(terms, name, value)
        _full_clean(terms)
        terms.save()
    return terms


# --- Statements -------------------------------------------------------------------------------


def _lock_terms(unit_id: int) -> ProviderBilling:
    """The provider's terms row, created if missing, locked: it holds the statement counter."""
    ProviderBilling.objects.get_or_create(unit_id=unit_id)
    return ProviderBilling.objects.select_for_update().get(unit_id=unit_id)


def _unit(value: Unit | int | None, field: str) -> Unit:
    unit_id = value.pk if isinstance(value, Unit) else value
    try:
        unit = Unit.objects.filter(pk=int(unit_id)).first() if unit_id is not None else None
    except (TypeError, ValueError):
        unit = None
    if unit is None:
        raise DomainValidationError(_("No such unit."), field=field)
    return unit


def statement_issue(
    *,
    provider_unit: Unit | int,
    payer_unit: Unit | int,
    period_end: date,
    actor: User,
    now: datetime | None = None,
) -> Statement:
    """Bill a paying unit for all unbilled charges up to `period_end` (a person of the provider unit)."""
    provider = _unit(provider_unit, "provider_unit")
    payer = _unit(payer_unit, "payer_unit")
    if not can_bill_for(actor, provider):
        raise DomainPermissionError(
            _("Only the provider unit's administrators and instrument managers can issue its statements."),
            code=BillingErrorCode.NOT_PROVIDER,
        )
    return _statement_issue(provider=provider, payer=payer, period_end=period_end, actor=actor, now=now)


def _statement_issue(*, provider: Unit, payer: Unit, period_end: date, actor, now: datetime | None) -> Statement:
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not isinstance(period_end, date) or isinstance(period_end, datetime):
        raise DomainValidationError(_("Give the last day of the period as a date (YYYY-MM-DD)."), field="period_end")
    if period_end > today:
        raise DomainValidationError(_("The period cannot end after today."), field="period_end")
    if provider.pk == payer.pk:
        raise DomainValidationError(
            _("Charges to members of your own unit are internal: they are listed, not billed by statement."),
            field="payer_unit",
            code=BillingErrorCode.INTERNAL,
        )
    with transaction.atomic():
        terms = _lock_terms(provider.pk)
        charges = list(
            charges_unbilled(provider_unit_id=provider.pk, payer_unit_id=payer.pk, before=end_of_day(period_end))
        )
        if not charges:
            raise DomainConflictError(
                _("%(payer)s has no unbilled charges from %(provider)s up to %(date)s: there is nothing to bill.")
                % {"payer": payer.display_name, "provider": provider.display_name, "date": period_end.isoformat()},
                code=BillingErrorCode.NO_UNBILLED_CHARGES,
            )
        total = sum((charge.amount for charge in charges), Decimal(0))
        if total <= 0:
            raise DomainConflictError(
                _(
                    "The unbilled charges add up to %(total)s CNY: a statement needs a positive total. "
                    "They stay unbilled until further charges outweigh the credits."
                )
                % {"total": total},
                code=BillingErrorCode.TOTAL_NOT_POSITIVE,
            )
        terms.last_statement_number += 1
        terms.save(update_fields=["last_statement_number", "updated_at"])
        statement = Statement.objects.create(
            provider_unit=provider,
            payer_unit=payer,
            number=terms.last_statement_number,
            period_end=period_end,
            issued_at=now,
            issued_by=actor if actor is not None and actor.is_authenticated else None,
            due_date=policy.due_date_for(today, terms.due_days),
            total=total,
        )
        try:
            with transaction.atomic():
                StatementLine.objects.bulk_create([StatementLine(statement=statement, charge=c) for c in charges])
        except IntegrityError as exc:  # only reachable if something bypassed the counter lock
            raise DomainConflictError(
                _("Some of these charges were billed meanwhile; try again."), code=BillingErrorCode.ALREADY_BILLED
            ) from exc
        statement_issued.send(sender=Statement, statement=statement)
        _queue_statement_mail(statement, "issued")
    return statement


def statements_issue_monthly(*, now: datetime | None = None) -> list[int]:
    """The monthly run: for providers that opted in, one statement per paying unit for the charges up
    to the end of last month. Idempotent: a second run finds nothing unbilled."""
    now = now or timezone.now()
    period_end = timezone.localdate(now).replace(day=1) - timedelta(days=1)
    issued: list[int] = []
    for provider_id, payer_id in payers_with_unbilled(before=end_of_day(period_end)):
        try:
            statement = _statement_issue(
                provider=Unit.objects.get(pk=provider_id),
                payer=Unit.objects.get(pk=payer_id),
                period_end=period_end,
                actor=None,
                now=now,
            )
        except (DomainConflictError, DomainValidationError) as exc:  # credits outweigh charges, or billed meanwhile
            logger.info("monthly statement %s -> %s not issued: %s", provider_id, payer_id, exc.message)
            continue
        issued.append(statement.pk)
    return issued


def _lock_statement(statement_id: int) -> Statement:
    provider_id = Statement.objects.filter(pk=statement_id).values_list("provider_unit_id", flat=True).first()
    if provider_id is None:
        raise DomainNotFoundError(_("No such statement."))
    return (
        Statement.objects.select_for_update(of=("self",))
        .select_related("provider_unit", "payer_unit")
        .get(pk=statement_id)
    )


def _statement_for(actor, statement_id: int, *, provider_side: bool) -> Statement:
    """Lock the statement; 404 for people who may not see it, 403 for the wrong side."""
    statement = _lock_statement(statement_id)
    may_bill = can_bill_for(actor, statement.provider_unit_id)
    may_pay = can_pay_for(actor, statement.payer_unit_id)
    if not (may_bill or may_pay):
        raise DomainNotFoundError(_("No such statement."))
    if provider_side and not may_bill:
        raise DomainPermissionError(_("Only the provider unit records and confirms payments of its statements."))
    if not provider_side and not may_pay:
        raise DomainPermissionError(_("Only the paying unit's administrators can declare a payment."))
    return statement


def statement_cancel(*, statement_id: int, actor: User, reason: str, now: datetime | None = None) -> Statement:
    """Withdraw a statement nobody has paid anything on; its charges become unbilled again."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(_("Say why the statement is cancelled."), field="reason")
    with transaction.atomic():
        statement = _statement_for(actor, statement_id, provider_side=True)
        if statement.status == StatementStatus.CANCELLED:
            raise DomainConflictError(_("This statement is already cancelled."), code=BillingErrorCode.CANCELLED)
        if statement.amount_paid > 0:
            raise DomainConflictError(
                _("Payments were received on this statement; correct the charges with adjustments instead."),
                code=BillingErrorCode.HAS_PAYMENTS,
            )
        statement.status, statement.cancelled_at, statement.cancelled_by = StatementStatus.CANCELLED, now, actor
        statement.cancellation_reason = reason
        statement.save()
        statement.lines.update(voided=True)
        statement.payments.filter(status=Payment.Status.DECLARED).update(
            status=Payment.Status.REJECTED, rejection_reason=_("The statement was cancelled.")
        )
        facts.fact_statement_withdrawn(statement, recorded_by=actor)
    return statement


# --- Payments ---------------------------------------------------------------------------------


def _payment_inputs(*, amount, paid_on, reference: str, statement: Statement, now: datetime) -> tuple:
    value = policy.amount_parse(amount)
    reference = (reference or "").strip()
    if not reference:
        raise DomainValidationError(
            _("Give the payment's reference (the bank transfer number or receipt)."), field="reference"
        )
    if len(reference) > MAX_REFERENCE:
        raise DomainValidationError(_("The reference is too long (120 characters at most)."), field="reference")
    if not isinstance(paid_on, date) or isinstance(paid_on, datetime):
        raise DomainValidationError(_("Give the payment date as YYYY-MM-DD."), field="paid_on")
    if paid_on > timezone.localdate(now):
        raise DomainValidationError(_("A payment date cannot be in the future."), field="paid_on")
    if paid_on < timezone.localdate(statement.issued_at):
        raise DomainValidationError(_("A payment date cannot be before the statement was issued."), field="paid_on")
    return value, paid_on, reference


def _require_payable(statement: Statement, amount: Decimal) -> None:
    if statement.status == StatementStatus.CANCELLED:
        raise DomainConflictError(
            _("This statement is cancelled: no payment can be recorded on it."), code=BillingErrorCode.CANCELLED
        )
    if statement.status == StatementStatus.PAID:
        raise DomainConflictError(_("This statement is already paid in full."), code=BillingErrorCode.ALREADY_PAID)
    if amount > statement.balance:
        raise DomainValidationError(
            _("This payment of %(amount)s CNY is more than the %(balance)s CNY still owed on the statement.")
            % {"amount": amount, "balance": statement.balance},
            field="amount",
            code=BillingErrorCode.OVERPAYMENT,
        )


def _apply_confirmed(statement: Statement, payment: Payment, *, actor, now: datetime) -> None:
    """Add a confirmed payment to the statement; when it is covered, record paid on time or late."""
    statement.amount_paid += payment.amount
    overdue = statement.status == StatementStatus.OVERDUE
    statement.status = policy.status_after_payment(total=statement.total, paid=statement.amount_paid, overdue=overdue)
    if statement.status == StatementStatus.PAID:
        statement.paid_on = max(
            statement.payments.filter(status=Payment.Status.CONFIRMED).values_list("paid_on", flat=True)
        )
    statement.save()
    if statement.status == StatementStatus.PAID:
        if statement.paid_on is not None and policy.paid_on_time(
            paid_on=statement.paid_on, due_date=statement.due_date
        ):
            facts.fact_payment_on_time(statement, occurred_at=now, recorded_by=actor)
        else:
            facts.fact_payment_late(statement, occurred_at=now)


def payment_record(
    *,
    statement_id: int,
    actor: User,
    amount: Decimal | str | int,
    paid_on: date,
    reference: str,
    now: datetime | None = None,
) -> Payment:
    """The provider records money received. Partial payments add up; the statement is paid when covered."""
    now = now or timezone.now()
    with transaction.atomic():
        statement = _statement_for(actor, statement_id, provider_side=True)
        value, paid_on, reference = _payment_inputs(
            amount=amount, paid_on=paid_on, reference=reference, statement=statement, now=now
        )
        _require_payable(statement, value)
        payment = Payment.objects.create(
            statement=statement,
            amount=value,
            paid_on=paid_on,
            reference=reference,
            status=Payment.Status.CONFIRMED,
            recorded_by=actor,
            confirmed_at=now,
        )
        _apply_confirmed(statement, payment, actor=actor, now=now)
    return payment


def payment_declare(
    *,
    statement_id: int,
    actor: User,
    amount: Decimal | str | int,
    paid_on: date,
    reference: str,
    now: datetime | None = None,
) -> Payment:
    """The payer says "paid, here is the reference"; nothing counts until the provider confirms."""
    now = now or timezone.now()
    with transaction.atomic():
        statement = _statement_for(actor, statement_id, provider_side=False)
        value, paid_on, reference = _payment_inputs(
            amount=amount, paid_on=paid_on, reference=reference, statement=statement, now=now
        )
        _require_payable(statement, value)
        payment = Payment.objects.create(
            statement=statement,
            amount=value,
            paid_on=paid_on,
            reference=reference,
            status=Payment.Status.DECLARED,
            declared_by=actor,
        )
    return payment


def _lock_declared(payment_id: int, actor) -> tuple[Statement, Payment]:
    statement_id = Payment.objects.filter(pk=payment_id).values_list("statement_id", flat=True).first()
    if statement_id is None:
        raise DomainNotFoundError(_("No such payment."))
    statement = _statement_for(actor, statement_id, provider_side=True)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.DECLARED:
        raise DomainConflictError(
            _("This payment is %(status)s; only a declared payment can be confirmed or turned down.")
            % {"status": payment.get_status_display().lower()},
            code=BillingErrorCode.PAYMENT_NOT_DECLARED,
        )
    return statement, payment


def payment_confirm(*, payment_id: int, actor: User, now: datetime | None = None) -> Payment:
    """The provider confirms a declared payment arrived: it counts from now, with the date the payer gave."""
    now = now or timezone.now()
    with transaction.atomic():
        statement, payment = _lock_declared(payment_id, actor)
        _require_payable(statement, payment.amount)
        payment.status, payment.recorded_by, payment.confirmed_at = Payment.Status.CONFIRMED, actor, now
        payment.save()
        _apply_confirmed(statement, payment, actor=actor, now=now)
    return payment


def payment_reject(*, payment_id: int, actor: User, reason: str) -> Payment:
    """The provider has not received a declared payment: it is turned down with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(_("Say why the declared payment is not accepted."), field="reason")
    with transaction.atomic():
        _statement, payment = _lock_declared(payment_id, actor)
        payment.status, payment.rejection_reason, payment.recorded_by = Payment.Status.REJECTED, reason, actor
        payment.save()
    return payment


# --- Overdue statements -----------------------------------------------------------------------


def statements_mark_overdue(*, now: datetime | None = None) -> list[int]:
    """Statements unpaid past their due date become overdue: payment_late once for the paying unit, and
    its admins and the requesters are told. Idempotent: re-checks each statement under its lock."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    marked: list[int] = []
    for statement_id in statements_due_for_overdue(today=today):
        with transaction.atomic():
            statement = _lock_statement(statement_id)
            if statement.status not in (StatementStatus.ISSUED, StatementStatus.PARTLY_PAID):
                continue
            if statement.due_date >= today:
                continue
            statement.status, statement.overdue_at = StatementStatus.OVERDUE, now
            statement.save(update_fields=["status", "overdue_at"])
            facts.fact_payment_late(statement, occurred_at=now)
            _queue_statement_mail(statement, "overdue")
        marked.append(statement_id)
    return marked
