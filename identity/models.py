"""Institutional sign-on: identity providers per unit, the people behind accounts, and their links.

A Person is the human being; accounts (Django users) belong to a person through PersonAccount, so
that history which must follow a person (black-list history) can, whatever account they
use. An ExternalIdentity links one account to one person at one provider, keyed by the provider's
own id for them, so the second sign-in finds the same account.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from instruments.models import BilingualNameMixin, Unit

# The attributes a provider can tell us, and where each protocol usually has them.
ATTRIBUTE_KEYS = ("user_id", "email", "display_name", "staff_number", "department")
DEFAULT_ATTRIBUTE_MAPS = {
    # CAS: an empty user_id means the <cas:user> element itself.
    "cas": {"user_id": "", "email": "mail", "display_name": "cn", "staff_number": "employeeNumber", "department": "ou"},
    "ldap": {
        "user_id": "uid", "email": "mail", "display_name": "cn", "staff_number": "employeeNumber", "department": "ou"
    },
    "oidc": {"user_id": "sub", "email": "email", "display_name": "name", "staff_number": "", "department": ""},
}  # fmt: skip


class IdentityProviderQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(enabled=True)


class IdentityProvider(BilingualNameMixin, models.Model):
    """A member unit's sign-on server (CAS, LDAP or OpenID Connect), registered by a platform admin."""

    class Protocol(models.TextChoices):
        CAS = "cas", _("CAS")
        LDAP = "ldap", _("LDAP")
        OIDC = "oidc", _("OpenID Connect")

    class CasVersion(models.TextChoices):
        V2 = "2", _("CAS 2.0 (/serviceValidate)")
        V3 = "3", _("CAS 3.0 (/p3/serviceValidate)")

    class LdapTls(models.TextChoices):
        NONE = "none", _("None (plain LDAP)")
        START_TLS = "start_tls", _("StartTLS")
        LDAPS = "ldaps", _("LDAPS (TLS from the start)")

    class LdapBindMode(models.TextChoices):
        DIRECT = "direct", _("Bind as the user (DN template)")
        SEARCH = "search", _("Search with a service account, then bind as the user")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="identity_providers", verbose_name=_("unit"))
    display_name = models.CharField(_("display name"), max_length=200)
    display_name_en = models.CharField(_("English display name"), max_length=200, blank=True)
    protocol = models.CharField(_("protocol"), max_length=8, choices=Protocol.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    auto_membership = models.BooleanField(
        _("members automatically"),
        default=True,
        help_text=_("People who sign in through this provider become members of the unit (role member)."),
    )
    server_url = models.CharField(
        _("server address"),
        max_length=500,
        help_text=_(
            "CAS: the server's base URL (https://cas.example.edu.cn/cas/). LDAP: ldap:// or ldaps:// URI. "
            "OpenID Connect: the issuer URL."
        ),
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    cas_version = models.CharField(_("CAS version"), max_length=1, choices=CasVersion.choices, default=CasVersion.V3)
    ldap_tls = models.CharField(_("LDAP transport security"), max_length=12, choices=LdapTls.choices, blank=True)
    ldap_tls_verify = models.BooleanField(_("verify the LDAP server's certificate"), default=True)
    ldap_ca_certificate = models.TextField(
        _("CA certificate (PEM)"), blank=True, help_text=_("Trust this CA for the LDAP server; empty: the system's.")
    )
    ldap_bind_mode = models.CharField(_("LDAP bind"), max_length=8, choices=LdapBindMode.choices, blank=True)
    ldap_user_dn_template = models.CharField(
        _("user DN template"),
        max_length=300,
        blank=True,
        help_text=_("For example uid={username},ou=people,dc=example,dc=edu"),
    )
    ldap_bind_dn = models.CharField(_("service account DN"), max_length=300, blank=True)
    ldap_search_base = models.CharField(_("search base"), max_length=300, blank=True)
    ldap_search_filter = models.CharField(
        _("search filter"), max_length=300, blank=True, help_text=_("For example (uid={username})")
    )
    oidc_client_id = models.CharField(_("client id"), max_length=200, blank=True)
    oidc_scopes = models.CharField(_("scopes"), max_length=300, blank=True, default="openid email profile")
    # The LDAP service account's password or the OIDC client secret: encrypted, or read from the
    # environment variable named here. Never shown back.
    secret_encrypted = models.TextField(_("secret (encrypted)"), blank=True, editable=False)
    secret_env_var = models.CharField(
        _("secret from environment variable"),
        max_length=100,
        blank=True,
        help_text=_("Name of an environment variable holding the secret, instead of storing it."),
    )
    attribute_map = models.JSONField(
        _("attribute mapping"),
        default=dict,
        blank=True,
        help_text=_("Attribute names for user_id, email, display_name, staff_number, department."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = IdentityProviderQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "display_name", "id"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.CheckConstraint(condition=Q(protocol__in=["cas", "ldap", "oidc"]), name="idp_protocol_known"),
            models.CheckConstraint(condition=Q(cas_version__in=["2", "3"]), name="idp_cas_version_known"),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1, timeout_seconds__lte=60), name="idp_timeout_in_range"
            ),
            models.CheckConstraint(
                condition=~Q(protocol="ldap")
                | Q(ldap_tls__in=["none", "start_tls", "ldaps"], ldap_bind_mode__in=["direct", "search"]),
                name="idp_ldap_settings_chosen",
            ),
            models.CheckConstraint(
                condition=~Q(protocol="oidc") | ~Q(oidc_client_id=""), name="idp_oidc_has_client_id"
            ),
            models.CheckConstraint(
                condition=Q(secret_encrypted="") | Q(secret_env_var=""), name="idp_one_secret_source"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localized(self.display_name, self.display_name_en)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted or self.secret_env_var)

    def clean(self) -> None:
        """The settings each protocol needs, with the reason in words (the database checks the rest)."""
        from .validation import provider_problems

        problems = provider_problems(self)
        if problems:
            raise ValidationError(problems)

    def secret(self) -> str:
        """The LDAP service account's password or the OIDC client secret ("" when none is configured)."""
        from sharing_platform.secret_box import secret_decrypt, secret_from_environment

        if self.secret_env_var:
            return secret_from_environment(self.secret_env_var)
        if self.secret_encrypted:
            return secret_decrypt(self.secret_encrypted)
        return ""

    def attribute(self, key: str) -> str:
        """The provider's attribute name for one of ATTRIBUTE_KEYS (its own mapping, else the protocol's default)."""
        mapping = self.attribute_map or {}
        if key in mapping:
            return mapping[key] or ""
        return DEFAULT_ATTRIBUTE_MAPS.get(self.protocol, {}).get(key, "")


class Person(models.Model):
    """A human being behind one or more accounts; verified_by says which institution vouched for them."""

    display_name = models.CharField(_("name"), max_length=200, blank=True)
    verified_by = models.ForeignKey(
        IdentityProvider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_people",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | Q(verified_at__isnull=False), name="person_verified_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


class PersonAccount(models.Model):
    """One account of a person (a person may come to have several; an account has one person)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="accounts", verbose_name=_("person"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_account", verbose_name=_("account")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account of a person")
        verbose_name_plural = _("accounts of people")

    def __str__(self) -> str:
        return f"{self.user} → {self.person}"


class ExternalIdentity(models.Model):
    """An account's link to one provider, keyed by (provider, external id). An account has at most one."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.PROTECT, related_name="identities", verbose_name=_("provider")
    )
    external_id = models.CharField(_("external id"), max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identity", verbose_name=_("account")
    )
    email = models.EmailField(_("email"), blank=True)
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    staff_number = models.CharField(_("staff number"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    last_sign_in_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        ordering = ["provider_id", "external_id"]
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="external_identity_one_per_provider_id"),
            models.CheckConstraint(condition=~Q(external_id=""), name="external_identity_id_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} @ {self.provider}"


class SignInEvent(models.Model):
    """The audit trail of institutional sign-ins: each success and each refusal, with the reason code."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        CREATED = "created", _("Account created")
        LINKED = "linked", _("Account linked")
        LINK_ASKED = "link_asked", _("Asked to confirm a link")
        REFUSED = "refused", _("Refused")
        LOGGED_OUT = "logged_out", _("Single log-out")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("provider")
    )
    protocol = models.CharField(_("protocol"), max_length=8, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    code = models.CharField(_("reason code"), max_length=40, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.outcome} {self.code}"


class CasSession(models.Model):
    """Which platform session a CAS service ticket opened, so a single log-out request can end it."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    ticket = models.CharField(max_length=256, unique=True)
    session_key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("CAS session")
        verbose_name_plural = _("CAS sessions")

    def __str__(self) -> str:
        return self.ticket


class PersonIdentifier(models.Model):
    """Something that identifies a person beyond an account: a staff number at a unit, or a national id.

    Only a keyed digest is stored (HMAC of the normalised value with the site's secret), never the value:
    enough to recognise the same person again, useless to anyone reading the table.
    """

    class Kind(models.TextChoices):
        STAFF_NUMBER = "staff_number", _("Staff number at the unit")
        NATIONAL_ID = "national_id", _("National identity number")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers", verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("identifier of a person")
        verbose_name_plural = _("identifiers of people")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["staff_number", "national_id"]), name="person_id_kind_known"),
            # A staff number means something only at its unit; a national id means the same everywhere.
            models.CheckConstraint(
                condition=Q(kind="staff_number", unit__isnull=False) | Q(kind="national_id", unit__isnull=True),
                name="person_id_unit_for_staff_number",
            ),
            models.UniqueConstraint(
                fields=["kind", "unit", "digest"], condition=Q(unit__isnull=False), name="person_id_one_per_unit"
            ),
            models.UniqueConstraint(
                fields=["kind", "digest"], condition=Q(unit__isnull=True), name="person_id_one_national"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:8]}…"


class PersonVouch(models.Model):
    """A unit admin's statement that an account belongs to a person they know (the audit row of a vouching)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="vouches", verbose_name=_("person"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_vouches", verbose_name=_("account")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    vouched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("vouched by")
    )
    created_at = models.DateTimeField(_("vouched at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("vouching for a person")
        verbose_name_plural = _("vouchings for people")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="person_vouch_once_per_unit")]

    def __str__(self) -> str:
        return f"{self.user} ← {self.unit}"


class ReRegistrationFlag(models.Model):
    """Two accounts that look like one person where no identity proves it: for a platform admin to judge."""

    class Signal(models.TextChoices):
        # A staff number at a unit or a national id is an identity: the same one joins the person at once.
        EMAIL = "email", _("Same e-mail address once normalised")
        IDENTITY_CONFLICT = "identity_conflict", _("Identifiers of another person")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed: different people")
        LINKED = "linked", _("Linked: the same person")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    other_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("earlier account")
    )
    signal = models.CharField(_("signal"), max_length=20, choices=Signal.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("possible re-registration")
        verbose_name_plural = _("possible re-registrations")
        constraints = [
            models.UniqueConstraint(fields=["account", "other_account", "signal"], name="reregistration_flag_once"),
            models.CheckConstraint(condition=~Q(account=models.F("other_account")), name="reregistration_two_accounts"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False), name="reregistration_decided_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ~ {self.other_account_id} ({self.signal})"
