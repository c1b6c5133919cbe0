"""Group robots (WeCom 企业微信, DingTalk 钉钉) that a unit or a person adds, and the messages sent to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from instruments.models import Unit


class RobotEvent(models.TextChoices):
    """What a robot can be told about."""

    BOOKING_DECISION = "booking_decision", _("Booking decisions (approved or refused)")
    REMINDER = "reminder", _("Booking reminders (the day before)")
    LIST_ENTRY = "list_entry", _("Credit list entries (red or black list)")
    STATEMENT_OVERDUE = "statement_overdue", _("Overdue statements")


class RobotWebhook(models.Model):
    class Service(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")

    class Language(models.TextChoices):
        CHINESE = "zh-hans", _("Simplified Chinese")
        ENGLISH = "en", _("English")

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="robot_webhooks", verbose_name=_("unit")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="robot_webhooks",
        verbose_name=_("person"),
    )
    service = models.CharField(_("service"), max_length=8, choices=Service.choices)
    name = models.CharField(_("name"), max_length=100, help_text=_("For example: the lab's WeCom group."))
    url = models.CharField(_("webhook address"), max_length=500)
    # DingTalk "additional signature" secret (SEC...), encrypted (sharing_platform.secret_box); WeCom has none.
    secret_encrypted = models.TextField(blank=True, editable=False)
    events = models.JSONField(_("events"), default=list)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.CHINESE)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(user__isnull=True))
                | (Q(unit__isnull=True) & Q(user__isnull=False)),
                name="robot_webhook_exactly_one_owner",
            ),
            models.CheckConstraint(condition=Q(service__in=["wecom", "dingtalk"]), name="robot_webhook_service_known"),
            models.CheckConstraint(
                condition=~Q(service="dingtalk") | ~Q(secret_encrypted=""), name="robot_webhook_dingtalk_signed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_service_display()})"


class RobotMessage(models.Model):
    """One message to one robot: rendered and sent by a Celery task, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(RobotWebhook, on_delete=models.CASCADE, related_name="messages")
    event = models.CharField(_("event"), max_length=24, choices=RobotEvent.choices)
    # Names the fact (e.g. "booking:12:approved") so the same fact reaches a robot once.
    dedup_key = models.CharField(max_length=120)
    context = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_retry_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("robot message")
        verbose_name_plural = _("robot messages")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "dedup_key"], name="robot_message_once_per_fact"),
        ]
        indexes = [models.Index(fields=["status", "next_retry_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
