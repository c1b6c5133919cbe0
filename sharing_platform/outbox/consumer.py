"""The consumer side: every Celery task of the project handles an outbox message at most once per message id.

``celery.py`` makes ``OutboxTask`` the base class of every task. A message the outbox sends carries the
task id ``outbox-<message id>``; any other task id (beat, a direct ``.delay()``) passes straight through.
This module imports no model at import time: Celery resolves the base class while Django is starting.
"""

from __future__ import annotations

import logging

from celery import Task

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"


def message_id_from_task_id(task_id: str | None) -> int | None:
    """The outbox message id behind a Celery task id, or None for a task the outbox did not send."""
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    number = task_id[len(TASK_ID_PREFIX) :]
    return int(number) if number.isdigit() else None


class OutboxTask(Task):
    """Skips an outbox message that was handled already, and marks it handled once the task succeeded.

    A task whose effects are database writes can close the last gap itself: ``outbox.claim(self.request.id)``
    inside its own transaction marks the message handled together with those writes (exactly once).
    """

    def __call__(self, *args, **kwargs):
        task_id = getattr(self.request, "id", None)
        if message_id_from_task_id(task_id) is None:
            return super().__call__(*args, **kwargs)
        from .services import message_claim, message_handled

        if message_handled(task_id):
            logger.info("outbox: %s[%s] was handled already; skipped", self.name, task_id)
            return None
        result = super().__call__(*args, **kwargs)
        message_claim(task_id)  # a no-op when the task claimed it in its own transaction
        return result

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Keep the reason on the message (the admin lists messages dispatched but never handled)."""
        message_id = message_id_from_task_id(task_id)
        if message_id is not None:
            from .services import message_failure_note

            message_failure_note(message_id, exc)
        return super().on_failure(exc, task_id, args, kwargs, einfo)
