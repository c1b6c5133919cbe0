"""Reads of the credit layer: a subject's standing and what it allows, snapshots, lists, queues.

Bookings (above this layer) asks here for tiers and gates; it never reads credit.models directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from instruments.models import Membership, Unit

from . import params
from .models import (
    Appeal,
    CreditEvent,
    CreditScore,
    CreditWarning,
    ListEntry,
    RepairRequest,
    TrustedProviderBadge,
    subject_key_for,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class CreditHistory:
    """How much history a subject has: kept bookings and the distinct provider units they were kept with.
    A thin file (below params.MIN_KEPT_BOOKINGS / MIN_DISTINCT_PROVIDERS) earns no deposit waiver, no
    automatic approval and half a review weight, whatever its tier (issue 18.4)."""

    kept_bookings: int = 0
    distinct_providers: int = 0

    @property
    def missing_providers(self) -> int:
        return max(params.MIN_DISTINCT_PROVIDERS - self.distinct_providers, 0)

    @property
    def missing_kept_bookings(self) -> int:
        # Each missing provider needs a kept booking of its own, even past the minimum count.
        return max(params.MIN_KEPT_BOOKINGS - self.kept_bookings, self.missing_providers, 0)

    @property
    def sufficient(self) -> bool:
        return self.missing_kept_bookings == 0


NO_HISTORY = CreditHistory()


@dataclass(frozen=True)
class CreditStanding:
    """What a subject's credit means for a booking, in one value the booking policy can consult."""

    score: int | None
    tier: str  # excellent | good | fair | poor | bad | "" (not yet scored)
    blacklisted: bool
    deposit_waived: bool
    auto_approval_eligible: bool
    # Multipliers the booking policy applies to its horizon and hours quota (1.0 = unchanged).
    horizon_factor: float = 1.0
    quota_factor: float = 1.0
    # The history behind the waiver and auto-approval, and what is still missing of it.
    history: CreditHistory = field(default=NO_HISTORY)


NEUTRAL_STANDING = CreditStanding(
    score=None, tier="", blacklisted=False, deposit_waived=False, auto_approval_eligible=False
)


def standing_from(score: int | None, blacklisted: bool, *, history: CreditHistory) -> CreditStanding:
    """Pure: the consequences of a score, a black-list state and a history (params hold the tables). The
    tier alone waives nothing: a thin file keeps the deposit and the approval by hand."""
    tier = params.tier_for(score)
    earned = history.sufficient and not blacklisted
    return CreditStanding(
        score=score,
        tier=tier,
        blacklisted=blacklisted,
        deposit_waived=tier in params.DEPOSIT_WAIVED_TIERS and earned,
        auto_approval_eligible=tier in params.AUTO_APPROVAL_TIERS and earned,
        horizon_factor=params.HORIZON_FACTORS.get(tier, 1.0),
        quota_factor=params.QUOTA_FACTORS.get(tier, 1.0),
        history=history,
    )


def _histories(keys: Iterable[str]) -> dict[str, CreditHistory]:
    # One grouped query: kept bookings and distinct provider units per subject key. A kept booking reversed
    # (credit_event_reverse names it in its details; older rows through the `reverses` link) does not count.
    reversal = (
        CreditEvent.objects.filter(subject_key=OuterRef("subject_key"), kind=CreditEvent.Kind.REVERSAL)
        .annotate(target=KeyTextTransform("reverses", "details"))
        .filter(Q(reverses=OuterRef("pk")) | Q(target=Cast(OuterRef("pk"), CharField())))
    )
    rows = (
        # Weight 0: a booking inside the requester's own unit (issue 18.3) is no history with providers.
        CreditEvent.objects.filter(subject_key__in=list(keys), kind__in=params.HISTORY_KINDS, weight__gt=0)
        .exclude(Exists(reversal))
        .order_by()
        .values("subject_key")
        .annotate(kept=Count("id"), providers=Count("counterparty_key", distinct=True))
        .values_list("subject_key", "kept", "providers")
    )
    return {key: CreditHistory(kept_bookings=kept, distinct_providers=providers) for key, kept, providers in rows}


def credit_histories_of_users(user_ids: Iterable[int]) -> dict[int, CreditHistory]:
    """Each user's history (kept bookings, distinct providers) in one query; users without any are absent
    (read them as NO_HISTORY). For lists: no query per user."""
    keys = {f"user:{pk}": pk for pk in set(user_ids)}
    if not keys:
        return {}
    return {keys[key]: history for key, history in _histories(keys).items()}


def credit_history_of_user(user: User) -> CreditHistory:
    """One user's history (one query)."""
    return credit_histories_of_users([user.pk]).get(user.pk, NO_HISTORY)


def credit_snapshot_latest(subject: User | Unit) -> CreditScore | None:
    return CreditScore.objects.filter(subject_key=subject_key_for(subject)).order_by("-as_of", "-id").first()


def _standing(key: str, *, with_history: bool) -> CreditStanding:
    # Indexed queries: the newest snapshot, whether a black entry is published now, and (for a person) the
    # history. A unit books nothing, so its history is not counted (it pays no deposit, needs no approval).
    score = (
        CreditScore.objects.filter(subject_key=key).order_by("-as_of", "-id").values_list("score", flat=True).first()
    )
    blacklisted = (
        ListEntry.objects.published_at(timezone.now()).filter(subject_key=key, list_type=ListEntry.List.BLACK).exists()
    )
    history = _histories([key]).get(key, NO_HISTORY) if with_history else NO_HISTORY
    if score is None and not blacklisted:
        return NEUTRAL_STANDING if history == NO_HISTORY else replace(NEUTRAL_STANDING, history=history)
    return standing_from(score, blacklisted, history=history)


def credit_standing_for_user(user: User | AnonymousUser | None) -> CreditStanding:
    """The booking-relevant standing of a user (neutral until first scored)."""
    if user is None or not getattr(user, "is_authenticated", True) or user.pk is None:
        return NEUTRAL_STANDING
    return _standing(f"user:{user.pk}", with_history=True)


def credit_standing_for_unit(unit: Unit | None) -> CreditStanding:
    """The standing of a provider or booking unit (neutral until first scored; no history counted, so no
    waiver: only its black-list state gates bookings)."""
    if unit is None or unit.pk is None:
        return NEUTRAL_STANDING
    return _standing(f"unit:{unit.pk}", with_history=False)


def credit_tiers_of_users(user_ids: Iterable[int]) -> dict[int, str]:
    """The current tier of each scored user, in one query (the newest snapshot per user). Callers decide
    who may see it (credit.permissions)."""
    keys = {f"user:{pk}": pk for pk in set(user_ids)}
    if not keys:
        return {}
    newest = CreditScore.objects.filter(subject_key=OuterRef("subject_key")).order_by("-as_of", "-id").values("id")[:1]
    rows = CreditScore.objects.filter(subject_key__in=keys, id=Subquery(newest)).values_list("subject_key", "tier")
    return {keys[key]: tier for key, tier in rows}


def credit_black_list_history(subject: User | Unit, *, before: datetime | None = None) -> bool:
    """Whether the subject was ever published on the black list (providers may refuse such users); with
    `before`, whether it had been published by then."""
    entries = ListEntry.objects.filter(
        subject_key=subject_key_for(subject),
        list_type=ListEntry.List.BLACK,
        published_at__isnull=False,
    )
    if before is not None:
        entries = entries.filter(published_at__lte=before)
    return entries.exists()


HARM_KINDS = (CreditEvent.Kind.DAMAGE_CONFIRMED, CreditEvent.Kind.MISUSE_CONFIRMED)


def credit_confirmed_harm_count(subject: User, *, since: datetime, until: datetime) -> int:
    """How many confirmed damages or misuses (any severity, any provider, not reversed) the ledger holds
    against the user with `since <= occurred_at <= until`."""
    return CreditEvent.objects.filter(
        subject_key=subject_key_for(subject),
        kind__in=HARM_KINDS,
        occurred_at__gte=since,
        occurred_at__lte=until,
        reverses__isnull=True,
        reversed_by__isnull=True,
    ).count()


def credit_score_history(subject: User | Unit, *, limit: int = 60) -> list[CreditScore]:
    """The newest `limit` snapshots, oldest first (for the chart)."""
    rows = list(CreditScore.objects.filter(subject_key=subject_key_for(subject)).order_by("-as_of", "-id")[:limit])
    rows.reverse()
    return rows


def _with_subjects(rows: QuerySet) -> QuerySet:
    return rows.select_related("subject_user", "subject_unit", "subject_unit__region")


def list_entries_published(*, list_type: str) -> QuerySet[ListEntry]:
    """What the public sees on a list now: published, not past its end."""
    return _with_subjects(
        ListEntry.objects.published_at(timezone.now()).filter(list_type=list_type).order_by("-published_at", "-id")
    )


def list_entries_for_moderation(*, status: str | None = None) -> QuerySet[ListEntry]:
    rows = ListEntry.objects.all() if not status else ListEntry.objects.filter(status=status)
    return _with_subjects(rows.select_related("moderator").order_by("proposed_at", "id"))


def list_entries_of_subject(subject: User | Unit) -> QuerySet[ListEntry]:
    return ListEntry.objects.filter(subject_key=subject_key_for(subject)).prefetch_related(
        Prefetch("appeals", queryset=Appeal.objects.order_by("-submitted_at")),
        Prefetch("repair_requests", queryset=RepairRequest.objects.order_by("-submitted_at")),
        Prefetch("basis_events", queryset=CreditEvent.objects.only("pk")),
    )


def appeals_open() -> QuerySet[Appeal]:
    return Appeal.objects.filter(status=Appeal.Status.OPEN).select_related(
        "entry", "entry__subject_user", "entry__subject_unit", "submitted_by"
    )


def repair_requests_pending() -> QuerySet[RepairRequest]:
    return RepairRequest.objects.filter(status=RepairRequest.Status.PENDING).select_related(
        "entry", "entry__subject_user", "entry__subject_unit", "submitted_by"
    )


def trusted_badge_current(unit: Unit) -> TrustedProviderBadge | None:
    now = timezone.now()
    return unit.trusted_badges.filter(revoked_at=None, valid_until__gt=now, awarded_at__lte=now).first()


# --- The ledger of one subject, for the API's cursor-paginated events list ----------------------
def credit_events_of_subject(subject: User | Unit) -> QuerySet[CreditEvent]:
    """Every ledger event about the subject; the caller orders (newest first) and paginates."""
    return CreditEvent.objects.for_subject(subject)


def credit_event_for_fact(*, subject: User | Unit, kind: str, source_ref: str) -> CreditEvent | None:
    """The ledger row of one recorded fact (subject, kind, source_ref), or None: lets a caller correct it."""
    return CreditEvent.objects.filter(subject_key=subject_key_for(subject), kind=kind, source_ref=source_ref).first()


# --- Warnings before the violations rule proposes (issue 18.8) -----------------------------------
def credit_warnings_of_subject(subject: User | Unit, *, limit: int = 20) -> list[CreditWarning]:
    """The subject's warnings, newest first (the open one, if any, and earlier ones)."""
    rows = CreditWarning.objects.filter(subject_key=subject_key_for(subject)).order_by("-issued_at", "-id")
    return list(rows[:limit])


def credit_warnings_open_of_members(unit: Unit) -> list[CreditWarning]:
    """Open warnings of the unit's members, for its admins (one query)."""
    members = Membership.objects.filter(unit=unit).values("user_id")
    return list(
        CreditWarning.objects.filter(status=CreditWarning.Status.OPEN, subject_user_id__in=members)
        .select_related("subject_user")
        .order_by("-issued_at", "-id")
    )


def credit_warning_get(pk: int) -> CreditWarning | None:
    """One warning with its subject (for the mail that tells the subject and its unit's admins)."""
    return CreditWarning.objects.select_related("subject_user", "subject_unit").filter(pk=pk).first()
