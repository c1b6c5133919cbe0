"""Run the credit simulator (bench/credit_sim) on the real credit code and print or save its figures."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Simulate a platform with known honest and dishonest actors over N months, score it with the real "
        "credit code, and report AUC, events until black-listed, false proposals, ring gain and recovery "
        "against three baselines. Everything is rolled back at the end unless --keep. With --seeds: the "
        "held-out evaluation (each seed with and without fraud, mean and 95%% interval, the production attacks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--seeds", help="Comma-separated held-out seeds, e.g. 7,42,2026,11,101: the evaluation.")
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--providers", type=int, default=200)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--recompute-days", type=int, default=10, help="Days between nightly runs (divides 30).")
        parser.add_argument("--real-share", type=float, default=0.05,
                            help="Share of bookings driven through the real booking services.")  # fmt: skip
        parser.add_argument("--no-fraud", action="store_true", help="Nobody commits fraud.")
        parser.add_argument("--attacks", action="store_true", help="Also replay the production attacks (one run).")
        parser.add_argument("--json", dest="json_path", help="Write the full result (figures, targets) here.")
        parser.add_argument("--markdown", help="With --seeds: write the evaluation's markdown tables here.")
        parser.add_argument("--charts", help="Write SVG charts of score trajectories into this directory.")
        parser.add_argument("--keep", action="store_true", help="Commit the simulated data instead of rolling back.")

    def handle(self, *args, **options):
        from bench.credit_sim import SimConfig, run_simulation, write_charts
        from bench.credit_sim.evaluate import evaluate, markdown

        config = SimConfig(
            seed=options["seed"],
            users=options["users"],
            providers=options["providers"],
            months=options["months"],
            recompute_days=options["recompute_days"],
            real_share=options["real_share"],
            fraud=not options["no_fraud"],
        )
        try:
            config.validate()
            seeds = [int(s) for s in options["seeds"].split(",")] if options["seeds"] else None
        except ValueError as error:
            raise CommandError(str(error)) from error
        if seeds:
            try:
                evaluation = evaluate(config, seeds, progress=lambda text: self.stderr.write(text))
            except ValueError as error:
                raise CommandError(str(error)) from error
            if options["json_path"]:
                Path(options["json_path"]).write_text(json.dumps(evaluation, indent=2, default=str), encoding="utf-8")
            text = markdown(evaluation)
            if options["markdown"]:
                Path(options["markdown"]).write_text(text, encoding="utf-8")
            self.stdout.write(text)
            return
        result = run_simulation(config, keep=options["keep"], attacks=options["attacks"])
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        if options["charts"]:
            for path in write_charts(result, Path(options["charts"])):
                self.stdout.write(f"chart: {path}")
        summary = {key: value for key, value in result.items() if key != "figures"}
        hidden = {"trajectories", "ranking"}
        summary["figures"] = {key: value for key, value in result["figures"].items() if key not in hidden}
        self.stdout.write(json.dumps(summary, indent=2, default=str))
