"""The person behind accounts (issue 18.2): what one account of a person did follows their other accounts.

The documented choice is mirroring, so that nothing in scoring or in the list rules has to know about
people: every negative fact of one account (not a reversal, not reversed) is appended once more to each
other account of the same person (source "person", source_ref "person:<original id>", details naming the
original), with the original's kind, severity, weight and time. Each account's score and the list rules then
see the person's whole record, and a person spreading violations over several accounts is proposed as soon
as one account would have been. A published black-list entry is mirrored too (rule "person", published at
once until the original's end, the original named in its evidence): a new account of a listed person starts
listed, rather than being refused, so that it carries the person's history (a refused sign-up would simply
be tried again without an identity). Reversing, revoking or repairing the original does the same to its
mirrors.

Identity (below credit) says which accounts share a person (identity.selectors.person_sibling_user_ids) and
sends `person_account_joined` when an account joins one; `person_account_joined_follow` answers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.selectors import person_sibling_user_ids

from ..models import CreditEvent, ListEntry
from ..scoring.inputs import reversed_event_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MIRROR_SOURCE = CreditEvent.Source.PERSON
MIRROR_RULE = "person"


def person_sibling_keys(subject_keys: list[str]) -> dict[str, list[str]]:
    """{"user:<id>": the subject keys of the same person's other accounts}, for the given keys that have any
    (units have none). One query."""
    user_ids = [int(key.partition(":")[2]) for key in subject_keys if key.startswith("user:")]
    siblings = person_sibling_user_ids(user_ids)
    return {f"user:{pk}": [f"user:{other}" for other in others] for pk, others in siblings.items()}


def _mirror_source_ref(event_pk: int) -> str:
    return f"person:{event_pk}"


def _mirrors_of(originals: list[CreditEvent], targets: dict[int, list[int]]) -> list[CreditEvent]:
    """Unsaved mirror rows: each original on each of its targets (user ids)."""
    return [
        CreditEvent(
            subject_user_id=user_id,
            subject_key=f"user:{user_id}",
            kind=event.kind,
            polarity=event.polarity,
            weight=event.weight,
            value=event.value,
            severity=event.severity,
            source=MIRROR_SOURCE,
            source_ref=_mirror_source_ref(event.pk),
            counterparty_key=event.counterparty_key,
            details={"mirrors": event.pk, "account": event.subject_user_id, "mirrored_kind": event.kind},
            occurred_at=event.occurred_at,
            recorded_by_id=event.recorded_by_id,
        )
        for event in originals
        for user_id in targets.get(event.pk, ())
    ]


def _mirrors_save(rows: list[CreditEvent]) -> set[str]:
    """Append the mirrors (an existing one is left as it is) and queue the touched subjects' recompute."""
    from .ledger import _queue_recompute

    if not rows:
        return set()
    CreditEvent.objects.bulk_create(rows, ignore_conflicts=True)
    keys = {row.subject_key for row in rows}
    for key in sorted(keys):
        _queue_recompute(key)
    return keys


def _mirrorable(event: CreditEvent) -> bool:
    return (
        event.subject_user_id is not None
        and event.polarity < 0
        and event.kind != CreditEvent.Kind.REVERSAL
        and event.source != MIRROR_SOURCE
    )


def person_fact_follow(event: CreditEvent) -> list[str]:
    """A negative fact just recorded on an account: append it to the person's other accounts. Returns their keys."""
    user_id = event.subject_user_id
    if user_id is None or not _mirrorable(event):
        return []
    siblings = person_sibling_user_ids([user_id]).get(user_id, [])
    return sorted(_mirrors_save(_mirrors_of([event], {event.pk: siblings})))


def person_fact_reversed(*, event: CreditEvent, reason: str, recorded_by: User | None) -> None:
    """An original fact was reversed: reverse its mirrors on the person's other accounts too."""
    from .ledger import credit_event_reverse

    if event.source == MIRROR_SOURCE or event.subject_user_id is None:
        return
    mirrors = CreditEvent.objects.filter(source=MIRROR_SOURCE, source_ref=_mirror_source_ref(event.pk))
    reversed_ids = reversed_event_ids([mirror.subject_key for mirror in mirrors], timezone.now())
    for mirror in mirrors:
        if mirror.pk not in reversed_ids:
            credit_event_reverse(event=mirror, reason=reason, recorded_by=recorded_by)


def person_account_joined_follow(*, user_id: int) -> None:
    """An account joined a person: the negative facts and published black entries of each of the person's
    accounts follow to the others (the new account gets the person's record, the others get the new one's)."""
    accounts = person_sibling_user_ids([user_id]).get(user_id, [])
    if not accounts:
        return
    everyone = sorted([user_id, *accounts])
    keys = [f"user:{pk}" for pk in everyone]
    reversed_ids = reversed_event_ids(keys, timezone.now())
    originals = [
        event
        for event in CreditEvent.objects.filter(subject_key__in=keys, polarity__lt=0)
        .exclude(kind=CreditEvent.Kind.REVERSAL)
        .exclude(source=MIRROR_SOURCE)
        .order_by("pk")
        if event.pk not in reversed_ids
    ]
    targets = {event.pk: [pk for pk in everyone if pk != event.subject_user_id] for event in originals}
    _mirrors_save(_mirrors_of(originals, targets))
    person_entries_follow(user_ids=everyone)


# --- black-list entries ----------------------------------------------------------------------


def _original_of(entry: ListEntry) -> int:
    for item in entry.evidence or []:
        if isinstance(item, dict) and "mirrors_entry" in item:
            return int(item["mirrors_entry"])
    return entry.pk


def person_entries_follow(*, user_ids: list[int], now: datetime | None = None) -> list[ListEntry]:
    """Each of these accounts (one person's) without an open black entry gets a published mirror of the
    longest-running black entry published on any of them. Returns the mirrors written."""
    from .ledger import _queue_recompute

    now = now or timezone.now()
    keys = [f"user:{pk}" for pk in user_ids]
    entries = list(
        ListEntry.objects.filter(subject_key__in=keys, list_type=ListEntry.List.BLACK)
        .filter(Q(status=ListEntry.Status.PROPOSED) | Q(pk__in=ListEntry.objects.published_at(now).values("pk")))
        .order_by("pk")
    )
    published = [entry for entry in entries if entry.status == ListEntry.Status.PUBLISHED]
    if not published:
        return []
    source = max(published, key=lambda entry: (entry.expires_at or now, entry.pk))
    open_keys = {entry.subject_key for entry in entries}
    basis = list(source.basis_events.values_list("pk", "details"))
    originals = {(details or {}).get("mirrors", pk) for pk, details in basis}
    written = []
    for user_id in user_ids:
        key = f"user:{user_id}"
        if key in open_keys:
            continue
        entry = ListEntry.objects.create(
            subject_user_id=user_id,
            subject_key=key,
            list_type=ListEntry.List.BLACK,
            severity=source.severity,
            rule=MIRROR_RULE,
            reason=_("The same person's other account is on the black list: %(reason)s") % {"reason": source.reason},
            evidence=[{"mirrors_entry": _original_of(source), "account": source.subject_user_id}],
            listing_authority=source.listing_authority,
            status=ListEntry.Status.PUBLISHED,
            proposed_at=now,
            published_at=now,
            expires_at=source.expires_at,
            moderator_id=source.moderator_id,
            decision_reason=source.decision_reason,
            decided_at=now,
        )
        # The same facts as the source's basis, as this account holds them (its own, or their mirrors).
        entry.basis_events.set(
            CreditEvent.objects.filter(subject_key=key).filter(
                Q(pk__in=originals) | Q(source_ref__in=[_mirror_source_ref(pk) for pk in originals])
            )
        )
        _queue_recompute(key)
        written.append(entry)
    if written:
        from .lists import list_entry_robots_notify  # lists imports this module

        # The mirror is published like any entry: group robots are told (partners by partners.signals).
        for entry in written:
            list_entry_robots_notify(entry)
    return written


def person_entry_ended(*, entry: ListEntry, status: str, now: datetime) -> None:
    """An original black entry was revoked or repaired: its published mirrors end the same way."""
    if entry.subject_user_id is None or entry.rule == MIRROR_RULE:
        return
    siblings = person_sibling_user_ids([entry.subject_user_id]).get(entry.subject_user_id, [])
    if not siblings:
        return
    mirrors = ListEntry.objects.select_for_update().filter(
        subject_user_id__in=siblings, rule=MIRROR_RULE, status=ListEntry.Status.PUBLISHED
    )
    ended = [mirror for mirror in mirrors if _original_of(mirror) == entry.pk]
    from .ledger import _queue_recompute

    for mirror in ended:
        mirror.status, mirror.ended_at = status, now
        mirror.save(update_fields=["status", "ended_at"])
        _queue_recompute(mirror.subject_key)


def person_account_ids(user_id: int) -> list[int]:
    """The account and the same person's other accounts (just the account when it has no person)."""
    return sorted([user_id, *person_sibling_user_ids([user_id]).get(user_id, [])])
