"""Writes of the outbox: enqueue in the caller's transaction, dispatch after commit, relay, prune, claim.

See the package docstring for the guarantee. Settings (all optional):
``OUTBOX_RELAY_BATCH_SIZE`` (200 messages per locked batch), ``OUTBOX_KEEP_DISPATCHED_DAYS`` (7: how long
dispatched messages stay for the record and for de-duplication), ``OUTBOX_RETRY_MAX_SECONDS`` (300: the
longest wait before a message whose own sending failed is tried again).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from .consumer import message_id_from_task_id
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A broker that is down or unreachable: not the message's fault, so it keeps its place in the queue.
BROKER_ERRORS = (BrokerOperationalError, OSError)
# Publish with one quick reconnect (a pooled connection may be stale after a broker restart), no more:
# the request that committed the change must not wait for a broker that is down.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
ERROR_TEXT_LIMIT = 2000


def _celery_app():
    from sharing_platform.celery import app

    return app


def _eager() -> bool:
    """No broker (the embedded default): tasks run in this process."""
    return bool(_celery_app().conf.task_always_eager)


def _batch_size() -> int:
    return int(getattr(settings, "OUTBOX_RELAY_BATCH_SIZE", 200))


def _retry_delay(attempts: int) -> timedelta:
    ceiling = int(getattr(settings, "OUTBOX_RETRY_MAX_SECONDS", 300))
    return timedelta(seconds=min(2 ** min(attempts, 16), ceiling))


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]


# --- enqueue ----------------------------------------------------------------------------------


def message_enqueue(task: Any, /, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Write a task message in the current transaction; it is sent once that transaction commits.

    ``task`` is a Celery task or its registered name; the arguments must be plain JSON (ids, strings,
    numbers, lists, dicts), as the tasks take ids. Outside a transaction the row is written and sent at once.
    """
    name = task if isinstance(task, str) else task.name
    try:
        json.dumps([args, kwargs])
    except (TypeError, ValueError) as exc:
        raise TypeError(f"outbox: the arguments of {name} must be plain JSON: {exc}") from exc
    message = OutboxMessage.objects.create(task_name=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: messages_dispatch([message.pk]), robust=True)
    return message


# --- sending ----------------------------------------------------------------------------------


def _registered_task(name: str):
    app = _celery_app()
    task = app.tasks.get(name)
    if task is None:  # a task module nobody imported yet in this process
        app.loader.import_default_modules()
        task = app.tasks.get(name)
    return task


def _publish(message: OutboxMessage) -> None:
    """Hand the message to the broker, under its outbox task id."""
    options = {"task_id": message.task_id, "retry": True, "retry_policy": PUBLISH_RETRY_POLICY}
    task = _registered_task(message.task_name)
    if task is not None:
        task.apply_async(args=message.args, kwargs=message.kwargs, **options)
    else:  # a task only the workers know: send it by name
        _celery_app().send_task(message.task_name, args=message.args, kwargs=message.kwargs, **options)


def _run_in_process(message: OutboxMessage) -> None:
    task = _registered_task(message.task_name)
    if task is None:
        raise LookupError(f"no Celery task is registered as {message.task_name!r}")
    task.apply(args=message.args, kwargs=message.kwargs, task_id=message.task_id, throw=True)


@dataclass(frozen=True)
class _BatchOutcome:
    taken: int  # rows this batch locked (claimed)
    sent: int
    failed: int
    broker_down: bool


def _send_batch(queryset: QuerySet, *, limit: int) -> _BatchOutcome:
    """Lock up to `limit` pending rows (skipping rows another relay holds), oldest first, and send them.

    With a broker each row is published while it is locked and marked dispatched in the same transaction,
    so no two senders publish one row. In-process (no broker) the rows are claimed first, then run after
    that commit, outside it; a run that fails hands its row back to the relay with a delay.
    """
    now = timezone.now()
    eager = _eager()
    sent: list[int] = []
    failed = 0
    broker_down = False
    with transaction.atomic():
        rows = list(
            queryset.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, available_at__lte=now)
            .order_by("pk")[:limit]
        )
        if eager:
            OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
                dispatched_at=now, attempts=F("attempts") + 1
            )
        else:
            for row in rows:
                try:
                    _publish(row)
                except Exception as exc:
                    broker_down = isinstance(exc, BROKER_ERRORS)
                    failed += 1
                    _failure_record(row, exc, now=now, delay=not broker_down)
                    if broker_down:  # every other row would fail the same way: leave them for the next run
                        break
                    continue
                sent.append(row.pk)
            OutboxMessage.objects.filter(pk__in=sent).update(
                dispatched_at=now, attempts=F("attempts") + 1, last_error=""
            )
    if eager:
        for row in rows:
            try:
                _run_in_process(row)
            except Exception as exc:
                logger.exception("outbox: %s[%s] failed in-process; relay_outbox tries again", row.task_name, row.pk)
                failed += 1
                OutboxMessage.objects.filter(pk=row.pk).update(
                    dispatched_at=None,
                    available_at=timezone.now() + _retry_delay(row.attempts + 1),
                    last_error=_error_text(exc),
                )
            else:
                sent.append(row.pk)
    return _BatchOutcome(taken=len(rows), sent=len(sent), failed=failed, broker_down=broker_down)


def _failure_record(row: OutboxMessage, exc: Exception, *, now: datetime, delay: bool) -> None:
    """Note why sending failed. A broker outage keeps the row's place; a fault of the message itself waits."""
    fields = {"attempts": F("attempts") + 1, "last_error": _error_text(exc)}
    if delay:
        fields["available_at"] = now + _retry_delay(row.attempts + 1)
        logger.error("outbox: could not send %s[%s]: %s", row.task_name, row.pk, fields["last_error"])
    else:
        logger.warning(
            "outbox: broker unreachable, %s[%s] and any later message wait for the relay: %s",
            row.task_name,
            row.pk,
            fields["last_error"],
        )
    OutboxMessage.objects.filter(pk=row.pk).update(**fields)


def messages_dispatch(ids: list[int]) -> int:
    """Right after commit, best effort: send these messages now. Never raises; what is left, the relay sends."""
    try:
        return _send_batch(OutboxMessage.objects.filter(pk__in=ids), limit=len(ids)).sent
    except Exception:  # the change is committed: its request must not fail because a side effect could not leave
        logger.exception("outbox: could not dispatch messages %s; the relay will", ids)
        return 0


@dataclass(frozen=True)
class RelayOutcome:
    sent: int
    failed: int
    pruned: int
    pending: int  # still waiting after this run (broker down, or a message in its retry delay)


def outbox_relay(*, batch_size: int | None = None, deadline: float | None = None) -> RelayOutcome:
    """Send every pending message, oldest first, in locked batches; then prune old dispatched ones.

    Stops at a broker outage (the next run tries again) or at `deadline` (time.monotonic()). Safe to run
    in several processes at once: each batch skips the rows another relay holds.
    """
    limit = batch_size or _batch_size()
    sent = failed = 0
    while True:
        batch = _send_batch(OutboxMessage.objects.all(), limit=limit)
        sent += batch.sent
        failed += batch.failed
        if batch.broker_down or batch.taken < limit or (deadline is not None and time.monotonic() > deadline):
            break
    pruned = messages_prune()
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True).count()
    if sent or failed or pruned:
        logger.info("outbox relay: %s sent, %s failed, %s pruned, %s pending", sent, failed, pruned, pending)
    return RelayOutcome(sent=sent, failed=failed, pruned=pruned, pending=pending)


def messages_prune(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Delete messages dispatched longer ago than OUTBOX_KEEP_DISPATCHED_DAYS (at most `limit` per call)."""
    keep = timedelta(days=int(getattr(settings, "OUTBOX_KEEP_DISPATCHED_DAYS", 7)))
    cutoff = (now or timezone.now()) - keep
    ids = list(
        OutboxMessage.objects.filter(dispatched_at__lt=cutoff)
        .order_by("dispatched_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    deleted, _by_model = OutboxMessage.objects.filter(pk__in=ids).delete()
    return deleted


# --- the consumer side ------------------------------------------------------------------------


def message_handled(task_id: str | None) -> bool:
    """Whether the outbox message behind this task id was handled already (or pruned long ago)."""
    message_id = message_id_from_task_id(task_id)
    if message_id is None:
        return False
    return not OutboxMessage.objects.filter(pk=message_id, handled_at__isnull=True).exists()


def message_claim(task_id: str | None) -> bool:
    """Mark the message behind this task id handled; True the first time, False if it was handled before.

    Called inside a task's own transaction, the mark commits or rolls back with the task's writes, and a
    concurrent copy of the message waits for the row, then sees it handled: exactly once for database work.
    A task id the outbox did not send (a direct call, beat) is always True.
    """
    message_id = message_id_from_task_id(task_id)
    if message_id is None:
        return True
    return OutboxMessage.objects.filter(pk=message_id, handled_at__isnull=True).update(handled_at=timezone.now()) == 1


def signal_send_once(task_id: str | None, signal: Signal, *, sender: Any, calls: list[dict]) -> int:
    """From a task sent through the outbox: send ``signal`` once per keyword set in ``calls``, once per message.

    The claim and every receiver's writes share one transaction, so a redelivered message announces
    nothing twice. A failing receiver is logged and the others still hear it; a database error (which
    would leave the transaction unusable) rolls the whole announcement back, to be retried by the task.
    Returns the number of signals sent (0 when the message was handled before).
    """
    with transaction.atomic():
        if not message_claim(task_id):
            logger.info("outbox: %s was announced already; skipped", task_id)
            return 0
        for kwargs in calls:
            for receiver, result in signal.send_robust(sender=sender, **kwargs):
                if not isinstance(result, Exception):
                    continue
                if isinstance(result, DatabaseError):
                    raise result
                logger.error(
                    "receiver %r failed for %s",
                    receiver,
                    task_id,
                    exc_info=(type(result), result, result.__traceback__),
                )
    return len(calls)


def message_failure_note(message_id: int, exc: BaseException) -> None:
    """A task sent by the outbox failed for good: keep the reason on its row. Never raises."""
    try:
        OutboxMessage.objects.filter(pk=message_id).update(last_error=_error_text(exc))
    except Exception:
        logger.exception("outbox: could not note the failure of message %s", message_id)
