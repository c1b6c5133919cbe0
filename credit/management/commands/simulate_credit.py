"""Run the credit simulator (bench/credit_sim.py) on the real credit code and print or save its figures."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Simulate a platform with known honest and dishonest actors over N months, score it with the real "
        "credit code, and report AUC, events until black-listed, false proposals, ring gain and recovery "
        "against two baselines. Everything is rolled back at the end unless --keep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--providers", type=int, default=200)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--recompute-days", type=int, default=10, help="Days between nightly runs (divides 30).")
        parser.add_argument("--json", dest="json_path", help="Write the full result (figures, targets) here.")
        parser.add_argument("--charts", help="Write SVG charts of score trajectories into this directory.")
        parser.add_argument("--keep", action="store_true", help="Commit the simulated data instead of rolling back.")

    def handle(self, *args, **options):
        from bench.credit_sim import SimConfig, run_simulation, write_charts

        config = SimConfig(
            seed=options["seed"],
            users=options["users"],
            providers=options["providers"],
            months=options["months"],
            recompute_days=options["recompute_days"],
        )
        try:
            config.validate()
        except ValueError as error:
            raise CommandError(str(error)) from error
        result = run_simulation(config, keep=options["keep"])
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        if options["charts"]:
            for path in write_charts(result, Path(options["charts"])):
                self.stdout.write(f"chart: {path}")
        summary = {key: value for key, value in result.items() if key != "figures"}
        summary["figures"] = {key: value for key, value in result["figures"].items() if key != "trajectories"}
        self.stdout.write(json.dumps(summary, indent=2, default=str))
