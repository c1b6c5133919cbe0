"""Tasks that only the outbox tests use (registered with the Celery app when imported; run in-process)."""

from celery import shared_task

CALLS: list = []
FAILURES: list[str] = []  # values whose next run raises (each entry once)


@shared_task(name="tests.outbox.record")
def record(value, extra=None):
    """Remember the call; raise once for a value listed in FAILURES (a task that fails, then succeeds)."""
    if value in FAILURES:
        FAILURES.remove(value)
        raise ValueError(f"cannot handle {value} right now")
    CALLS.append((value, extra))
    return value
