"""Bookings: per-instrument booking rules, the booking lifecycle with its audit trail,
deposits, reviews, incidents and disputes.

The database is the last guard against double booking: on PostgreSQL an exclusion constraint
over the half-open time range of approved and in-use bookings of one instrument.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from instruments.models import Instrument, Unit
from sharing_platform.uploads import RandomUploadPath

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class TsTzRange(Func):
    """PostgreSQL tstzrange(start, end, '[)'): half-open, so back-to-back slots do not collide."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresOnlyExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists on PostgreSQL and is a no-op elsewhere (SQLite).

    On SQLite the booking service serialises check and write in one IMMEDIATE transaction instead.
    """

    @staticmethod
    def _is_postgres(schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def validate(self, model, instance, exclude=None, using=None):
        # The services check overlaps themselves (with a message naming the clash); the database
        # enforces this constraint. Model validation does not repeat the query.
        return


# --- Per-instrument booking rules -------------------------------------------------------------


class BookingPolicy(models.Model):
    """The booking rules of one instrument. Created on demand with these defaults."""

    instrument = models.OneToOneField(
        Instrument, on_delete=models.CASCADE, related_name="booking_policy", verbose_name=_("instrument")
    )
    min_notice_hours = models.PositiveIntegerField(_("minimum notice (hours)"), default=2)
    horizon_days = models.PositiveIntegerField(_("booking horizon (days)"), default=90)
    min_duration_minutes = models.PositiveIntegerField(_("minimum duration (minutes)"), default=30)
    max_duration_hours = models.PositiveIntegerField(_("maximum duration (hours)"), default=8)
    allow_multi_day = models.BooleanField(_("bookings may span several days"), default=False)
    allow_overnight = models.BooleanField(_("bookings may run overnight"), default=False)
    max_bookings_per_day = models.PositiveIntegerField(
        _("bookings per user per day"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    max_future_bookings = models.PositiveIntegerField(
        _("future bookings per user"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    min_gap_minutes = models.PositiveIntegerField(_("minimum gap between one user's bookings (minutes)"), default=0)
    quota_hours_per_week = models.PositiveIntegerField(_("hours quota per week"), null=True, blank=True)
    quota_hours_per_month = models.PositiveIntegerField(_("hours quota per month"), null=True, blank=True)
    allow_credit_auto_approval = models.BooleanField(
        _("approve users with excellent credit automatically"), default=True
    )
    cancellation_notice_hours = models.PositiveIntegerField(
        _("cancellation notice (hours)"), default=24, help_text=_("Cancelling later than this is a late cancellation.")
    )
    grace_period_minutes = models.PositiveIntegerField(
        _("check-in grace period (minutes)"), default=15, help_text=_("Check-in later than this is late.")
    )
    no_show_threshold_minutes = models.PositiveIntegerField(
        _("no-show threshold (minutes)"),
        default=30,
        help_text=_("Without a check-in this long after the start, the booking is marked a no-show."),
    )
    operator_assistance_offered = models.BooleanField(_("operator assistance offered"), default=False)
    project_code_required = models.BooleanField(_("project or funding code required"), default=False)
    qualification_lapse_days = models.PositiveIntegerField(
        _("qualification lapses after (days without use)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(no_show_threshold_minutes__gte=F("grace_period_minutes")),
                name="booking_policy_no_show_after_grace",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument}"


# The weekday names, Monday (0) first; lazy, so each request shows them in its own language.
WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))


class OpeningHours(models.Model):
    """One open interval on one weekday (0 = Monday). An instrument without rows is always open."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("instrument")
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)], help_text=_("0 = Monday ... 6 = Sunday")
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["instrument_id", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_closes_after_opens"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.weekday} {self.opens}-{self.closes}"


class Blackout(models.Model):
    """A period in which the instrument cannot be booked (maintenance, training, holidays)."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="blackouts", verbose_name=_("instrument")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("blackout period")
        verbose_name_plural = _("blackout periods")
        indexes = [models.Index(fields=["instrument", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="blackout_end_after_start")]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"


class Qualification(models.Model):
    """A provider's grant that a user may operate an instrument. Lapses after a time without use."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("instrument")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instrument_qualifications"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "user"], name="qualification_one_per_user_and_instrument")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.instrument}"


# --- Bookings ---------------------------------------------------------------------------------


class BookingState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")
    IN_USE = "in_use", _("In use")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


# States that hold the instrument: these never overlap for one instrument.
BLOCKING_STATES = (BookingState.APPROVED, BookingState.IN_USE)
# States that count against a user's limits (per day, in the future, quotas, gaps).
LIVE_STATES = (BookingState.REQUESTED, BookingState.APPROVED, BookingState.IN_USE, BookingState.COMPLETED)


class BookingQuerySet(models.QuerySet):
    def overlapping(self, start, end):
        """Half-open overlap: [start, end) meets [b.start, b.end)."""
        return self.filter(start__lt=end, end__gt=start)

    def blocking(self):
        return self.filter(state__in=BLOCKING_STATES)

    def live(self):
        return self.filter(state__in=LIVE_STATES)

    def of_instrument(self, instrument):
        return self.filter(instrument=instrument)


class Booking(models.Model):
    """A researcher's request for, and use of, one instrument over one time range."""

    State = BookingState

    class RateKind(models.TextChoices):
        INTERNAL = "internal", _("Internal rate")
        EXTERNAL = "external", _("External rate")

    class DepositState(models.TextChoices):
        NONE = "none", _("No deposit")
        REQUIRED = "required", _("Required")
        WAIVED = "waived", _("Waived by credit")
        HELD = "held", _("Held")
        REFUNDED = "refunded", _("Refunded")
        FORFEITED = "forfeited", _("Forfeited")

    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("instrument")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("requester")
    )
    requester_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings_made",
        verbose_name=_("requesting unit"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    state = models.CharField(_("state"), max_length=16, choices=BookingState.choices, default=BookingState.REQUESTED)
    purpose = models.TextField(_("purpose"))
    project_code = models.CharField(_("project or funding code"), max_length=64, blank=True)
    rate_kind = models.CharField(_("rate"), max_length=8, choices=RateKind.choices)
    hourly_rate = models.DecimalField(_("hourly rate (CNY)"), **MONEY)
    price = models.DecimalField(_("price (CNY)"), **MONEY)
    deposit_amount = models.DecimalField(_("deposit (CNY)"), default=Decimal("0"), **MONEY)
    deposit_state = models.CharField(
        _("deposit"), max_length=12, choices=DepositState.choices, default=DepositState.NONE
    )
    operator_assisted = models.BooleanField(_("with operator assistance"), default=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    actual_hours = models.DecimalField(
        _("hours actually used"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_late = models.BooleanField(_("late cancellation"), default=False)
    # When a no-show or early end gives the rest of the slot back (the constraint ignores the row).
    released_at = models.DateTimeField(_("slot released at"), null=True, blank=True)
    moved_to = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moved_from",
        verbose_name=_("moved to"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["instrument", "state", "start"]),
            models.Index(fields=["requester", "start"]),
            models.Index(fields=["state", "start"]),
            models.Index(fields=["-created_at", "-id"], name="booking_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start"),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0) & Q(price__gte=0) & Q(deposit_amount__gte=0),
                name="booking_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(actual_hours__isnull=True) | Q(actual_hours__gte=0),
                name="booking_actual_hours_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state=BookingState.REFUSED) | ~Q(refusal_reason=""),
                name="booking_refusal_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(moved_to__isnull=True) | Q(state=BookingState.CANCELLED),
                name="booking_moved_only_when_cancelled",
            ),
            PostgresOnlyExclusionConstraint(
                name="booking_no_overlap_per_instrument",
                expressions=[
                    (TsTzRange("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
                    ("instrument", RangeOperators.EQUAL),
                ],
                condition=Q(state__in=BLOCKING_STATES),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.instrument_id} {self.start:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def booked_hours(self) -> Decimal:
        seconds = Decimal((self.end - self.start).total_seconds())
        return (seconds / Decimal(3600)).quantize(Decimal("0.01"))


# The history line the reminder sweep appends when it claims a booking (no state change): the durable
# "reminded" marker, so a reminder never goes out twice.
REMINDER_ACTION = "reminder_sent"


class BookingEvent(models.Model):
    """The audit trail of a booking: every state change with actor and reason. Append-only.

    On PostgreSQL the database refuses UPDATE, DELETE and TRUNCATE (migration 0003). The booking and the
    actor are PROTECTed, so deleting either is refused instead of rewriting or dropping the trail.
    """

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="events", verbose_name=_("booking"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("booking event")
        verbose_name_plural = _("booking events")

    def __str__(self) -> str:
        return f"{self.booking_id} {self.from_state}->{self.to_state}"


# --- Reviews, incidents, disputes -------------------------------------------------------------


class Side(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    PROVIDER = "provider", _("Provider")


class Review(models.Model):
    """One side's review of the other after a completed booking. Hidden until both wrote or 14 days."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(_("written by"), max_length=12, choices=Side.choices)
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    tags = models.JSONField(_("tags"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["booking", "side"], name="review_once_per_side"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="review_stars_range"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.side} {self.stars}"


class Incident(models.Model):
    """A damage, misuse or fraud report by one side against the other.

    Damage and misuse are confirmed or contested by the accused side. Fraud (falsified results or
    samples, a misrepresented identity or purpose, payment fraud) is the gravest fact: it is never
    confirmed by a party, it opens a dispute at once and only a platform admin's decision upholds it.
    """

    class Kind(models.TextChoices):
        DAMAGE = "damage", _("Damage")
        MISUSE = "misuse", _("Misuse")
        FRAUD = "fraud", _("Fraud")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        GENERAL = "general", _("General")
        SERIOUS = "serious", _("Serious")

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        CONFIRMED = "confirmed", _("Confirmed")
        CONTESTED = "contested", _("Contested")
        UPHELD = "upheld", _("Upheld by an administrator")
        DISMISSED = "dismissed", _("Dismissed by an administrator")

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="incidents")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reporter_side = models.CharField(_("reported by"), max_length=12, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    estimated_loss = models.DecimalField(_("estimated loss (CNY)"), default=Decimal("0"), **MONEY)
    description = models.TextField(_("description"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REPORTED)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(condition=Q(estimated_loss__gte=0), name="incident_loss_not_negative"),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind="fraud", state__in=["reported", "contested"]),
                name="incident_one_open_fraud_report_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind} ({self.state})"


class IncidentAttachment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=RandomUploadPath("incidents"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident attachment")
        verbose_name_plural = _("incident attachments")

    def __str__(self) -> str:
        return self.file.name or ""


class Dispute(models.Model):
    """A contested incident, or a contested one-sided fact (a no-show, an overrun), decided by a platform admin.
    An upheld incident may be upheld at another severity than the reporter chose (issue 18.1)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DECIDED = "decided", _("Decided")

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Incident upheld")
        DISMISSED = "dismissed", _("Incident dismissed")

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="dispute")
    fact = models.OneToOneField(
        "bookings.ContestableFact", on_delete=models.PROTECT, null=True, blank=True, related_name="dispute"
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason for contesting"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    # The severity an upheld incident is recorded at; blank: the reported one (or no incident).
    severity = models.CharField(_("severity upheld"), max_length=12, choices=Incident.Severity.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="open") & Q(decision=""))
                | (Q(state="decided") & ~Q(decision="") & ~Q(decision_reason="")),
                name="dispute_decision_when_decided",
            ),
            models.CheckConstraint(
                condition=Q(incident__isnull=False, fact__isnull=True) | Q(incident__isnull=True, fact__isnull=False),
                name="dispute_of_an_incident_or_a_fact",
            ),
            models.CheckConstraint(
                condition=Q(severity="") | Q(decision="upheld", incident__isnull=False),
                name="dispute_severity_only_when_incident_upheld",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} ({self.state})"


from .contest_models import ContestableFact  # noqa: E402, F401 - its own module, registered here
