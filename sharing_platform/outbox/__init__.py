"""The transactional outbox: side effects (mail, recomputes, webhooks) leave through a table, never lost.

Use::

    from sharing_platform import outbox

    with transaction.atomic():
        booking.save()
        outbox.enqueue(send_change_notifications, booking.pk, "approved", actor.pk)  # or the task's name

``enqueue(task, /, *args, **kwargs)`` writes one row (task name, JSON arguments) in the caller's
transaction and returns the ``OutboxMessage``. It replaces ``transaction.on_commit(lambda: task.delay(...))``.

What is guaranteed, step by step:

1. Written with the change. The row commits or rolls back with the change: a refused or rolled-back
   write sends nothing, a committed one cannot lose its side effects, whatever happens to the process
   or the broker after the commit.
2. Sent at least once. Right after the commit the message is sent at once (best effort: a broker error
   is logged, never raised to the request that committed). Whatever is still pending, the relay sends:
   Celery beat runs ``relay_outbox`` every 15 seconds (``manage.py relay_outbox`` does the same by hand),
   oldest first, in batches locked with ``SELECT ... FOR UPDATE SKIP LOCKED``. A row is published while
   it is locked and marked dispatched in the same transaction, so two relays (or a relay and the
   immediate send) never publish one row twice. The only way to publish twice is a process that dies
   after the broker accepted a message and before the mark committed.
3. Handled once. A message travels as task id ``outbox-<id>``. Every task of the project has
   ``consumer.OutboxTask`` as its base: it skips a message that is already marked handled and marks it
   after the task succeeded. Tasks whose effects are database writes call ``outbox.claim(self.request.id)``
   inside their own transaction, which marks the message together with those writes: exactly once.
   Tasks with effects outside the database (mail, HTTP) are at least once, with the window of a worker
   dying between the effect and the mark; their own idempotence (mail markers, webhook event ids)
   covers it.
4. The embedded default (no broker) runs each task in this process right after the commit, as before.
   A task that fails there is logged, and its message waits for ``manage.py relay_outbox``.

Dispatched messages are pruned after ``OUTBOX_KEEP_DISPATCHED_DAYS`` (7). Platform admins see pending
and failed messages in the Django admin.
"""


def enqueue(task, /, *args, **kwargs):
    """Queue ``task(*args, **kwargs)`` in the current transaction (see the module docstring)."""
    from .services import message_enqueue

    return message_enqueue(task, *args, **kwargs)


def claim(task_id: str | None) -> bool:
    """Inside a task's transaction: True the first time its outbox message is handled, False after that."""
    from .services import message_claim

    return message_claim(task_id)


def signal_send_once(task_id: str | None, signal, *, sender, calls: list[dict]) -> int:
    """Send a signal from a task sent through the outbox: receivers' writes commit with the claim, once."""
    from .services import signal_send_once as send

    return send(task_id, signal, sender=sender, calls=calls)
