"""Signals the credit layer sends; other apps (partners' webhooks, caches) listen instead of polling.

`credit_score_changed` is sent once the transaction that wrote a subject's new snapshot has
committed, by both the per-subject and the full recompute, for every subject whose score or tier
differs from its previous snapshot (a first snapshot counts: old_score and old_tier are None).
Keyword arguments: subject_key ("user:<id>" | "unit:<id>"), old_score, new_score, old_tier,
new_tier, as_of, snapshot_id.

How: the recompute writes ``announce_score_changes`` to the outbox in the transaction of its
snapshots, so the announcement survives a broker outage and a rolled-back recompute announces
nothing. With a broker the receivers run in a Celery worker, without one in-process right after the
commit. Receivers queue their side effects with ``outbox.enqueue``; their writes commit in one
transaction with the announcement (once per batch of snapshots). Receivers must not raise.

`credit_warning_issued` is sent once the transaction that recorded a CreditWarning (the warning after a
second violation, issue 18.8) has committed, through the outbox the same way. Keyword arguments:
warning_id, subject_key ("user:<id>" | "unit:<id>"). The mail to the person and their unit's admins is sent
by a higher layer's receiver (bookings.notifications), which credit does not know.
"""

from datetime import datetime

from celery import shared_task
from django.db import DatabaseError
from django.dispatch import Signal

from sharing_platform import outbox

from .models import CreditScore, CreditWarning

credit_score_changed = Signal()
CHANGE_FIELDS = ("subject_key", "old_score", "new_score", "old_tier", "new_tier", "snapshot_id")  # besides as_of
credit_warning_issued = Signal()


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def announce_score_changes(self, changes: list[dict] | dict[str, list], as_of: str | None = None) -> int:
    """Send credit_score_changed for each change of one committed batch of snapshots (as_of in ISO 8601).

    `changes` is columnar (one list per keyword, CHANGE_FIELDS, and the batch's as_of apart): a full run's
    batch announces thousands of changes, and one list per field is a fraction of the JSON of one dict per
    change. A list of dicts (each with its as_of) is still accepted: messages queued before the change.
    """
    if isinstance(changes, dict):
        moment = datetime.fromisoformat(as_of or "")
        columns = [changes[name] for name in CHANGE_FIELDS]
        calls = [
            {**dict(zip(CHANGE_FIELDS, values, strict=True)), "as_of": moment} for values in zip(*columns, strict=True)
        ]
        return outbox.signal_send_once(self.request.id, credit_score_changed, sender=CreditScore, calls=calls)
    calls = [{**change, "as_of": datetime.fromisoformat(change["as_of"])} for change in changes]
    return outbox.signal_send_once(self.request.id, credit_score_changed, sender=CreditScore, calls=calls)


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def announce_warning_issued(self, warning_id: int) -> int:
    """Send credit_warning_issued for one committed warning (a warning gone since is not announced)."""
    key = CreditWarning.objects.filter(pk=warning_id).values_list("subject_key", flat=True).first()
    if key is None:
        return 0
    calls = [{"warning_id": warning_id, "subject_key": key}]
    return outbox.signal_send_once(self.request.id, credit_warning_issued, sender=CreditWarning, calls=calls)
