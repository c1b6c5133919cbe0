"""Celery tasks of the billing app: thin, idempotent wrappers around services (beat runs them)."""

from celery import shared_task

from .services import statements_issue_monthly, statements_mark_overdue


@shared_task(name="billing.tasks.mark_statements_overdue", acks_late=True)
def mark_statements_overdue() -> list[int]:
    """Daily: statements unpaid past their due date become overdue (payment_late once, mail)."""
    return statements_mark_overdue()


@shared_task(name="billing.tasks.issue_monthly_statements", acks_late=True)
def issue_monthly_statements() -> list[int]:
    """Monthly: statements for the providers that opted in, for charges up to the end of last month."""
    return statements_issue_monthly()
