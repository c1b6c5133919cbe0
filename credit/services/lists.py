"""Red and black lists: entries proposed by rule, confirmed or rejected by a moderator, expired by date."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import RobotEvent
from notifications.services import in_each_language, robot_notify, site_url
from sharing_platform import outbox
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .. import params, policy
from ..models import CreditEvent, CreditWarning, ListEntry
from ..permissions import can_moderate
from ..recompute import latest_snapshot_queryset
from ..scoring.inputs import reversed_event_ids
from ..signals import announce_warning_issued
from .ledger import _queue_recompute
from .persons import person_account_ids, person_entries_follow

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    accidents: dict[str, list[policy.EventFact]] = defaultdict(list)
    kinds = (
        params.BLACK_VIOLATION_KINDS
        | params.PROVIDER_VIOLATION_KINDS
        | params.BLACK_SEVERE_KINDS
        | params.BLACK_ACCIDENT_KINDS
    )
    for pk, key, kind, severity, occurred_at in (
        events.filter(kind__in=kinds)
        .values_list("pk", "subject_key", "kind", "severity", "occurred_at")
        .order_by("occurred_at", "pk")
    ):
        if pk in reversed_ids:
            continue
        fact = policy.EventFact(pk, kind, severity, occurred_at)
        serious = (severity or params.SEVERE_DEFAULT_SEVERITY.get(kind)) == params.BLACK_SEVERE_SEVERITY
        if kind in params.BLACK_SEVERE_KINDS and serious:
            severe[key].append(fact)
        elif kind in params.BLACK_ACCIDENT_KINDS and serious:
            accidents[key].append(fact)
        elif kind in params.VIOLATION_KINDS[key.partition(":")[0]]:
            violations[key].append(fact)
    _warnings_lapse(as_of, subject_keys)
    warnable = sorted(set(violations) | set(accidents))
    bookings = _bookings_in_window(warnable, window_start, as_of)
    scored = latest_snapshot_queryset(subject_keys).filter(
        Q(score__lt=params.BLACK_SCORE_FLOOR) | Q(score__gte=params.RED_MIN_SCORE)
    )
    scores: dict[str, int] = {}
    capped: set[str] = set()
    for key, score, cap in scored.values_list("subject_key", "score", "cap"):
        scores[key] = score
        if cap is not None:
            capped.add(key)
    # The score floor also needs a warning first (issue 18.8), so the low scorers' warnings are read too.
    low = [key for key, score in scores.items() if score < params.BLACK_SCORE_FLOOR]
    warned = _open_warnings(sorted(set(warnable) | set(low)))
    candidates = sorted(set(violations) | set(severe) | set(accidents) | set(scores))
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
            capped=key in capped,
            violations=tuple(violations.get(key, ())),
            severe=tuple(severe.get(key, ())),
            accidents=tuple(accidents.get(key, ())),
            fulfilled_in_window=fulfilled.get(key, 0),
            negatives_recently=negatives.get(key, 0),
            open_lists=frozenset(open_lists.get(key, set())),
            cooling_rules=frozenset(cooling.get(key, set())),
            bookings=bookings.get(key, 0),
            warned_at=warned.get(key),
            as_of=as_of,
        )
        proposed_black = False
        for proposal in policy.proposals_for(facts):
            entry = _proposal_save(proposal, as_of)
            if entry is not None:
                created.append(entry)
                proposed_black |= entry.list_type == ListEntry.List.BLACK
                if proposal.rule in {"violations", "serious_damage", "score_floor"}:
                    _warning_escalate(key, as_of)
        warning = policy.warning_for(facts)
        if warning is not None and not proposed_black:
            _warning_save(warning, as_of)
    return created


def _bookings_in_window(keys: list[str], window_start: datetime, as_of: datetime) -> dict[str, int]:
    """Each subject's bookings in the window: distinct bookings with a fact of theirs from the booking source."""
    if not keys:
        return {}
    return dict(
        CreditEvent.objects.filter(
            subject_key__in=keys,
            source=CreditEvent.Source.BOOKING,
            occurred_at__gt=window_start,
            source_ref__gt="",
            occurred_at__lte=as_of,
        )
        .order_by()
        .values("subject_key")
        .annotate(n=Count("source_ref", distinct=True))
        .values_list("subject_key", "n")
    )


def _open_warnings(keys: list[str]) -> dict[str, datetime]:
    rows = CreditWarning.objects.filter(status=CreditWarning.Status.OPEN, subject_key__in=keys)
    return dict(rows.values_list("subject_key", "issued_at"))


def _warnings_lapse(as_of: datetime, keys: list[str] | None) -> int:
    """Open warnings issued more than WARNING_LAPSE_DAYS ago lapse: their violations have left the window."""
    rows = CreditWarning.objects.filter(
        status=CreditWarning.Status.OPEN, issued_at__lte=as_of - timedelta(days=params.WARNING_LAPSE_DAYS)
    )
    if keys is not None:
        rows = rows.filter(subject_key__in=keys)
    with transaction.atomic():
        return rows.update(status=CreditWarning.Status.LAPSED, closed_at=as_of)


def _warning_escalate(key: str, as_of: datetime) -> None:
    with transaction.atomic():
        CreditWarning.objects.filter(subject_key=key, status=CreditWarning.Status.OPEN).update(
            status=CreditWarning.Status.ESCALATED, closed_at=as_of
        )


def _evidence_item(fact: policy.EventFact) -> dict:
    return {"event": fact.pk, "kind": fact.kind, "severity": fact.severity, "occurred_at": fact.occurred_at.isoformat()}


def _warning_save(warning: policy.WarningDecision, as_of: datetime) -> CreditWarning | None:
    """Record the warning and announce it (after commit) so the person and their unit's admins are told."""
    kind, _sep, pk = warning.subject_key.partition(":")
    row = CreditWarning(
        subject_unit_id=int(pk) if kind == "unit" else None,
        subject_user_id=int(pk) if kind == "user" else None,
        subject_key=warning.subject_key,
        issued_at=as_of,
        violations=warning.violations,
        bookings=warning.bookings,
        reason=warning.reason,
        evidence=[_evidence_item(fact) for fact in warning.basis],
    )
    try:
        with transaction.atomic():
            row.save()
            outbox.enqueue(announce_warning_issued, row.pk)
    except IntegrityError:
        return None  # a concurrent run warned first: one open warning per subject
    return row


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
        list_entry_robots_notify(entry)
        if entry.list_type == ListEntry.List.BLACK and entry.subject_user_id is not None:
            person_entries_follow(user_ids=person_account_ids(entry.subject_user_id))  # issue 18.2
    return entry


def list_entry_robots_notify(entry: ListEntry) -> None:
    """Tell the listed subject's group robots (WeCom, DingTalk) that the entry is published (an original, or its
    mirror on the same person's other account: credit.services.persons)."""
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


def _end_publication(entry: ListEntry, status: str, now: datetime) -> None:
    entry.status = status
    entry.ended_at = now
    entry.save(update_fields=["status", "ended_at"])
