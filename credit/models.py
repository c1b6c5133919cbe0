"""The credit ledger. Other credit models (scores, list entries, appeals...) build on it.

CreditEvent is append-only: the ORM refuses updates and deletes; corrections are reversing events.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from instruments.models import Unit


class LedgerIsAppendOnlyError(Exception):
    """Raised when code tries to change or delete a ledger row."""


class CreditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnlyError("credit events cannot be updated; record a reversing event")

    def delete(self):
        raise LedgerIsAppendOnlyError("credit events cannot be deleted; record a reversing event")

    def for_subject(self, subject):
        if isinstance(subject, Unit):
            return self.filter(subject_unit=subject)
        return self.filter(subject_user=subject)


class CreditEvent(models.Model):
    """One kept or broken commitment, or a decision about one, concerning one subject (a user or a unit)."""

    class Kind(models.TextChoices):
        # Facts about users (bookers)
        BOOKING_FULFILLED = "booking_fulfilled", _("Booking fulfilled")
        PUNCTUAL_CHECK_IN = "punctual_check_in", _("Punctual check-in")
        LATE_CHECK_IN = "late_check_in", _("Late check-in")
        NO_SHOW = "no_show", _("No-show")
        LATE_CANCELLATION = "late_cancellation", _("Late cancellation")
        USAGE_OVERRUN = "usage_overrun", _("Booked time far above used time")
        DAMAGE_CONFIRMED = "damage_confirmed", _("Damage confirmed")
        MISUSE_CONFIRMED = "misuse_confirmed", _("Misuse confirmed")
        FRAUD_CONFIRMED = "fraud_confirmed", _("Fraud confirmed")
        PAYMENT_ON_TIME = "payment_on_time", _("Paid on time")
        PAYMENT_LATE = "payment_late", _("Paid late")
        # Facts about providers (units)
        APPROVED_ON_TIME = "approved_on_time", _("Request answered on time")
        RESPONSE_LATE = "response_late", _("Request answered late")
        REFUSAL_JUSTIFIED = "refusal_justified", _("Refusal with a valid reason")
        REFUSAL_UNJUSTIFIED = "refusal_unjustified", _("Refusal without a valid reason")
        PROVIDER_CANCELLATION = "provider_cancellation", _("Cancelled by the provider")
        SERVICE_DELIVERED = "service_delivered", _("Service delivered")
        INSTRUMENT_FAULT = "instrument_fault", _("Instrument fault found on arrival")
        DATA_DELIVERED_LATE = "data_delivered_late", _("Data delivered late")
        BREACH_CONFIRMED = "breach_confirmed", _("Breach of agreement confirmed")
        # Either side
        REVIEW_RECEIVED = "review_received", _("Review received")
        REVIEW_GIVEN = "review_given", _("Review given")
        DISPUTE_WON = "dispute_won", _("Dispute decided in favour")
        DISPUTE_LOST = "dispute_lost", _("Dispute decided against")
        ENDORSEMENT_RECEIVED = "endorsement_received", _("Endorsement received")
        EXTERNAL_REPORT = "external_report", _("External credit report")
        ADMIN_DECISION = "admin_decision", _("Administrator decision")
        APPEAL_UPHELD = "appeal_upheld", _("Objection upheld")
        REPAIR_GRANTED = "repair_granted", _("Credit repair granted")
        REVERSAL = "reversal", _("Correction of an earlier event")

    class Source(models.TextChoices):
        BOOKING = "booking", _("Booking")
        INCIDENT = "incident", _("Incident")
        REVIEW = "review", _("Review")
        DISPUTE = "dispute", _("Dispute")
        ADMIN = "admin", _("Administrator decision")
        ENDORSEMENT = "endorsement", _("Endorsement")
        EXTERNAL = "external", _("External report")

    class Severity(models.TextChoices):
        NONE = "", _("None")
        MINOR = "minor", _("Minor")
        GENERAL = "general", _("General")
        SERIOUS = "serious", _("Serious")

    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_events"
    )
    subject_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_events"
    )
    # "user:<id>" or "unit:<id>": one column to group and to make recording idempotent.
    subject_key = models.CharField(max_length=32, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # +1 kept a commitment, -1 broke one, 0 neutral information (the value may carry it instead).
    polarity = models.SmallIntegerField(_("polarity"))
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=4, default=1)
    # Optional measured value, e.g. review stars (1-5) or a normalised external score (0..1).
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=4, null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True, default="")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # What the fact is about, e.g. "booking:42"; with kind and subject it makes recording idempotent.
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)
    counterparty_key = models.CharField(max_length=32, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    details = models.JSONField(_("details"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CreditEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")
        indexes = [models.Index(fields=["subject_key", "occurred_at"]), models.Index(fields=["kind", "occurred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject_user__isnull=False) & Q(subject_unit__isnull=True))
                | (Q(subject_user__isnull=True) & Q(subject_unit__isnull=False)),
                name="credit_event_exactly_one_subject",
            ),
            models.CheckConstraint(condition=Q(polarity__in=[-1, 0, 1]), name="credit_event_polarity_values"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="credit_event_weight_not_negative"),
            models.UniqueConstraint(
                fields=["subject_key", "kind", "source_ref"],
                condition=~Q(source_ref=""),
                name="credit_event_once_per_fact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key} {self.kind} {self.polarity:+d} @ {self.occurred_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnlyError("credit events cannot be updated; record a reversing event")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnlyError("credit events cannot be deleted; record a reversing event")


def subject_key_for(subject) -> str:
    """The ledger's name for a subject: a Unit or a user."""
    if isinstance(subject, Unit):
        return f"unit:{subject.pk}"
    return f"user:{subject.pk}"
