"""The trusted provider badge: awarded each quarter to verified units meeting the criteria, revoked when they lapse."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from instruments.models import Unit

from .. import params, policy
from ..models import CreditEvent, CreditWarning, ListEntry, TrustedProviderBadge


def trusted_badges_review(*, as_of: datetime | None = None) -> dict:
    """Award this quarter's badge to verified units meeting the criteria; revoke active badges that lapsed."""
    as_of = as_of or timezone.now()
    kind = CreditEvent.Kind
    kinds = [
        kind.SERVICE_DELIVERED,
        kind.REVIEW_RECEIVED,
        kind.APPROVED_ON_TIME,
        kind.RESPONSE_LATE,
        kind.PROVIDER_CANCELLATION,
        kind.REFUSAL_UNJUSTIFIED,
        kind.BREACH_CONFIRMED,
    ]
    rows = (
        CreditEvent.objects.filter(
            subject_unit__status=Unit.Status.VERIFIED,
            kind__in=kinds,
            occurred_at__gt=as_of - timedelta(days=params.BADGE_WINDOW_DAYS),
            occurred_at__lte=as_of,
        )
        .order_by()
        .values("subject_unit_id", "kind")
        .annotate(
            n=Count("id"),
            w=Sum("weight"),
            vw=Sum(
                ExpressionWrapper(F("value") * F("weight"), output_field=DecimalField(max_digits=20, decimal_places=8))
            ),
        )
    )
    per_unit: dict[int, dict] = defaultdict(dict)
    for row in rows:
        per_unit[row["subject_unit_id"]][row["kind"]] = row
    flagged = _warned_or_listed_units(list(per_unit))
    deserving: dict[int, dict] = {}
    for unit_id, by_kind in per_unit.items():
        reviews = by_kind.get(kind.REVIEW_RECEIVED, {})
        facts = policy.BadgeFacts(
            services=by_kind.get(kind.SERVICE_DELIVERED, {}).get("n", 0),
            reviews_weight=float(reviews.get("w") or 0),
            reviews_value_weight=float(reviews.get("vw") or 0),
            answered_on_time=by_kind.get(kind.APPROVED_ON_TIME, {}).get("n", 0),
            answered_late=by_kind.get(kind.RESPONSE_LATE, {}).get("n", 0),
            provider_cancellations=by_kind.get(kind.PROVIDER_CANCELLATION, {}).get("n", 0),
            refusals_unjustified=by_kind.get(kind.REFUSAL_UNJUSTIFIED, {}).get("n", 0),
            breaches=by_kind.get(kind.BREACH_CONFIRMED, {}).get("n", 0),
            warned_or_listed=unit_id in flagged,
        )
        if policy.badge_deserved(facts):
            deserving[unit_id] = policy.badge_figures(facts)
    label, quarter_end = policy.quarter_of(timezone.localtime(as_of).date())
    valid_until = timezone.make_aware(datetime.combine(quarter_end, datetime.min.time()))
    with transaction.atomic():
        active = TrustedProviderBadge.objects.select_for_update().filter(revoked_at=None, valid_until__gt=as_of)
        lapsed = [badge.pk for badge in active if badge.unit_id not in deserving]
        revoked = TrustedProviderBadge.objects.filter(pk__in=lapsed).update(
            revoked_at=as_of, revoked_reason="criteria no longer met"
        )
        already = set(TrustedProviderBadge.objects.filter(quarter=label).values_list("unit_id", flat=True))
        awarded = TrustedProviderBadge.objects.bulk_create(
            [
                TrustedProviderBadge(
                    unit_id=unit_id, quarter=label, awarded_at=as_of, valid_until=valid_until, criteria=figures
                )
                for unit_id, figures in sorted(deserving.items())
                if unit_id not in already
            ]
        )
    return {"awarded": len(awarded), "revoked": revoked}


def _warned_or_listed_units(unit_ids: list[int]) -> set[int]:
    """Units with an open warning or an open black-list entry (two queries)."""
    warned = CreditWarning.objects.filter(status=CreditWarning.Status.OPEN, subject_unit_id__in=unit_ids)
    listed = ListEntry.objects.open().filter(list_type=ListEntry.List.BLACK, subject_unit_id__in=unit_ids)
    return set(warned.values_list("subject_unit_id", flat=True)) | set(listed.values_list("subject_unit_id", flat=True))
