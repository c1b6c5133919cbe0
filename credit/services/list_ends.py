"""The end of a published list entry, told to the group robots (WeCom, DingTalk) that were told of its publication.

Publication goes to the subject's robots (lists.list_entry_robots_notify, dedup key "list_entry:<id>:published");
the end goes to those same robots (notifications.services.robot_notify_told), once ("list_entry:<id>:ended"),
with why it ended. Entries ended by save() (an objection upheld, a repair granted, a mirror ended with its
original) are told by credit.receivers on post_save, in the ending transaction; entries that run out are ended by
list_entries_expire with a bulk update (no signal) and are told by list_entries_ended_robots_notify, which the
hourly expire task runs after the expiry (it also catches an end a receiver could not tell).
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from notifications.models import RobotEvent, RobotMessage
from notifications.selectors import robot_dedup_keys_told
from notifications.services import in_each_language, robot_notify_told, site_url

from ..models import Appeal, ListEntry, RepairRequest
from .persons import MIRROR_RULE

ENDED_STATUSES = (ListEntry.Status.REVOKED, ListEntry.Status.REPAIRED, ListEntry.Status.EXPIRED)


def _published_key(entry_id: int) -> str:
    return f"list_entry:{entry_id}:published"


def _ended_key(entry_id: int) -> str:
    return f"list_entry:{entry_id}:ended"


def _decided_by(entry: ListEntry) -> int:
    """The entry whose objection or repair ended this one: the original of a mirror (rule "person"), else itself."""
    if entry.rule == MIRROR_RULE:
        for item in entry.evidence or []:
            if isinstance(item, dict) and "mirrors_entry" in item:
                return int(item["mirrors_entry"])
    return entry.pk


def _why(entry: ListEntry) -> tuple[str, str]:
    """(how it ended: appeal | revoked | repaired | expired, the deciding administrator's stated reason)."""
    decided = _decided_by(entry)
    if entry.status == ListEntry.Status.REPAIRED:
        repair = (
            RepairRequest.objects.filter(entry_id=decided, status=RepairRequest.Status.GRANTED)
            .order_by("-decided_at", "-pk")
            .first()
        )
        return "repaired", repair.decision_reason if repair else ""
    if entry.status == ListEntry.Status.REVOKED:
        appeal = (
            Appeal.objects.filter(entry_id=decided, status=Appeal.Status.UPHELD).order_by("-decided_at", "-pk").first()
        )
        return ("appeal", appeal.decision_reason) if appeal else ("revoked", "")
    return "expired", ""


def list_entry_end_robots_notify(entry: ListEntry) -> list[RobotMessage]:
    """Tell the robots told of this entry's publication that it ended, and why (inside the caller's transaction).
    Nothing for an entry no robot was told of (never published, or nobody's robot wanted it)."""
    if entry.status not in ENDED_STATUSES or not robot_dedup_keys_told([_published_key(entry.pk)]):
        return []
    unit, user = entry.subject_unit, entry.subject_user
    name: dict[str, str] | str = ""
    if unit is not None:
        name = in_each_language(lambda: unit.display_name)
    elif user is not None:
        name = user.get_full_name() or user.get_username()
    ended, decision = _why(entry)
    ended_at = entry.ended_at or timezone.now()
    return robot_notify_told(
        told_key=_published_key(entry.pk),
        event=RobotEvent.LIST_ENTRY,
        dedup_key=_ended_key(entry.pk),
        context={
            "list": entry.list_type,
            "subject": name,
            "ended": ended,
            "decision": decision,
            "ended_at": timezone.localtime(ended_at).strftime("%Y-%m-%d"),
            "published_at": timezone.localtime(entry.published_at).strftime("%Y-%m-%d") if entry.published_at else "",
            "url": site_url(reverse("credit:mine")) if entry.subject_user_id else "",
        },
    )


def list_entries_ended_robots_notify(*, since: datetime) -> int:
    """Tell the robots of every entry ended since `since` whose robots were told of its publication and not yet
    of its end (the expired ones, ended by a bulk update). Idempotent; returns the entries told."""
    entries = list(
        ListEntry.objects.filter(status__in=ENDED_STATUSES, ended_at__gte=since)
        .select_related("subject_unit", "subject_user")
        .order_by("pk")
    )
    if not entries:
        return 0
    keys = robot_dedup_keys_told([_published_key(e.pk) for e in entries] + [_ended_key(e.pk) for e in entries])
    due = [e for e in entries if _published_key(e.pk) in keys and _ended_key(e.pk) not in keys]
    for entry in due:
        list_entry_end_robots_notify(entry)
    return len(due)
