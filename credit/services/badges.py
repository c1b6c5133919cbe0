"""The trusted provider badge: awarded each quarter to verified units meeting the criteria, revoked when they lapse."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from instruments.models import Unit

from .. import params, policy
from ..models import CreditEvent, TrustedProviderBadge


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
