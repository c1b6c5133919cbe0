"""The credit ledger. Other credit models (scores, list entries, appeals...) build on it.

CreditEvent is append-only: the ORM refuses updates and deletes; corrections are reversing events.
On PostgreSQL the database refuses them too, whoever connects (triggers in migration 0004, see
sharing_platform/database/append_only.py), as it does for score snapshots and for list entries,
objections and repair requests once decided. Who recorded or decided something is PROTECTed: such a
user cannot be deleted (deactivate the account instead), so history never loses its author.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from instruments.models import Unit
from sharing_platform.uploads import RandomUploadPath


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
        STATEMENT = "statement", _("Statement")
        PERSON = "person", _("The same person's other account")

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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
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


class SubjectMixin(models.Model):
    """A user or a unit, exactly one; subject_key mirrors the ledger's "user:<id>" / "unit:<id>"."""

    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_key = models.CharField(max_length=32, db_index=True, editable=False)

    class Meta:
        abstract = True

    @property
    def subject(self):
        return self.subject_unit or self.subject_user

    def subject_set(self, subject) -> None:
        self.subject_unit = subject if isinstance(subject, Unit) else None
        self.subject_user = None if isinstance(subject, Unit) else subject
        self.subject_key = subject_key_for(subject)


def _one_subject(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(Q(subject_user__isnull=False) & Q(subject_unit__isnull=True))
        | (Q(subject_user__isnull=True) & Q(subject_unit__isnull=False)),
        name=name,
    )


class CreditRun(models.Model):
    """One recomputation (full or single subject): its fixed as_of time and its progress cursor.

    A full run commits its cursor in the same transaction as each batch of snapshots, so a run that
    dies (or hits its time limit) resumes where it stopped, with the same as_of, and agrees exactly.
    """

    class Scope(models.TextChoices):
        FULL = "full", _("All subjects")
        SUBJECT = "subject", _("One subject")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    run_id = models.UUIDField(unique=True)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    as_of = models.DateTimeField(_("as of"))
    model_version = models.CharField(max_length=32)
    # Progress of a full run: units first, then users, each by ascending id.
    cursor_phase = models.CharField(max_length=8, default="unit")
    cursor_id = models.BigIntegerField(default=0)
    subjects_seen = models.PositiveIntegerField(default=0)
    snapshots_written = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("credit recomputation")
        verbose_name_plural = _("credit recomputations")

    def __str__(self) -> str:
        return f"{self.scope} {self.run_id} ({self.status})"


class CreditRunBatch(models.Model):
    """One slice of a parallel full run: the subjects of one phase with ids from first_id to last_id.

    Workers take batches in parallel; each batch writes its snapshots and marks itself done in ONE
    transaction (holding its row lock meanwhile), so a batch whose worker dies is rolled back whole
    and taken again when its message is redelivered. The batch that finds no other one left closes the run.
    """

    run = models.ForeignKey(CreditRun, on_delete=models.CASCADE, related_name="batches")
    phase = models.CharField(max_length=8)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    subjects = models.PositiveIntegerField(default=0)
    snapshots_written = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "phase", "first_id"]
        verbose_name = _("credit recomputation batch")
        verbose_name_plural = _("credit recomputation batches")
        constraints = [models.UniqueConstraint(fields=["run", "phase", "first_id"], name="credit_run_batch_once")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.phase} {self.first_id}-{self.last_id}"


class CreditScore(SubjectMixin):
    """A snapshot of one subject's score, its five dimensions and the reasons that moved it most.

    History is kept (never updated). A new snapshot is written only when something changed, so
    re-running a recompute with no new facts writes nothing.
    """

    # Each subject column is indexed where it is set only (credit_score_user / credit_score_unit, partial): the
    # full index of a nullable foreign key also holds a NULL entry for every snapshot of the other kind, one index
    # insert per snapshot for nothing in the full run's bulk write (issue 14.2). Equality, IN and BETWEEN on the
    # column (the foreign-key checks, PROTECT, a full run's batch) imply IS NOT NULL, so they use it.
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    subject_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # No index of its own: credit_score_latest (subject_key, -as_of, -id) serves every lookup by subject, and
    # two more indexes on the column only slowed the full run's bulk INSERT of snapshots (issue 14.2).
    subject_key = models.CharField(max_length=32, editable=False)
    score = models.PositiveSmallIntegerField(_("score"))
    tier = models.CharField(_("tier"), max_length=16)
    record = models.DecimalField(_("credit record"), max_digits=5, decimal_places=4)
    fulfilment = models.DecimalField(_("fulfilment capability"), max_digits=5, decimal_places=4)
    external = models.DecimalField(_("external record"), max_digits=5, decimal_places=4)
    identity = models.DecimalField(_("identity and qualifications"), max_digits=5, decimal_places=4)
    relationships = models.DecimalField(_("relationships"), max_digits=5, decimal_places=4)
    cap = models.PositiveSmallIntegerField(_("cap applied"), null=True, blank=True)
    # [{"code": ..., "params": {...}, "impact": points, "text": English sentence}], biggest impact first.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    model_version = models.CharField(_("model version"), max_length=32)
    run_id = models.UUIDField(_("run"), db_index=True)
    as_of = models.DateTimeField(_("as of"))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("credit score")
        verbose_name_plural = _("credit scores")
        indexes = [
            models.Index(fields=["subject_key", "-as_of", "-id"], name="credit_score_latest"),
            models.Index(fields=["subject_user"], name="credit_score_user", condition=Q(subject_user__isnull=False)),
            models.Index(fields=["subject_unit"], name="credit_score_unit", condition=Q(subject_unit__isnull=False)),
        ]
        constraints = [
            _one_subject("credit_score_exactly_one_subject"),
            models.CheckConstraint(condition=Q(score__gte=350, score__lte=950), name="credit_score_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key} {self.score} @ {self.as_of:%Y-%m-%d %H:%M}"

    def dimensions(self) -> dict:
        return {
            "record": self.record,
            "fulfilment": self.fulfilment,
            "external": self.external,
            "identity": self.identity,
            "relationships": self.relationships,
        }


class Endorsement(models.Model):
    """A unit vouches for another (collaboration, supervision). Counts only as far as the endorser is trusted."""

    class Kind(models.TextChoices):
        COLLABORATION = "collaboration", _("Collaboration")
        SUPERVISION = "supervision", _("Supervision")
        OTHER = "other", _("Other")

    endorser = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="endorsements_given", verbose_name=_("endorser")
    )
    endorsed = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="endorsements_received", verbose_name=_("endorsed unit")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COLLABORATION)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        constraints = [
            models.CheckConstraint(condition=~Q(endorser=F("endorsed")), name="endorsement_not_self"),
            models.UniqueConstraint(
                fields=["endorser", "endorsed"], condition=Q(revoked_at__isnull=True), name="endorsement_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endorser_id} -> {self.endorsed_id}"


class ExternalCreditReport(SubjectMixin):
    """A score from a partner (credit bureau, another platform), normalised to 0..1 for the external dimension."""

    source = models.CharField(_("source"), max_length=100)
    score = models.DecimalField(_("score"), max_digits=10, decimal_places=2)
    range_min = models.DecimalField(_("lowest possible score"), max_digits=10, decimal_places=2)
    range_max = models.DecimalField(_("highest possible score"), max_digits=10, decimal_places=2)
    reported_at = models.DateTimeField(_("report date"))
    expires_at = models.DateTimeField(_("expires at"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("external credit report")
        verbose_name_plural = _("external credit reports")
        constraints = [
            _one_subject("external_report_exactly_one_subject"),
            models.CheckConstraint(condition=Q(range_max__gt=F("range_min")), name="external_report_range_valid"),
            models.CheckConstraint(
                condition=Q(score__gte=F("range_min"), score__lte=F("range_max")), name="external_report_score_in_range"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("reported_at")), name="external_report_expires_after"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key} {self.source} {self.score}"

    @property
    def normalised(self) -> float:
        return float((self.score - self.range_min) / (self.range_max - self.range_min))


class ListEntryQuerySet(models.QuerySet):
    def published_at(self, moment):
        """Entries the public sees at a moment: published and not past their end."""
        return self.filter(status=ListEntry.Status.PUBLISHED, published_at__lte=moment).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=moment)
        )

    def open(self):
        return self.filter(status__in=[ListEntry.Status.PROPOSED, ListEntry.Status.PUBLISHED])


class ListEntry(SubjectMixin):
    """A red or black list entry. Workers propose by rule; only an admin's confirmation publishes it."""

    class List(models.TextChoices):
        RED = "red", _("Red list")
        BLACK = "black", _("Black list")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        GENERAL = "general", _("General")
        SERIOUS = "serious", _("Serious")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        REPAIRED = "repaired", _("Repaired")
        REVOKED = "revoked", _("Revoked")

    list_type = models.CharField(_("list"), max_length=8, choices=List.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True)
    rule = models.CharField(_("rule"), max_length=32)
    reason = models.TextField(_("reason"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    basis_events = models.ManyToManyField(CreditEvent, blank=True, related_name="list_entries")
    listing_authority = models.CharField(_("listing authority"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    published_at = models.DateTimeField(_("published from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("published until"), null=True, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("publication ended at"), null=True, blank=True)

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        indexes = [models.Index(fields=["list_type", "status", "published_at"]), models.Index(fields=["status"])]
        constraints = [
            _one_subject("list_entry_exactly_one_subject"),
            # No duplicate open entries: one proposed-or-published entry per subject and list.
            models.UniqueConstraint(
                fields=["subject_key", "list_type"],
                condition=Q(status__in=["proposed", "published"]),
                name="list_entry_one_open_per_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False, expires_at__isnull=False),
                name="list_entry_published_has_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list_type} {self.subject_key} ({self.status})"


class Appeal(models.Model):
    """An objection to a list entry, possible at any time; decided within a number of working days."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    entry = models.ForeignKey(ListEntry, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("entry"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("grounds of the objection"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    due_on = models.DateField(_("to be decided by"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(status="open"), name="appeal_one_open_per_entry"),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.entry_id} ({self.status})"


class RepairRequest(models.Model):
    """A request for credit repair once the minimum publication period has passed, with proof and a commitment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    entry = models.ForeignKey(
        ListEntry, on_delete=models.PROTECT, related_name="repair_requests", verbose_name=_("entry")
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proof_text = models.TextField(_("proof of correction"))
    proof_file = models.FileField(_("proof document"), upload_to=RandomUploadPath("credit/repair"), blank=True)
    commitment_signed = models.BooleanField(_("credit commitment signed"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("credit repair request")
        verbose_name_plural = _("credit repair requests")
        constraints = [
            models.CheckConstraint(condition=Q(commitment_signed=True), name="repair_commitment_signed"),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="pending"), name="repair_one_pending_per_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"repair {self.pk} on {self.entry_id} ({self.status})"


class TrustedProviderBadge(models.Model):
    """The quarterly "trusted provider" badge; revoked when the criteria lapse."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="trusted_badges", verbose_name=_("unit"))
    quarter = models.CharField(_("quarter"), max_length=7)  # e.g. "2026Q4"
    awarded_at = models.DateTimeField(_("awarded at"))
    valid_until = models.DateTimeField(_("valid until"))
    criteria = models.JSONField(_("figures at award"), default=dict, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)

    class Meta:
        ordering = ["-awarded_at", "-id"]
        verbose_name = _("trusted provider badge")
        verbose_name_plural = _("trusted provider badges")
        constraints = [models.UniqueConstraint(fields=["unit", "quarter"], name="badge_once_per_unit_quarter")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.quarter}"


class CreditWarning(SubjectMixin):
    """A warning after the second violation or a confirmed serious damage (issue 18.8): shown to the person and their
    unit's admins before any black-list proposal by the violations or serious-damage rule, which need an earlier
    warning and a fault after it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ESCALATED = "escalated", _("Followed by a proposal")
        LAPSED = "lapsed", _("Lapsed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    issued_at = models.DateTimeField(_("issued at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    violations = models.PositiveIntegerField(_("violations"))
    bookings = models.PositiveIntegerField(_("bookings"))
    reason = models.TextField(_("reason"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("credit warning")
        verbose_name_plural = _("credit warnings")
        constraints = [
            _one_subject("credit_warning_exactly_one_subject"),
            models.UniqueConstraint(
                fields=["subject_key"], condition=Q(status="open"), name="credit_warning_one_open_per_subject"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="credit_warning_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"warning {self.subject_key} ({self.status})"

    @property
    def serious_damage(self) -> bool:
        """Brought by a confirmed serious damage (an accident warns first, issue 18.8); damage is no violation, so
        any damage in the evidence is the serious one."""
        return any(item.get("kind") == CreditEvent.Kind.DAMAGE_CONFIRMED for item in self.evidence or [])


from .summary_models import LedgerSummary  # noqa: E402, F401 - its own module, registered here
