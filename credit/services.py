"""Writes of the credit layer. Other apps report facts here (never through credit.models)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.models import Unit
from notifications.models import RobotEvent
from notifications.services import in_each_language, robot_notify, site_url
from sharing_platform import outbox
from sharing_platform.api.exceptions import error_items
from sharing_platform.errors import (
    DomainConflictError,
    DomainPermissionError,
    DomainValidationError,
)

from . import params, policy
from .models import (
    Appeal,
    CreditEvent,
    CreditScore,
    Endorsement,
    ExternalCreditReport,
    ListEntry,
    RepairRequest,
    TrustedProviderBadge,
    subject_key_for,
)
from .params import default_polarity
from .permissions import can_act_for_subject, can_moderate
from .recompute import latest_snapshot_queryset
from .scoring.inputs import reversed_event_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import UploadedFile


def credit_event_record(
    *,
    subject: User | Unit,
    kind: str,
    source: str,
    occurred_at: datetime | None = None,
    source_ref: str = "",
    polarity: int | None = None,
    weight: Decimal | float | int | None = None,
    value: Decimal | float | None = None,
    severity: str = "",
    counterparty: User | Unit | None = None,
    details: dict | None = None,
    recorded_by: User | None = None,
) -> CreditEvent:
    """Append one fact to the ledger. Idempotent per (subject, kind, source_ref) when source_ref is set.

    The subject's score is recomputed after the surrounding transaction commits. A review received
    without an explicit weight is weighted by the reviewer's own credibility (their latest score).
    """
    if occurred_at is None:
        occurred_at = timezone.now()
    if timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be timezone-aware")
    key = subject_key_for(subject)
    if weight is None:
        weight = _review_weight(counterparty) if kind == CreditEvent.Kind.REVIEW_RECEIVED else 1
    if source_ref:
        existing = CreditEvent.objects.filter(subject_key=key, kind=kind, source_ref=source_ref).first()
        if existing is not None:
            return existing
    event = CreditEvent(
        subject_user=None if isinstance(subject, Unit) else subject,
        subject_unit=subject if isinstance(subject, Unit) else None,
        subject_key=key,
        kind=kind,
        polarity=default_polarity(kind) if polarity is None else polarity,
        weight=Decimal(str(weight)),
        value=None if value is None else Decimal(str(value)),
        severity=severity,
        source=source,
        source_ref=source_ref,
        counterparty_key=subject_key_for(counterparty) if counterparty is not None else "",
        details=details or {},
        occurred_at=occurred_at,
        recorded_by=recorded_by,
    )
    event.full_clean(exclude=["subject_key", "reverses"])
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        # A concurrent recorder won the race for the same fact: return its row.
        return CreditEvent.objects.get(subject_key=key, kind=kind, source_ref=source_ref)
    _queue_recompute(key)
    return event


def _review_weight(reviewer) -> Decimal:
    """A reviewer's credibility: their latest score mapped onto REVIEW_WEIGHT_RANGE (unscored: 1)."""
    if reviewer is None:
        return Decimal(1)
    score = (
        CreditScore.objects.filter(subject_key=subject_key_for(reviewer))
        .order_by("-as_of", "-id")
        .values_list("score", flat=True)
        .first()
    )
    return Decimal(str(params.review_weight(score)))


@transaction.atomic
def credit_event_reverse(*, event: CreditEvent, reason: str, recorded_by: User | None = None) -> CreditEvent:
    """Cancel an event's effect by appending its mirror image (the ledger itself never changes)."""
    subject = event.subject_unit or event.subject_user
    if subject is None:  # cannot happen: credit_event_exactly_one_subject
        raise ValueError("A credit event concerns exactly one subject.")
    return credit_event_record(
        subject=subject,
        kind=CreditEvent.Kind.REVERSAL,
        source=CreditEvent.Source.ADMIN,
        source_ref=f"reversal:{event.pk}",
        polarity=-event.polarity,
        weight=event.weight,
        details={"reverses": event.pk, "reversed_kind": event.kind, "reason": reason},
        recorded_by=recorded_by,
    )


# --- External reports and endorsements -----------------------------------------------------------


def external_report_create(
    *,
    subject: User | Unit,
    source: str,
    score: Decimal,
    range_min: Decimal,
    range_max: Decimal,
    reported_at: datetime,
    expires_at: datetime,
    reference: str = "",
    submitted_by: User | None = None,
) -> ExternalCreditReport:
    """Store a partner's report and put it on the ledger (normalised value); the subject is then recomputed."""
    report = ExternalCreditReport(
        source=source,
        score=score,
        range_min=range_min,
        range_max=range_max,
        reported_at=reported_at,
        expires_at=expires_at,
        reference=reference,
        submitted_by=submitted_by,
    )
    report.subject_set(subject)
    try:
        report.full_clean()
    except ValidationError as error:
        raise DomainValidationError(_("The external report is not valid."), errors=error_items(error)) from error
    if not (range_min <= score <= range_max) or range_max <= range_min:
        raise DomainValidationError(_("The score must lie within the report's range."), field="score")
    if expires_at <= reported_at:
        raise DomainValidationError(_("A report must expire after its date."), field="expires_at")
    with transaction.atomic():
        report.save()
        credit_event_record(
            subject=subject,
            kind=CreditEvent.Kind.EXTERNAL_REPORT,
            source=CreditEvent.Source.EXTERNAL,
            source_ref=f"external:{report.pk}",
            polarity=0,
            value=Decimal(str(round(report.normalised, 4))),
            occurred_at=reported_at,
            details={"source": source, "score": str(score), "range": [str(range_min), str(range_max)]},
            recorded_by=submitted_by,
        )
    return report


def endorsement_create(
    *, endorser: Unit, endorsed: Unit, by: User, kind: str = "collaboration", note: str = ""
) -> Endorsement:
    """A unit admin vouches for another unit. It counts only as far as the endorser is itself trusted."""
    if not can_act_for_subject(by, endorser):
        raise DomainPermissionError(_("Only an administrator of the endorsing unit may endorse on its behalf."))
    if endorser.pk == endorsed.pk:
        raise DomainValidationError(_("A unit cannot endorse itself."), field="endorsed")
    with transaction.atomic():
        if (
            Endorsement.objects.select_for_update()
            .filter(endorser=endorser, endorsed=endorsed, revoked_at=None)
            .exists()
        ):
            raise DomainConflictError(_("This unit already endorses that unit."))
        endorsement = Endorsement.objects.create(
            endorser=endorser, endorsed=endorsed, kind=kind, note=note, created_by=by
        )
        # On the ledger for the record (and the recompute it triggers); it weighs nothing in the credit
        # record (KIND_MULTIPLIERS): endorsements count through trust propagation only.
        credit_event_record(
            subject=endorsed,
            kind=CreditEvent.Kind.ENDORSEMENT_RECEIVED,
            source=CreditEvent.Source.ENDORSEMENT,
            source_ref=f"endorsement:{endorsement.pk}",
            counterparty=endorser,
            details={"endorsement": endorsement.pk, "kind": kind},
            recorded_by=by,
        )
    return endorsement


def _queue_recompute(subject_key: str) -> None:
    """Queue the subject's recompute in the outbox, with the change: sent after commit, never for a rollback."""
    from .tasks import recompute_subject_task  # tasks import these services

    outbox.enqueue(recompute_subject_task, subject_key)


# --- Red and black lists ----------------------------------------------------------------------


def _open_lists(keys: list[str] | None) -> dict[str, set[str]]:
    rows = ListEntry.objects.open()
    if keys is not None:
        rows = rows.filter(subject_key__in=keys)
    result: dict[str, set[str]] = defaultdict(set)
    for key, list_type in rows.values_list("subject_key", "list_type"):
        result[key].add(list_type)
    return result


def list_entries_propose(*, as_of: datetime | None = None, subject_keys: list[str] | None = None) -> list[ListEntry]:
    """Propose entries by rule for everyone (or the given subjects). Set-based; never duplicates an open entry."""
    as_of = as_of or timezone.now()
    window_start = as_of - timedelta(days=params.BLACK_VIOLATION_WINDOW_DAYS)
    events = CreditEvent.objects.filter(polarity=-1, occurred_at__gt=window_start, occurred_at__lte=as_of).exclude(
        list_entries__list_type=ListEntry.List.BLACK
    )
    if subject_keys is not None:
        events = events.filter(subject_key__in=subject_keys)
    reversed_ids = reversed_event_ids(subject_keys, as_of)
    violations: dict[str, list[policy.EventFact]] = defaultdict(list)
    severe: dict[str, list[policy.EventFact]] = defaultdict(list)
    kinds = params.BLACK_VIOLATION_KINDS | params.BLACK_SEVERE_KINDS
    for pk, key, kind, severity, occurred_at in (
        events.filter(kind__in=kinds)
        .values_list("pk", "subject_key", "kind", "severity", "occurred_at")
        .order_by("occurred_at", "pk")
    ):
        if pk in reversed_ids:
            continue
        fact = policy.EventFact(pk, kind, severity, occurred_at)
        if kind in params.BLACK_VIOLATION_KINDS:
            violations[key].append(fact)
        elif (severity or params.SEVERE_DEFAULT_SEVERITY.get(kind)) == params.BLACK_SEVERE_SEVERITY:
            severe[key].append(fact)
    scored = latest_snapshot_queryset(subject_keys).filter(
        Q(score__lt=params.BLACK_SCORE_FLOOR) | Q(score__gte=params.RED_MIN_SCORE)
    )
    scores = dict(scored.values_list("subject_key", "score"))
    candidates = sorted(set(violations) | set(severe) | set(scores))
    if not candidates:
        return []
    red_keys = [key for key, score in scores.items() if score >= params.RED_MIN_SCORE]
    fulfilled = dict(
        CreditEvent.objects.filter(
            subject_key__in=red_keys,
            kind__in=params.RED_FULFILLED_KINDS["user"] | params.RED_FULFILLED_KINDS["unit"],
            polarity=1,
            occurred_at__gt=as_of - timedelta(days=params.RED_FULFILLED_WINDOW_DAYS),
            occurred_at__lte=as_of,
        )
        .order_by()
        .values("subject_key")
        .annotate(n=Count("id"))
        .values_list("subject_key", "n")
    )
    negatives = dict(
        CreditEvent.objects.filter(
            subject_key__in=red_keys,
            polarity=-1,
            occurred_at__gt=as_of - timedelta(days=params.RED_CLEAN_DAYS),
            occurred_at__lte=as_of,
        )
        .order_by()
        .values("subject_key")
        .annotate(n=Count("id"))
        .values_list("subject_key", "n")
    )
    open_lists = _open_lists(candidates)
    cooling: dict[str, set[str]] = defaultdict(set)
    recent = ListEntry.objects.filter(
        subject_key__in=candidates,
        rule__in=["score_floor", "top_tier"],
        proposed_at__gt=as_of - timedelta(days=params.RULE_COOLDOWN_DAYS),
    )
    for key, rule in recent.values_list("subject_key", "rule"):
        cooling[key].add(rule)
    created: list[ListEntry] = []
    for key in candidates:
        facts = policy.ListFacts(
            subject_key=key,
            score=scores.get(key),
            violations=tuple(violations.get(key, ())),
            severe=tuple(severe.get(key, ())),
            fulfilled_in_window=fulfilled.get(key, 0),
            negatives_recently=negatives.get(key, 0),
            open_lists=frozenset(open_lists.get(key, set())),
            cooling_rules=frozenset(cooling.get(key, set())),
        )
        for proposal in policy.proposals_for(facts):
            entry = _proposal_save(proposal, as_of)
            if entry is not None:
                created.append(entry)
    return created


def _proposal_save(proposal: policy.Proposal, as_of: datetime) -> ListEntry | None:
    kind, _sep, pk = proposal.subject_key.partition(":")
    entry = ListEntry(
        subject_unit_id=int(pk) if kind == "unit" else None,
        subject_user_id=int(pk) if kind == "user" else None,
        subject_key=proposal.subject_key,
        list_type=proposal.list_type,
        severity=proposal.severity,
        rule=proposal.rule,
        reason=proposal.reason,
        evidence=[
            {
                "event": fact.pk,
                "kind": fact.kind,
                "severity": fact.severity,
                "occurred_at": fact.occurred_at.isoformat(),
            }
            for fact in proposal.basis
        ],
        listing_authority=params.LISTING_AUTHORITY,
        proposed_at=as_of,
    )
    try:
        with transaction.atomic():
            entry.save()
            entry.basis_events.set([fact.pk for fact in proposal.basis])
    except IntegrityError:
        return None  # a concurrent run proposed it first: the open-entry constraint keeps one
    return entry


def _require_moderator(user) -> None:
    if not can_moderate(user):
        raise DomainPermissionError(_("Only platform administrators moderate credit lists."))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(_("A reason is required."), field="reason")
    return reason


def _locked_entry(entry: ListEntry) -> ListEntry:
    return ListEntry.objects.select_for_update().get(pk=entry.pk)


def list_entry_confirm(
    *, entry: ListEntry, moderator: User, reason: str, expires_at: datetime | None = None, severity: str | None = None
) -> ListEntry:
    """Publish a proposed entry from now until expires_at (default by severity), within the severity's bounds."""
    _require_moderator(moderator)
    reason = _require_reason(reason)
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status != ListEntry.Status.PROPOSED:
            raise DomainConflictError(_("Only a proposed entry can be confirmed."))
        if severity:
            if entry.list_type != ListEntry.List.BLACK or severity not in ListEntry.Severity.values:
                raise DomainValidationError(_("Not a valid severity for this entry."), field="severity")
            entry.severity = severity
        now = timezone.now()
        expires_at = expires_at or now + policy.default_publication(entry.list_type, entry.severity)
        problem = policy.publication_problem(entry.list_type, entry.severity, now, expires_at)
        if problem:
            raise DomainValidationError(
                _("The end of publication is outside the bounds for this severity (%(problem)s).")
                % {"problem": problem},
                field="expires_at",
            )
        entry.status = ListEntry.Status.PUBLISHED
        entry.published_at, entry.expires_at = now, expires_at
        entry.moderator, entry.decision_reason, entry.decided_at = moderator, reason, now
        entry.save()
        _queue_recompute(entry.subject_key)
        _list_entry_robots(entry)
    return entry


def _list_entry_robots(entry: ListEntry) -> None:
    """Tell the listed subject's group robots (WeCom, DingTalk) that the entry is published."""
    unit, user = entry.subject_unit, entry.subject_user
    name: dict[str, str] | str
    if unit is not None:
        name = in_each_language(lambda: unit.display_name)
    elif user is not None:
        name = user.get_full_name() or user.get_username()
    robot_notify(
        event=RobotEvent.LIST_ENTRY,
        dedup_key=f"list_entry:{entry.pk}:published",
        context={
            "list": entry.list_type,
            "subject": name,
            "reason": entry.reason,
            "published_at": timezone.localtime(entry.published_at).strftime("%Y-%m-%d"),
            "expires_at": timezone.localtime(entry.expires_at).strftime("%Y-%m-%d") if entry.expires_at else "",
            "url": site_url(reverse("credit:mine")) if entry.subject_user_id else "",
        },
        unit_ids=[entry.subject_unit_id] if entry.subject_unit_id else [],
        user_ids=[entry.subject_user_id] if entry.subject_user_id else [],
    )


def list_entry_reject(*, entry: ListEntry, moderator: User, reason: str) -> ListEntry:
    _require_moderator(moderator)
    reason = _require_reason(reason)
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status != ListEntry.Status.PROPOSED:
            raise DomainConflictError(_("Only a proposed entry can be rejected."))
        entry.status = ListEntry.Status.REJECTED
        entry.moderator, entry.decision_reason, entry.decided_at = moderator, reason, timezone.now()
        entry.save()
    return entry


def list_entries_expire(*, now: datetime | None = None) -> int:
    """End the publication of entries past their end (the public lists already hide them by date)."""
    now = now or timezone.now()
    with transaction.atomic():
        return ListEntry.objects.filter(status=ListEntry.Status.PUBLISHED, expires_at__lte=now).update(
            status=ListEntry.Status.EXPIRED, ended_at=F("expires_at")
        )


# --- Objections and credit repair ---------------------------------------------------------------


def appeal_submit(*, entry: ListEntry, user: User, reason: str) -> Appeal:
    """The subject objects to an entry (any time while it is proposed or published)."""
    if not can_act_for_subject(user, entry.subject):
        raise DomainPermissionError(_("Only the listed person or an administrator of the listed unit may object."))
    reason = _require_reason(reason)
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status not in {ListEntry.Status.PROPOSED, ListEntry.Status.PUBLISHED}:
            raise DomainConflictError(_("This entry is no longer open to objection."))
        if entry.appeals.filter(status=Appeal.Status.OPEN).exists():
            raise DomainConflictError(_("An objection to this entry is already waiting for a decision."))
        today = timezone.localdate()
        return Appeal.objects.create(
            entry=entry,
            submitted_by=user,
            reason=reason,
            due_on=policy.add_working_days(today, params.APPEAL_DECISION_WORKING_DAYS),
        )


def _end_publication(entry: ListEntry, status: str, now: datetime) -> None:
    entry.status = status
    entry.ended_at = now
    entry.save(update_fields=["status", "ended_at"])


def appeal_decide(*, appeal: Appeal, admin: User, upheld: bool, reason: str) -> Appeal:
    """Uphold (the entry is revoked) or dismiss an objection. The decision goes on the ledger either way."""
    _require_moderator(admin)
    reason = _require_reason(reason)
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("entry").get(pk=appeal.pk)
        if appeal.status != Appeal.Status.OPEN:
            raise DomainConflictError(_("This objection has already been decided."))
        entry = _locked_entry(appeal.entry)
        now = timezone.now()
        appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.DISMISSED
        appeal.decided_by, appeal.decision_reason, appeal.decided_at = admin, reason, now
        appeal.save()
        if upheld and entry.status in {ListEntry.Status.PROPOSED, ListEntry.Status.PUBLISHED}:
            _end_publication(entry, ListEntry.Status.REVOKED, now)
        credit_event_record(
            subject=entry.subject,
            kind=CreditEvent.Kind.APPEAL_UPHELD if upheld else CreditEvent.Kind.ADMIN_DECISION,
            source=CreditEvent.Source.ADMIN,
            source_ref=f"appeal:{appeal.pk}",
            polarity=None if upheld else 0,
            occurred_at=now,
            details={"appeal": appeal.pk, "entry": entry.pk, "outcome": appeal.status, "reason": reason},
            recorded_by=admin,
        )
    return appeal


def repair_request_submit(
    *, entry: ListEntry, user: User, proof_text: str, commitment_signed: bool, proof_file: UploadedFile | None = None
) -> RepairRequest:
    """Ask for credit repair once the shortest publication period passed, with proof and a signed commitment."""
    if not can_act_for_subject(user, entry.subject):
        raise DomainPermissionError(
            _("Only the listed person or an administrator of the listed unit may request repair.")
        )
    if not commitment_signed:
        raise DomainValidationError(_("The credit commitment must be signed."), field="commitment_signed")
    proof_text = (proof_text or "").strip()
    if not proof_text:
        raise DomainValidationError(_("Describe how the problem was corrected."), field="proof_text")
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status != ListEntry.Status.PUBLISHED:
            raise DomainConflictError(_("Only a published entry can be repaired."))
        available = policy.repair_available_from(entry)
        if available is not None and timezone.now() < available:
            raise DomainConflictError(
                _("Repair can be requested from %(date)s, after the minimum publication period.")
                % {"date": timezone.localtime(available).date().isoformat()}
            )
        if entry.repair_requests.filter(status=RepairRequest.Status.PENDING).exists():
            raise DomainConflictError(_("A repair request for this entry is already waiting for a decision."))
        return RepairRequest.objects.create(
            entry=entry,
            submitted_by=user,
            proof_text=proof_text,
            proof_file=proof_file or "",
            commitment_signed=True,
        )


def repair_request_decide(*, repair: RepairRequest, admin: User, granted: bool, reason: str) -> RepairRequest:
    """Grant (publication ends, the score is recomputed) or refuse a repair request; a ledger event either way."""
    _require_moderator(admin)
    reason = _require_reason(reason)
    with transaction.atomic():
        repair = RepairRequest.objects.select_for_update().select_related("entry").get(pk=repair.pk)
        if repair.status != RepairRequest.Status.PENDING:
            raise DomainConflictError(_("This repair request has already been decided."))
        entry = _locked_entry(repair.entry)
        now = timezone.now()
        repair.status = RepairRequest.Status.GRANTED if granted else RepairRequest.Status.REFUSED
        repair.decided_by, repair.decision_reason, repair.decided_at = admin, reason, now
        repair.save()
        if granted and entry.status == ListEntry.Status.PUBLISHED:
            _end_publication(entry, ListEntry.Status.REPAIRED, now)
        credit_event_record(
            subject=entry.subject,
            kind=CreditEvent.Kind.REPAIR_GRANTED if granted else CreditEvent.Kind.ADMIN_DECISION,
            source=CreditEvent.Source.ADMIN,
            source_ref=f"repair:{repair.pk}",
            polarity=None if granted else 0,
            occurred_at=now,
            details={"repair": repair.pk, "entry": entry.pk, "outcome": repair.status, "reason": reason},
            recorded_by=admin,
        )
    return repair


# --- Trusted provider badge -----------------------------------------------------------------------


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
