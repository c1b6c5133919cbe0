"""Mark statements unpaid past their due date as overdue (what the daily beat task does), without Celery."""

from django.core.management.base import BaseCommand

from billing.services import statements_mark_overdue


class Command(BaseCommand):
    help = "Mark statements unpaid past their due date as overdue: payment_late for the paying unit, once; mail."

    def handle(self, *args, **options):
        marked = statements_mark_overdue()
        self.stdout.write(f"{len(marked)} statements overdue" + (f": {', '.join(map(str, marked))}" if marked else ""))
