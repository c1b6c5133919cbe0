"""Does the credit model work? A simulated platform with known honest and dishonest actors.

    python manage.py simulate_credit --seed 1 --users 2000 --providers 200 --months 12 --json out.json
    python manage.py simulate_credit --seeds 7,42,2026,11,101 --users 400 --providers 40 --recompute-days 30

(the second: the held-out evaluation of issue 18.9, mean and 95% interval over the seeds, a markdown table).

The simulator runs the REAL credit code on a synthetic platform:

- facts become ledger rows exactly as `credit.services.credit_event_record` writes them (same
  subject key, polarity, weight - reviews weighted by the author's latest score through
  `params.review_weight` - severity, source, source_ref, counterparty, the counterparty cap), in bulk for
  speed (`ledger_row` builds the row; tests/credit/test_simulation.py checks it matches the service);
- a sample of ordinary bookings (`SimConfig.real_share`, 5% by default) goes through the REAL booking
  services instead (request, approval or refusal, check-in and out, no-show, cancellations, incidents
  and their confirmation or an admin's decision, reviews: `real_path.RealBookings`), so who may assert
  which fact, and what the services refuse, is exercised; the facts they record join the actors' logs;
- scores come from `credit.recompute.recompute_all(as_of=...)` every `recompute_days` simulated
  days (the nightly run, set-based, writing real snapshots), list entries from
  `credit.services.list_entries_propose(as_of=...)` right after (the nightly proposal run);
- event-by-event figures ("how many bad events until black-listed") score the subject right after
  each of its bad events with `build_inputs` + `score_subject` (the scoring of the per-subject
  recompute that runs on commit after every event) and ask `credit.policy.proposals_for`.

Hidden types: users are reliable, occasionally late, careless (no-shows, damage) or malicious
(fraud, fake reviews); providers serve well, refuse arbitrarily or breach. Units also pay for what
their members use (billing, issue 15): each unit is a prompt, slow or defaulting payer, and at each
month's end every unit that used another's instruments settles one statement per provider, on time
(payment_on_time) or late (payment_late), as billing records them (source "statement"). At `drift_month` some
careless users and breaching providers reform and some honest ones decay. Attacks: a ring of fresh
accounts that endorse and review each other (against fresh control accounts), a provider that
retaliates with one-star reviews, careless users who spread bookings over many providers (against
twins who stay with one), users who behave well only just before the nightly recompute (against
twins with the same bookings at random times), and a black-listed user who re-registers in the
same unit. The production attacks of issue 18 are replayed through the real services (`attacks.py`).
Baselines on the same ledger: the plain mean of stars, a plain beta reputation over all events, and the
same beta with the model's per-kind weights (no decay, no dimensions, no caps, no propagation), all
mapped onto 350..950 the same way (`baselines.py`). Several seeds: `evaluate.py`.

Modules: world (types, config, actors, ledger rows), simulation (the run), real_path (bookings through
the services), measures (figures), baselines, attacks, run (one run and its targets), evaluate (seeds),
charts.

Everything runs inside one transaction that is rolled back at the end (unless keep=True), so the
database is left as it was. Simulated time starts at SIM_START (a fixed future date: ledger rows
carry the real recording time, which must not be later than any as_of). Deterministic for a seed.
"""

from .baselines import auc, baseline_scores
from .charts import write_charts
from .run import run_simulation, targets
from .simulation import Simulation
from .world import SIM_START, SimConfig, ledger_row

__all__ = [
    "SIM_START",
    "SimConfig",
    "Simulation",
    "auc",
    "baseline_scores",
    "ledger_row",
    "run_simulation",
    "targets",
    "write_charts",
]
