"""The ledger summary (issue 14): derived rows the database keeps on PostgreSQL. Imported by credit.models."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LedgerSummary(models.Model):
    """The ledger summed per subject, kind, polarity and severity (review kinds: per local day too), PostgreSQL only.

    Derived data kept by the database: a statement-level trigger on credit_creditevent appends one row per group
    of the rows each INSERT or COPY added (`folded` false, in the same transaction: no row is updated, so writers
    never wait on each other here); the nightly run folds those into one row per group and rebuilds from the ledger
    the subjects with a new reversal (credit/scoring/summary.py). Readers group by the key, so folded and appended
    rows add up. The time decay is factorised: `scaled` is sum(weight x 2^((day - epoch) / half life)), multiplied
    by 0.5^((today - epoch) / half life) when read. Empty and unused on SQLite, where the ledger is read directly.
    """

    subject_key = models.CharField(max_length=32, db_index=True)
    subject_unit_id = models.BigIntegerField(null=True)
    subject_user_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=32)
    polarity = models.SmallIntegerField()
    severity = models.CharField(max_length=8)
    # The local day for review kinds (or FOLDED_DAYS, 0001-01-02, for their days up to `through`), ALL_DAYS
    # (0001-01-01) for the other kinds.
    day = models.DateField()
    scaled = models.FloatField()
    # Review kinds' days up to `through`, folded into one row (day FOLDED_DAYS): sum over those days of the day's
    # weight x its stars share (kept) or x (1 - share) (broken), x 2^((day - epoch) / half life).
    kept_scaled = models.FloatField(default=0.0)
    broken_scaled = models.FloatField(default=0.0)
    through = models.DateField(null=True)
    n = models.BigIntegerField()  # events of non-zero weight
    first_day = models.DateField()
    last_day = models.DateField()
    w = models.DecimalField(max_digits=20, decimal_places=4)
    vw = models.DecimalField(max_digits=30, decimal_places=8)
    last_recorded_at = models.DateTimeField()
    last_occurred_at = models.DateTimeField()
    folded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ledger summary row")
        verbose_name_plural = _("ledger summary rows")
        indexes = [
            models.Index(fields=["subject_unit_id"], name="credit_summary_unit"),
            models.Index(fields=["subject_user_id"], name="credit_summary_user"),
            models.Index(fields=["subject_key"], condition=Q(folded=False), name="credit_summary_appended"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key} {self.kind} {self.day}"
