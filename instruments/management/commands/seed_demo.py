"""`python manage.py seed_demo`: the demo city platform (Baotou, 47 units, 945 instruments). Safe to repeat."""

from django.core.management.base import BaseCommand

from instruments.demo_data import demo_seed


class Command(BaseCommand):
    help = "Load the demo city platform: 47 verified units in Baotou, 945 instruments, demo accounts."

    def handle(self, *args, **options):
        summary = demo_seed()
        self.stdout.write(self.style.SUCCESS(summary.line()))
