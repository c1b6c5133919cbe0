"""`python manage.py seed_billing_demo`: a year of charges, statements and payments for the demo (after seed_demo)."""

from django.core.management.base import BaseCommand, CommandError

from billing.demo import billing_demo_seed


class Command(BaseCommand):
    help = "A year of billing at the demo provider: monthly statements, mostly paid on time, some late. Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12)

    def handle(self, *args, **options):
        try:
            summary = billing_demo_seed(months=options["months"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(summary.line()))
