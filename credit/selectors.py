"""Reads of the credit layer: a subject's standing and what it allows, snapshots, lists, queues.

Bookings (above this layer) asks here for tiers and gates; it never reads credit.models directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from instruments.models import Unit

from . import params
from .models import Appeal, CreditEvent, CreditScore, ListEntry, RepairRequest, TrustedProviderBadge, subject_key_for

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from django.contrib.auth.models import AnonymousUser, User


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


NEUTRAL_STANDING = CreditStanding(
    score=None, tier="", blacklisted=False, deposit_waived=False, auto_approval_eligible=False
)


def standing_from(score: int | None, blacklisted: bool) -> CreditStanding:
    """Pure: the consequences of a score and a black-list state (params hold the tables)."""
    tier = params.tier_for(score)
    return CreditStanding(
        score=score,
        tier=tier,
        blacklisted=blacklisted,
        deposit_waived=tier in params.DEPOSIT_WAIVED_TIERS and not blacklisted,
        auto_approval_eligible=tier in params.AUTO_APPROVAL_TIERS and not blacklisted,
        horizon_factor=params.HORIZON_FACTORS.get(tier, 1.0),
        quota_factor=params.QUOTA_FACTORS.get(tier, 1.0),
    )


def credit_snapshot_latest(subject: User | Unit) -> CreditScore | None:
    return CreditScore.objects.filter(subject_key=subject_key_for(subject)).order_by("-as_of", "-id").first()


def _standing(key: str) -> CreditStanding:
    # Two indexed queries: the newest snapshot, and whether a black entry is published now.
    score = (
        CreditScore.objects.filter(subject_key=key).order_by("-as_of", "-id").values_list("score", flat=True).first()
    )
    blacklisted = (
        ListEntry.objects.published_at(timezone.now()).filter(subject_key=key, list_type=ListEntry.List.BLACK).exists()
    )
    if score is None and not blacklisted:
        return NEUTRAL_STANDING
    return standing_from(score, blacklisted)


def credit_standing_for_user(user: User | AnonymousUser | None) -> CreditStanding:
    """The booking-relevant standing of a user (neutral until first scored)."""
    if user is None or not getattr(user, "is_authenticated", True) or user.pk is None:
        return NEUTRAL_STANDING
    return _standing(f"user:{user.pk}")


def credit_standing_for_unit(unit: Unit | None) -> CreditStanding:
    """The standing of a provider or booking unit (neutral until first scored)."""
    if unit is None or unit.pk is None:
        return NEUTRAL_STANDING
    return _standing(f"unit:{unit.pk}")


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
