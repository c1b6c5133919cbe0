"""One row per task message that a committed change wants sent to Celery (see the package docstring)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .consumer import TASK_ID_PREFIX


class OutboxMessage(models.Model):
    """A task message written in the transaction of the change that wants it; the relay sends it after commit."""

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("positional arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The relay leaves a message alone until then: set forward after a failure of the message itself.
    available_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The relay's query: pending messages, oldest first. Partial, so it stays as small as the backlog.
            models.Index(fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_pending"),
            models.Index(fields=["dispatched_at"], condition=Q(dispatched_at__isnull=False), name="outbox_dispatched"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"

    @property
    def task_id(self) -> str:
        """The Celery task id this message is sent with; the consumer reads the message id back from it."""
        return f"{TASK_ID_PREFIX}{self.pk}"
