"""One-sided facts about a booking's requester (a no-show, an overrun of the booked hours), kept pending
until the window to contest them has passed (issue 18.1). Imported by bookings.models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ContestableFact(models.Model):
    """An adverse fact one side (or the system) asserts about the requester. It reaches the credit ledger only
    when its window to contest has passed uncontested, or when a platform admin upholds it in a dispute."""

    class Kind(models.TextChoices):
        NO_SHOW = "no_show", _("No-show")
        USAGE_OVERRUN = "usage_overrun", _("Booked hours far beyond the hours used")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending: can be contested")
        CONTESTED = "contested", _("Contested: an administrator decides")
        RECORDED = "recorded", _("Recorded")
        DISMISSED = "dismissed", _("Dismissed by an administrator")
        WITHDRAWN = "withdrawn", _("Withdrawn: the provider corrected the hours")

    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, related_name="contestable_facts", verbose_name=_("booking")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # None: the system asserted it (the no-show sweep).
    asserted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason given"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    contestable_until = models.DateTimeField(_("can be contested until"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    contested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contested_at = models.DateTimeField(_("contested at"), null=True, blank=True)
    contest_reason = models.TextField(_("why it is contested"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("contestable fact")
        verbose_name_plural = _("contestable facts")
        indexes = [models.Index(fields=["state", "contestable_until"])]
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="contestable_fact_once_per_booking"),
            models.CheckConstraint(
                condition=Q(contestable_until__gt=models.F("occurred_at")), name="contestable_fact_window_after_fact"
            ),
            models.CheckConstraint(
                condition=Q(contested_at__isnull=True) | (Q(contested_by__isnull=False) & ~Q(contest_reason="")),
                name="contestable_fact_contest_has_party_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["contested", "dismissed"]) | Q(contested_at__isnull=False),
                name="contestable_fact_disputed_only_when_contested",
            ),
            models.CheckConstraint(
                condition=Q(state="recorded", recorded_at__isnull=False) | (~Q(state="recorded") & Q(recorded_at=None)),
                name="contestable_fact_recorded_at_when_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind} ({self.state})"
