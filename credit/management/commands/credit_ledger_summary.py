"""The ledger summary (PostgreSQL): fold what was appended, rebuild it from the ledger, or check it against it."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from credit.scoring import summary
from credit.scoring.ledger import groups_postgres
from instruments.models import Unit

CHECK_BATCH = 2000
TOLERANCE = 1e-9  # relative, on the decayed sums (the fold sums in another order than the ledger's statement)


def _same(found, expected) -> bool:
    def key(group):
        return (group.kind, group.polarity, group.severity)

    mine, theirs = sorted(found, key=key), sorted(expected, key=key)
    if [(*key(g), g.count, g.first_day, g.last_day) for g in mine] != [
        (*key(g), g.count, g.first_day, g.last_day) for g in theirs
    ]:
        return False
    for a, b in zip(mine, theirs, strict=True):
        for name in ("effective", "review_kept", "review_broken", "weight", "value_weight"):
            x, y = getattr(a, name), getattr(b, name)
            if abs(x - y) > TOLERANCE * max(1.0, abs(y)):
                return False
    return True


class Command(BaseCommand):
    help = "Fold the ledger summary (default), rebuild it (--rebuild), or compare it with the ledger (--check)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Rebuild every subject's rows from the ledger.")
        parser.add_argument("--check", action="store_true", help="Compare every subject's groups with the ledger's.")

    def handle(self, *args, **options):
        if not summary.installed():
            raise CommandError("this database keeps no ledger summary (PostgreSQL with credit's migrations only)")
        if options["rebuild"]:
            summary.rebuild()
            self.stdout.write("ledger summary rebuilt from the ledger")
        elif not options["check"]:
            if not summary.state_matches():
                raise CommandError("the summary was kept with other parameters: run with --rebuild")
            folded, rebuilt = summary.fold()
            self.stdout.write(f"ledger summary folded for {folded} subjects, {rebuilt} rebuilt from the ledger")
        if options["check"]:
            self._check()

    def _check(self) -> None:
        as_of = timezone.now()
        checked, wrong, stale_total = 0, [], 0
        for phase, model in (("unit", Unit), ("user", get_user_model())):
            ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(ids), CHECK_BATCH):
                chunk = ids[start : start + CHECK_BATCH]
                id_range = (phase, chunk[0], chunk[-1])
                try:
                    found, stale = summary.summary_groups([], as_of, id_range)
                except summary.SummaryUnavailableError as error:
                    raise CommandError("the summary was kept with other parameters: run with --rebuild") from error
                expected = groups_postgres([], as_of, id_range)
                stale_total += len(stale)
                for key in set(found) | set(expected):
                    if key in stale:
                        continue
                    checked += 1
                    if not _same(found.get(key, []), expected.get(key, [])):
                        wrong.append(key)
        self.stdout.write(f"{checked} subjects checked, {stale_total} left to the ledger, {len(wrong)} differ")
        if wrong:
            raise CommandError(f"the summary differs from the ledger for {', '.join(sorted(wrong)[:20])}")
