"""`python manage.py seed_demo`: the demo city platform (Baotou, 47 units, 945 instruments) with a year of
activity: bookings, reviews, incidents, credit scores and lists, statements. Deterministic, safe to repeat."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.history import DEFAULT_SCALE, demo_history_seed, passwords_hashed_once
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
            default=DEFAULT_SCALE,
            help="How busy the year is: 1 is ~300 researchers and a few thousand bookings; 0.2 a fifth of that.",
        )
        parser.add_argument(
            "--as-of",
            type=datetime.fromisoformat,
            default=None,
            help="Write the history up to this moment (ISO 8601 with offset; default: now). For tests.",
        )

    def handle(self, *args, **options):
        with passwords_hashed_once():
            self._seed(options)

    def _seed(self, options) -> None:
        summary = demo_seed()
        self.stdout.write(self.style.SUCCESS(summary.line()))
        if options["without_history"]:
            return
        as_of = options["as_of"]
        if as_of is not None and timezone.is_naive(as_of):
            raise CommandError("--as-of needs a UTC offset, e.g. 2026-11-26T10:00:00+08:00")
        history = demo_history_seed(scale=options["scale"], now=as_of)
        self.stdout.write(self.style.SUCCESS(history.line()))
        if not history.skipped:
            self.stdout.write(f"History written in {history.seconds:.1f} s.")
