"""Send every pending outbox message now (what the beat task does every 15 seconds), and prune old ones."""

from django.core.management.base import BaseCommand

from sharing_platform.outbox.services import outbox_relay


class Command(BaseCommand):
    help = "Send the task messages still pending in the outbox (oldest first) and prune old dispatched ones."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="Messages per locked batch.")

    def handle(self, *args, **options):
        outcome = outbox_relay(batch_size=options["batch_size"])
        self.stdout.write(
            f"{outcome.sent} sent, {outcome.failed} failed, {outcome.pruned} pruned, {outcome.pending} still pending"
        )
