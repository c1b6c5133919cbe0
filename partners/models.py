"""Partner systems: organisations, their scoped API keys, the users they book for,
idempotent request records, and signed webhooks with their delivery log.

Top layer: depends on instruments, credit, bookings and billing; nothing depends on it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class Scope(models.TextChoices):
    CATALOGUE_READ = "catalogue:read", _("Read the catalogue")
    BOOKINGS_WRITE = "bookings:write", _("Book on behalf of the partner's users")
    CREDIT_READ = "credit:read", _("Read credit lists and scores")
    CREDIT_REPORT = "credit:report", _("Submit external credit reports")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Register and manage webhooks")
    BILLING_READ = "billing:read", _("Read the charges and statements of the partner's users")


class WebhookEvent(models.TextChoices):
    BOOKING_STATE_CHANGED = "booking.state_changed", _("A booking of one of the partner's users changed state")
    LIST_ENTRY_PUBLISHED = "list_entry.published", _("A red or black list entry was published")
    LIST_ENTRY_LIFTED = "list_entry.lifted", _("A published list entry was lifted (revoked, repaired, expired)")
    CREDIT_TIER_CHANGED = "credit.tier_changed", _("A unit's (or one of the partner's users') credit tier changed")
    STATEMENT_ISSUED = "statement.issued", _("A statement billing one of the partner's users was issued")


class Partner(models.Model):
    """An organisation integrating with the platform (a university portal, a city platform, a bureau)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive partner's keys are refused and no webhooks are sent.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


def validate_scopes(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Scopes must be a list of names."))
    unknown = sorted(set(value) - set(Scope.values))
    if unknown:
        raise ValidationError(_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)})


class PartnerKey(AbstractAPIKey):
    """A partner's API key: only a hash is stored (the library's sha512 of a random key); revocable, may expire."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="keys", verbose_name=_("partner"))
    scopes = models.JSONField(_("scopes"), default=list, blank=True, validators=[validate_scopes])
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("partner API key")  # type: ignore[assignment]  # the library's Meta infers str; lazy is fine
        verbose_name_plural = _("partner API keys")  # type: ignore[assignment]  # likewise

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def owns_user(self, user) -> bool:
        """Whether the user was created by this key's partner (credit.permissions asks, duck-typed)."""
        return PartnerUser.objects.filter(partner_id=self.partner_id, user_id=user.pk).exists()


class PartnerUser(models.Model):
    """A platform user created by a partner, known to it by its own external_id. Belongs to one partner only."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="users", verbose_name=_("partner"))
    external_id = models.CharField(_("external id"), max_length=100)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_link", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["partner_id", "external_id"]
        verbose_name = _("partner user")
        verbose_name_plural = _("partner users")
        constraints = [
            models.UniqueConstraint(fields=["partner", "external_id"], name="partner_user_external_id_unique"),
            models.CheckConstraint(condition=~Q(external_id=""), name="partner_user_external_id_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.external_id}"


class IdempotencyRecord(models.Model):
    """One Idempotency-Key as used by one owner (a partner or a user): the request's fingerprint and,
    once it succeeded, the response to replay. The unique constraint makes concurrent duplicates safe."""

    owner = models.CharField(_("owner"), max_length=40)  # "partner:<id>" or "user:<id>"
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class WebhookEndpoint(models.Model):
    """A partner's receiver URL and the events it wants."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("partner")
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # The signing secret is shown to the partner once, at registration. It must be stored in clear
    # (HMAC needs it, a hash would not do); encrypting it at rest would need a key-management
    # dependency we do not have, so it is protected like the rest of the database.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.partner} -> {self.url}"


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint; every attempt updates the log."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    # Stable name of the fact ("booking-event:17"): the same fact is delivered once per endpoint.
    event_id = models.CharField(_("event id"), max_length=80)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_retry_at = models.DateTimeField(_("next retry at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_newest")]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.status})"


class PartnerCreditReport(models.Model):
    """Which partner submitted which external credit report (credit's model has no partner)."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="credit_reports", verbose_name=_("partner")
    )
    report = models.OneToOneField(
        "credit.ExternalCreditReport", on_delete=models.CASCADE, related_name="partner_link", verbose_name=_("report")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("partner credit report")
        verbose_name_plural = _("partner credit reports")

    def __str__(self) -> str:
        return f"{self.partner_id} report {self.report_id}"
