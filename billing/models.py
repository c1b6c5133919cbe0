"""Billing and settlement: what a booking costs, the statements a provider unit sends to
a paying unit, and the payments that settle them.

Above bookings: bookings tells billing of completions, no-shows and late cancellations through its
signals (inside the same transaction); nothing below imports this app.

Invariants kept by the database: money is never negative except on adjustment lines; a booking has
at most one charge of its own (adjustments aside); a charge is on at most one live statement (lines
of a cancelled statement are voided, so the charge can be billed again); statement numbers are
unique per provider, and amounts paid never exceed the total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking
from instruments.models import Instrument, Unit

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
HOURS: dict[str, Any] = {"max_digits": 8, "decimal_places": 2}


# --- Configuration ----------------------------------------------------------------------------


class ChargeRule(models.TextChoices):
    """What a no-show or a late cancellation costs."""

    NONE = "none", _("Nothing")
    FIXED_FEE = "fixed_fee", _("A fixed fee")
    BOOKED_HOURS = "booked_hours", _("The booked hours")


class InstrumentBilling(models.Model):
    """How one instrument bills (rates stay on the instrument). Created on demand with these defaults."""

    class Basis(models.TextChoices):
        ACTUAL = "actual", _("Hours actually used")
        BOOKED = "booked", _("Booked hours")

    instrument = models.OneToOneField(
        Instrument, on_delete=models.CASCADE, related_name="billing", verbose_name=_("instrument")
    )
    basis = models.CharField(_("bill"), max_length=8, choices=Basis.choices, default=Basis.ACTUAL)
    billing_unit_minutes = models.PositiveIntegerField(
        _("minimum billing unit (minutes)"),
        default=30,
        validators=[MaxValueValidator(1440)],
        help_text=_("Billed time is rounded up to a multiple of this; 0 bills to the minute."),
    )
    operator_surcharge_per_hour = models.DecimalField(
        _("operator-assisted surcharge per hour (CNY)"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    no_show_rule = models.CharField(
        _("a no-show costs"), max_length=16, choices=ChargeRule.choices, default=ChargeRule.NONE
    )
    no_show_fee = models.DecimalField(
        _("no-show fee (CNY)"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    late_cancellation_rule = models.CharField(
        _("a late cancellation costs"), max_length=16, choices=ChargeRule.choices, default=ChargeRule.NONE
    )
    late_cancellation_fee = models.DecimalField(
        _("late cancellation fee (CNY)"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("instrument billing")
        verbose_name_plural = _("instrument billing")
        constraints = [
            models.CheckConstraint(
                condition=Q(operator_surcharge_per_hour__gte=0)
                & Q(no_show_fee__gte=0)
                & Q(late_cancellation_fee__gte=0),
                name="instrument_billing_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(billing_unit_minutes__lte=1440), name="instrument_billing_unit_at_most_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument}"


class ProviderBilling(models.Model):
    """A provider unit's billing terms, and its statement counter (locked to number without gaps)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="billing", verbose_name=_("unit"))
    due_days = models.PositiveIntegerField(
        _("payment due after (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    monthly_statements = models.BooleanField(
        _("issue statements automatically every month"),
        default=False,
        help_text=_("On the first day of each month, one statement per paying unit for the charges up to then."),
    )
    last_statement_number = models.PositiveIntegerField(_("last statement number"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("provider billing terms")
        verbose_name_plural = _("provider billing terms")
        constraints = [
            models.CheckConstraint(condition=Q(due_days__gte=1, due_days__lte=365), name="provider_billing_due_days"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}"


# --- Charges ----------------------------------------------------------------------------------


class Charge(models.Model):
    """One line of what a paying unit owes a provider: a booking's charge, or a correction of one.

    Never edited: a correction is a new adjustment line (with reason and author) that refers to the
    charge it corrects and may be negative.
    """

    class Kind(models.TextChoices):
        USAGE = "usage", _("Use of the instrument")
        NO_SHOW = "no_show", _("No-show")
        LATE_CANCELLATION = "late_cancellation", _("Late cancellation")
        ADJUSTMENT = "adjustment", _("Adjustment")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="charges", verbose_name=_("booking"))
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="charges", verbose_name=_("instrument")
    )
    provider_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="charges_billed", verbose_name=_("provider unit")
    )
    # The requester's unit; none when the requester booked without a unit (then no statement can carry it).
    payer_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges_owed",
        verbose_name=_("paying unit"),
    )
    project_code = models.CharField(_("project or funding code"), max_length=64, blank=True)
    hours = models.DecimalField(_("billed hours"), default=Decimal("0"), **HOURS)
    rate_kind = models.CharField(_("rate"), max_length=8, choices=Booking.RateKind.choices)
    rate = models.DecimalField(_("hourly rate (CNY)"), default=Decimal("0"), **MONEY)
    surcharge_rate = models.DecimalField(_("operator surcharge per hour (CNY)"), default=Decimal("0"), **MONEY)
    fee = models.DecimalField(_("fixed fee (CNY)"), default=Decimal("0"), **MONEY)
    deposit_applied = models.DecimalField(_("forfeited deposit set against it (CNY)"), default=Decimal("0"), **MONEY)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    adjusts = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name=_("corrects"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incurred_at = models.DateTimeField(_("incurred at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-incurred_at", "-id"]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        indexes = [
            models.Index(fields=["provider_unit", "payer_unit", "incurred_at"]),
            models.Index(fields=["payer_unit", "incurred_at"]),
            models.Index(fields=["instrument", "incurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["booking"], condition=~Q(kind="adjustment"), name="charge_one_per_booking"),
            models.CheckConstraint(
                condition=Q(kind="adjustment")
                | (Q(amount__gte=0) & Q(deposit_applied__gte=0) & Q(adjusts__isnull=True)),
                name="charge_not_negative_unless_adjustment",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment")
                | (Q(adjusts__isnull=False) & ~Q(reason="") & Q(created_by__isnull=False) & ~Q(amount=0)),
                name="charge_adjustment_has_reason_and_author",
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(rate__gte=0) & Q(surcharge_rate__gte=0) & Q(fee__gte=0),
                name="charge_inputs_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"charge {self.pk} {self.kind} {self.amount}"


# --- Statements -------------------------------------------------------------------------------


class StatementStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (StatementStatus.ISSUED, StatementStatus.PARTLY_PAID, StatementStatus.OVERDUE)


class Statement(models.Model):
    """A provider unit's bill to one paying unit for its unbilled charges up to a date."""

    Status = StatementStatus

    provider_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="statements_issued", verbose_name=_("provider unit")
    )
    payer_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="statements_received", verbose_name=_("paying unit")
    )
    number = models.PositiveIntegerField(_("number"))
    period_end = models.DateField(_("charges up to"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    total = models.DecimalField(_("total (CNY)"), **MONEY)
    amount_paid = models.DecimalField(_("paid (CNY)"), default=Decimal("0"), **MONEY)
    status = models.CharField(
        _("status"), max_length=12, choices=StatementStatus.choices, default=StatementStatus.ISSUED
    )
    paid_on = models.DateField(_("paid in full on"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("found overdue at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancellation_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [
            models.Index(fields=["payer_unit", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["provider_unit", "number"], name="statement_number_unique_per_provider"),
            models.CheckConstraint(condition=Q(total__gt=0), name="statement_total_positive"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("total")), name="statement_paid_within_total"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(amount_paid=F("total")) & Q(paid_on__isnull=False)),
                name="statement_paid_means_covered",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | (Q(cancelled_at__isnull=False) & ~Q(cancellation_reason="")),
                name="statement_cancelled_with_reason",
            ),
            models.CheckConstraint(condition=~Q(provider_unit=F("payer_unit")), name="statement_not_to_itself"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The number people quote: provider id and the provider's own sequence, e.g. 0012-000045."""
        return f"{self.provider_unit_id:04d}-{self.number:06d}"

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid


class StatementLine(models.Model):
    """One charge on one statement. Voided (kept for the record) when the statement is cancelled."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="statement_lines")
    voided = models.BooleanField(_("voided"), default=False)

    class Meta:
        ordering = ["statement_id", "id"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        constraints = [
            # The last guard against billing a charge twice, whatever the application does.
            models.UniqueConstraint(fields=["charge"], condition=Q(voided=False), name="charge_billed_at_most_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.charge_id}"


class Payment(models.Model):
    """Money towards one statement: recorded by the provider, or declared by the payer and then confirmed."""

    class Status(models.TextChoices):
        DECLARED = "declared", _("Declared by the payer, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Not received")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("why it was not accepted"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | (Q(recorded_by__isnull=False) & Q(confirmed_at__isnull=False)),
                name="payment_confirmed_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="payment_rejected_with_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.amount} ({self.status})"
