"""Units (organisations), their members, the category tree and the instrument registry."""

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sharing_platform.uploads import RandomUploadPath

from .validators import validate_uscc

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def language_is_chinese() -> bool:
    return (get_language() or "en").lower().startswith("zh")


def english_or_chinese(en_field: str = "name_en", zh_field: str = "name"):
    """The English text, or the Chinese where a row has none: what the English interface shows and sorts by.
    Indexed as written (see the Meta.indexes below), so keep the expression identical."""
    return Coalesce(NullIf(F(en_field), Value("")), F(zh_field))


def name_order(*, en_field: str = "name_en", zh_field: str = "name"):
    """Sort key "by name" in the active language: the Chinese name in Chinese, the English one (or the Chinese
    where there is none) in English, so that English lists are not ordered by Chinese names."""
    return F(zh_field) if language_is_chinese() else english_or_chinese(en_field, zh_field)


class BilingualNameMixin:
    """Picks the Chinese or English name by the active language, falling back to the other."""

    def localized(self, zh: str, en: str) -> str:
        if language_is_chinese():
            return zh or en
        return en or zh

    def localized_text(self, field: str) -> tuple[str, str]:
        """(text, language it falls back to, or "") for a field with an `_en` twin: `description` holds the
        unit's own text (usually Chinese), `description_en` the English one; each interface falls back to the
        other when one is missing, and says so (instruments/templatetags/bilingual.py)."""
        return localized_pair(getattr(self, field), getattr(self, f"{field}_en"))


def localized_pair(primary: str | None, english: str | None) -> tuple[str, str]:
    """BilingualNameMixin.localized_text() for two plain values (the catalogue's lean rows are dicts)."""
    primary, english = primary or "", english or ""
    if language_is_chinese():
        return (primary, "") if primary else (english, "en" if english else "")
    if english:
        return english, ""
    return primary, "zh-Hans" if CJK.search(primary) else ""


class Region(BilingualNameMixin, models.Model):
    """An administrative division (GB/T 2260 six-digit code): province, city or district."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province-level division")
        PREFECTURE = 2, _("Prefecture-level division")
        COUNTY = 3, _("County-level division")

    code = models.CharField(_("division code"), max_length=6, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["level", "code"], name="region_level_code_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="region_code_six_digits"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="region_level_one_to_three"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localized(self.name_zh, self.name_en)

    @property
    def full_name(self) -> str:
        """Province, city and district in the active language (load parent__parent to avoid queries)."""
        names: list[str]
        region: Region | None
        names, region = [], self
        while region is not None:
            names.insert(0, region.name)
            region = region.parent
        return " · ".join(names)


class UnitQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Unit.Status.VERIFIED)

    def visible_to(self, user):
        """Verified units for everyone; others only for their members and platform admins."""
        from .permissions import is_platform_admin  # permissions import these models

        if is_platform_admin(user):
            return self
        if user.is_authenticated:
            return self.filter(Q(status=Unit.Status.VERIFIED) | Q(memberships__user=user)).distinct()
        return self.verified()

    def managed_by(self, user) -> "UnitQuerySet":
        """The units whose instruments `user` runs (see `MembershipQuerySet.managing`)."""
        return self.filter(pk__in=Membership.objects.managed_unit_ids(user))

    def administered_by(self, user) -> "UnitQuerySet":
        """The units `user` administers (see `MembershipQuerySet.administering`)."""
        return self.filter(pk__in=Membership.objects.administered_unit_ids(user))


class CreditTier(models.TextChoices):
    """The credit tiers, best first (credit/params.py sets their score floors). Kept here, beside the
    unit's `credit_tier` column that the credit app writes down for the catalogue; "" while unscored."""

    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    BAD = "bad", _("Bad")


class Unit(BilingualNameMixin, models.Model):
    """A member organisation that provides instruments, sends researchers, or both."""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        METROLOGY_INSTITUTE = "metrology_institute", _("Metrology or inspection institute")
        ENTERPRISE = "enterprise", _("Enterprise")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("region"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    accreditations = models.JSONField(
        _("accreditations"), default=list, blank=True, help_text=_("For example CMA, CNAS.")
    )
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Written by the credit layer (it sits above this app), read by the catalogue for sorting.
    credit_score = models.PositiveSmallIntegerField(_("credit score"), null=True, blank=True)
    credit_tier = models.CharField(_("credit tier"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [
            models.Index(fields=["status", "region"]),
            # Unit lists by name in each language (name_order()).
            models.Index(fields=["name", "id"], name="unit_name_id_idx"),
            models.Index(english_or_chinese(), F("id"), name="unit_name_en_id_idx"),
            # The catalogue's order by provider credit: units walked in score order (descending:
            # migration instruments/0007, PostgreSQL only).
            models.Index(fields=["credit_score", "id"], name="unit_credit_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_score__isnull=True) | Q(credit_score__gte=350, credit_score__lte=950),
                name="unit_credit_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.localized(self.name, self.name_en)

    @property
    def credit_tier_label(self) -> str:
        """The credit tier in the active language ("" while unscored)."""
        return str(CreditTier(self.credit_tier).label) if self.credit_tier in CreditTier.values else self.credit_tier

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class MembershipQuerySet(models.QuerySet):
    def managing(self, user) -> "MembershipQuerySet":
        """The memberships through which `user` runs a unit's instruments: the one definition of
        "who manages a unit" (instrument managers and unit admins). Empty for anonymous users."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user, role__in=Membership.MANAGING_ROLES)

    def managers_of(self, unit_id: int) -> "MembershipQuerySet":
        """The other direction: the memberships of those who manage one unit's instruments."""
        return self.filter(unit_id=unit_id, role__in=Membership.MANAGING_ROLES)

    def managed_unit_ids(self, user) -> models.QuerySet:
        """A subquery of the ids of the units `user` manages (for `unit_id__in=`)."""
        return self.managing(user).values("unit_id")

    def administering(self, user) -> "MembershipQuerySet":
        """The memberships through which `user` administers a unit (members, robots, terms, bills to pay):
        the one definition of "who administers a unit". Empty for anonymous users."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user, role=Membership.Role.ADMIN)

    def administered_unit_ids(self, user) -> models.QuerySet:
        """A subquery of the ids of the units `user` administers (for `unit_id__in=`)."""
        return self.administering(user).values("unit_id")

    def admins_of(self, unit_ids) -> "MembershipQuerySet":
        """The other direction: the memberships of the admins of these units (ids or a subquery of ids)."""
        return self.filter(unit_id__in=unit_ids, role=Membership.Role.ADMIN)


class Membership(models.Model):
    """A user's role in a unit. Managers run instruments; unit admins also manage members."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        MANAGER = "manager", _("Instrument manager")
        ADMIN = "admin", _("Unit administrator")

    MANAGING_ROLES = (Role.MANAGER, Role.ADMIN)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "user_id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_one_per_user_and_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"


class InstrumentCategory(BilingualNameMixin, models.Model):
    """Two levels, after the national classification of large scientific instruments."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name_en = models.CharField(_("English name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("instrument category")
        verbose_name_plural = _("instrument categories")
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localized(self.name_zh, self.name_en)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError({"parent": _("Categories have two levels: a parent must be a top-level category.")})


class InstrumentQuerySet(models.QuerySet):
    def active(self):
        """Listed in the catalogue: not retired, and offered by a verified unit."""
        return self.exclude(status=Instrument.Status.RETIRED).filter(unit__status=Unit.Status.VERIFIED)


MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Instrument(BilingualNameMixin, models.Model):
    """A piece of equipment a unit offers for shared use. Money is CNY."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        MAINTENANCE = "maintenance", _("In maintenance")
        RETIRED = "retired", _("Retired")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="instruments", verbose_name=_("unit"))
    category = models.ForeignKey(
        InstrumentCategory, on_delete=models.PROTECT, related_name="instruments", verbose_name=_("category")
    )
    asset_number = models.CharField(
        _("asset number"), max_length=64, help_text=_("The unit's own inventory number; unique within the unit.")
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    model_number = models.CharField(_("model"), max_length=120, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=160, blank=True)
    country_of_origin = models.CharField(_("country of origin"), max_length=80, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    original_value = models.DecimalField(_("original value (CNY)"), **MONEY)
    location = models.CharField(_("location"), max_length=200, blank=True)
    location_en = models.CharField(_("location in English"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    specifications = models.TextField(_("technical specifications"), blank=True)
    specifications_en = models.TextField(_("technical specifications in English"), blank=True)
    services = models.TextField(_("services offered"), blank=True)
    services_en = models.TextField(_("services offered in English"), blank=True)
    hourly_rate_internal = models.DecimalField(_("hourly rate, internal (CNY)"), **MONEY)
    hourly_rate_external = models.DecimalField(_("hourly rate, external (CNY)"), **MONEY)
    deposit = models.DecimalField(_("deposit (CNY)"), default=Decimal("0"), **MONEY)
    requires_approval = models.BooleanField(_("bookings need approval"), default=True)
    requires_qualification = models.BooleanField(_("operators need a qualification"), default=False)
    min_credit_score = models.PositiveSmallIntegerField(
        _("minimum credit score of bookers"),
        null=True,
        blank=True,
        validators=[MinValueValidator(350), MaxValueValidator(950)],
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    # The storage name of the newest photo's small thumbnail, kept by instruments/services/photos.py so the
    # catalogue shows a picture without another query; "" when the instrument has no photo.
    cover_thumbnail = models.CharField(_("cover thumbnail"), max_length=200, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        indexes = [
            models.Index(fields=["status", "category"]),
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["hourly_rate_external"]),
            # The catalogue's order by name: lets PostgreSQL walk the first page in order instead of
            # sorting every listed instrument (118 ms at 50,000 instruments without it; bench/README.md). The
            # default order (provider credit, then name) walks unit_credit_desc_idx with an incremental sort.
            models.Index(fields=["name", "id"], name="instrument_name_id_idx"),
            # The same order in English (name_order()): the English name, or the Chinese one where none is given.
            models.Index(english_or_chinese(), F("id"), name="instrument_name_en_id_idx"),
            # Every other order the catalogue offers, as NullsLastOrderingFilter writes it, so a first page never
            # sorts the table. The descending ones (DESC NULLS LAST, then id ascending) are
            # PostgreSQL-only expression indexes: migration 0007 (SQLite cannot say NULLS LAST in an index).
            models.Index(fields=["created_at", "id"], name="instrument_created_id_idx"),
            models.Index(fields=["hourly_rate_external", "id"], name="instrument_rate_id_idx"),
            models.Index(fields=["original_value", "id"], name="instrument_value_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["unit", "asset_number"], name="instrument_asset_number_unique_in_unit"),
            models.CheckConstraint(condition=Q(original_value__gte=0), name="instrument_value_not_negative"),
            models.CheckConstraint(
                condition=Q(hourly_rate_internal__gte=0) & Q(hourly_rate_external__gte=0) & Q(deposit__gte=0),
                name="instrument_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(min_credit_score__isnull=True) | Q(min_credit_score__gte=350, min_credit_score__lte=950),
                name="instrument_min_credit_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.localized(self.name, self.name_en)


class InstrumentPhoto(models.Model):
    """A photo of an instrument, decoded and re-encoded without its metadata (EXIF: camera, place, time),
    with two thumbnails. Files live in the media storage under random names (sharing_platform/uploads.py)."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="photos", verbose_name=_("instrument")
    )
    image = models.FileField(_("photo"), upload_to=RandomUploadPath("instruments/photos"))
    thumbnail_small = models.FileField(_("small thumbnail"), upload_to=RandomUploadPath("instruments/thumbnails"))
    thumbnail_large = models.FileField(_("large thumbnail"), upload_to=RandomUploadPath("instruments/thumbnails"))
    width = models.PositiveIntegerField(_("width (pixels)"))
    height = models.PositiveIntegerField(_("height (pixels)"))
    content_type = models.CharField(_("content type"), max_length=32)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("instrument photo")
        verbose_name_plural = _("instrument photos")
        indexes = [models.Index(fields=["instrument", "-created_at"], name="instrument_photo_newest_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(width__gt=0, height__gt=0), name="instrument_photo_has_pixels"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}: {self.image.name}"
