"""Recompute credit scores without Celery (same code as the tasks), then propose list entries."""

from django.core.management.base import BaseCommand, CommandError

from credit import services
from credit.recompute import recompute_all, recompute_subject


class Command(BaseCommand):
    help = "Recompute credit scores for all subjects (or one with --subject user:12 / unit:3) and propose list entries."

    def add_arguments(self, parser):
        parser.add_argument("--subject", help='One subject, "user:<id>" or "unit:<id>".')
        parser.add_argument("--no-proposals", action="store_true", help="Do not propose red or black list entries.")

    def handle(self, *args, **options):
        subject = options.get("subject")
        if subject:
            kind, _sep, pk = subject.partition(":")
            if kind not in {"user", "unit"} or not pk.isdigit():
                raise CommandError('--subject must look like "user:12" or "unit:3"')
            snapshot = recompute_subject(subject)
            if snapshot is None:
                raise CommandError(f"no such subject: {subject}")
            self.stdout.write(f"{subject}: {snapshot.score} ({snapshot.tier})")
            keys = [subject]
        else:
            outcome = recompute_all()
            if outcome.status == "already_running":
                raise CommandError("a full recompute is already running")
            self.stdout.write(
                f"run {outcome.run_id}: {outcome.subjects} subjects, {outcome.snapshots_written} new snapshots"
            )
            keys = None
        if not options["no_proposals"]:
            proposed = services.list_entries_propose(subject_keys=keys)
            self.stdout.write(f"{len(proposed)} list entries proposed")
