"""`python manage.py seed_demo`: the demo city platform (Baotou, 47 units, 945 instruments) with a year of
activity: bookings, reviews, incidents, credit scores and lists, statements. Deterministic, safe to repeat."""

from django.core.management.base import BaseCommand

from demo.history import demo_history_seed
from instruments.demo_data import demo_seed


class Command(BaseCommand):
    help = (
        "Load the demo city platform: 47 verified units in Baotou, 945 instruments, demo accounts, and a year "
        "of activity written through the platform's services. Safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="Only the units, instruments and demo accounts (no bookings, scores or statements).",
        )

        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="How busy the year is: 1 is ~300 researchers and a few thousand bookings; 0.2 a fifth of that.",
        )

    def handle(self, *args, **options):
        summary = demo_seed()
        self.stdout.write(self.style.SUCCESS(summary.line()))
        if options["without_history"]:
            return
        history = demo_history_seed(scale=options["scale"])
        self.stdout.write(self.style.SUCCESS(history.line()))
        if not history.skipped:
            self.stdout.write(f"History written in {history.seconds:.1f} s.")
