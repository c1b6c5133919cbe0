"""Measuring a finished run: AUC against the baselines, events until black-listed, false proposals, attacks."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from credit import params, policy
from credit.models import CreditEvent
from credit.scoring.inputs import build_inputs
from credit.scoring.model import score_subject
from credit.scoring.trust import trust_scores

from .baselines import BASELINES, auc, baseline_scores, baseline_series
from .world import (
    BAD_PROVIDER_KINDS,
    BAD_USER_KINDS,
    FLOOR,
    GOOD_SCORE,
    HONEST_PROVIDER_TYPES,
    HONEST_USER_TYPES,
    MONTH_DAYS,
    PROBE_BOOKING_KINDS,
    SIM_START,
    Actor,
    _summary,
)


class Measures:
    """Mixed into Simulation: everything computed once the run is over (the attributes are Simulation's)."""

    # --- measuring -------------------------------------------------------------------------------

    def score_at(self, key: str, day: int) -> int | None:
        """The latest nightly score at or before `day`."""
        rows = self.history.get(key, [])
        i = bisect_right(rows, (day, 10_000))
        return rows[i - 1][1] if i else None

    def population(self, side: str) -> list[Actor]:
        """The actors AUC is measured on: no scenario roles, no drift (they are measured on their own)."""
        actors = self.users if side == "user" else self.units[: self.config.providers]
        return [a for a in actors if a.role in {"", "retaliator"} and not a.drift]

    def ranked_population(self, side: str) -> list[Actor]:
        """The actors AUC is measured on (issue 18.9): no scenario roles, drifting actors included, each labelled
        by its hidden type at the moment measured (honest_at)."""
        actors = self.users if side == "user" else self.units[: self.config.providers]
        return [a for a in actors if a.role in {"", "retaliator"}]

    def honest_at(self, actor: Actor, day: int) -> bool:
        """Whether the actor was honest on `day`: its initial type before the drift, its new one after."""
        type_ = actor.type if actor.drift and day > self.config.drift_month * MONTH_DAYS else actor.initial_type
        return type_ in (HONEST_USER_TYPES if actor.side == "user" else HONEST_PROVIDER_TYPES)

    def auc_table(self) -> dict:
        out: dict = {}
        months = sorted({m for m in (1, 3, 6, 12) if m <= self.config.months} | {self.config.months})
        for name in ("model", *BASELINES):
            out[name] = {}
        for side in ("user", "unit", "all"):
            if side == "all":
                actors = self.ranked_population("user") + self.ranked_population("unit")
            else:
                actors = self.ranked_population(side)
            for month in months:
                day = month * MONTH_DAYS
                until = self._moment(day)
                honest: dict = {n: [] for n in out}
                dishonest: dict = {n: [] for n in out}
                for a in actors:
                    values = {"model": self.score_at(a.key, day)}
                    values.update(zip(BASELINES, baseline_scores(a.log, until), strict=True))
                    for name, value in values.items():
                        (honest if self.honest_at(a, day) else dishonest)[name].append(value)
                for name in out:
                    out[name].setdefault(side, {})[str(month)] = auc(honest[name], dishonest[name])
        return out

    def ranking_rows(self) -> dict[str, list[list]]:
        """Per month (1, 3, the last): one row per ranked actor, [honest then, model, *baselines], so a test can
        compute the AUC itself instead of trusting auc_table."""
        out = {}
        for month in sorted({m for m in (1, 3) if m <= self.config.months} | {self.config.months}):
            day = month * MONTH_DAYS
            until = self._moment(day)
            rows = []
            for a in self.ranked_population("user") + self.ranked_population("unit"):
                scores = [round(v, 2) for v in baseline_scores(a.log, until)]
                rows.append([self.honest_at(a, day), self.score_at(a.key, day), *scores])
            out[str(month)] = rows
        return out

    def events_until(self, actor: Actor, kinds: set[str], trust_by_day) -> dict:
        """Bad events until the actor is a black-list candidate / scores under the floor (model and baselines).

        The rules are evaluated as production's nightly run evaluates them: after every bad event and, once a
        warning is open, the night its notice (WARNING_NOTICE_DAYS) ends, if that comes before the next bad
        event. A third violation inside the notice is proposed when the notice ends, with the bad events so far;
        up to 2026.12-6 the probe evaluated only at bad events and counted the next one (issue 18.9)."""
        every_bad = [(entry[0], entry[1]) for entry in actor.log if entry[1] in kinds]
        bad = every_bad[: self.config.probe_limit]
        found: dict = {"candidate": None, "floor": None, **dict.fromkeys(BASELINES)}
        violations: list[policy.EventFact] = []
        severe: list[policy.EventFact] = []
        accidents: list[policy.EventFact] = []
        state: dict = {"warned_at": None, "notice_probed": False}

        def probe(n: int, as_of: datetime, *, floor: bool) -> None:
            day = int((as_of - SIM_START).total_seconds() // 86400)
            # The per-subject recompute's scoring (inputs aggregated from the ledger as of the moment, then the
            # model); reasons are not needed here and do not change the score.
            inputs = build_inputs([actor.key], as_of, trust_by_day(day))[actor.key]
            result = score_subject(inputs, timezone.localtime(as_of).date(), explain=False)
            window = as_of - timedelta(days=params.BLACK_VIOLATION_WINDOW_DAYS)
            # The rule is rate-based and warns first (issue 18.8): bookings are the actor's booking outcomes in
            # the window, and the warning is issued at the first probe that deserves one.
            outcomes = PROBE_BOOKING_KINDS[actor.side]
            facts = policy.ListFacts(
                subject_key=actor.key,
                score=result.score,
                capped=result.cap is not None,
                violations=tuple(v for v in violations if v.occurred_at > window),
                severe=tuple(severe),
                accidents=tuple(a for a in accidents if a.occurred_at > window),
                bookings=sum(1 for entry in actor.log if window < entry[0] <= as_of and entry[1] in outcomes),
                warned_at=state["warned_at"],
                as_of=as_of,
            )
            if state["warned_at"] is None and policy.warning_for(facts) is not None:
                state["warned_at"] = as_of
            if found["candidate"] is None and any(p.list_type == "black" for p in policy.proposals_for(facts)):
                found["candidate"] = n
            if floor and found["floor"] is None and result.score < FLOOR:
                found["floor"] = n

        def probe_notice_end(n: int, before: datetime) -> None:
            """The nightly run at the end of an open warning's notice, if it comes before `before`."""
            if state["warned_at"] is None or state["notice_probed"] or found["candidate"] is not None:
                return
            notice_end = state["warned_at"] + timedelta(days=params.WARNING_NOTICE_DAYS)
            if notice_end < before:
                state["notice_probed"] = True
                probe(n, notice_end, floor=False)

        for n, (moment, kind) in enumerate(bad, start=1):
            probe_notice_end(n - 1, moment)
            fact = policy.EventFact(n, kind, "", moment)
            serious = self._severity_of(actor, moment, kind) == params.BLACK_SEVERE_SEVERITY
            as_of = moment + timedelta(seconds=1)
            # Classified as credit.services.lists.list_entries_propose does: intentional serious, accidental
            # serious, else a violation.
            if kind in params.BLACK_SEVERE_KINDS and serious:
                severe.append(fact)
            elif kind in params.BLACK_ACCIDENT_KINDS and serious:
                accidents.append(fact)
            elif kind in params.BLACK_VIOLATION_KINDS:
                violations.append(fact)
            if found["floor"] is None or found["candidate"] is None:
                probe(n, as_of, floor=True)
            for name, value in zip(BASELINES, baseline_scores(actor.log, as_of), strict=True):
                if found[name] is None and value < FLOOR:
                    found[name] = n
        # A notice that ends after the last probed bad event, before the next one or the end of the run.
        following = (
            every_bad[len(bad)][0] if len(every_bad) > len(bad) else self._moment(self.config.months * MONTH_DAYS)
        )
        probe_notice_end(len(bad), following)
        return found

    def _severity_of(self, actor: Actor, moment: datetime, kind: str) -> str:
        return self.severities.get((actor.key, moment, kind), "")

    def figures(self) -> dict:
        c = self.config
        for actor in self.actors:  # statement facts are emitted ahead of their date (at the month's end)
            actor.log.sort(key=lambda entry: entry[0])  # stable: facts of one moment keep their order
        self.severities = {
            (row["subject_key"], row["occurred_at"], row["kind"]): row["severity"]
            or params.SEVERE_DEFAULT_SEVERITY.get(row["kind"], "")
            for row in CreditEvent.objects.filter(
                kind__in=params.BLACK_SEVERE_KINDS | params.BLACK_ACCIDENT_KINDS,
                subject_key__in=[a.key for a in self.actors],
            ).values("subject_key", "occurred_at", "kind", "severity")
        }
        trust_cache: dict[int, object] = {}

        def trust_by_day(day: int):
            period = day // c.recompute_days
            if period not in trust_cache:
                trust_cache[period] = trust_scores(self._moment(period * c.recompute_days))
            return trust_cache[period]

        end_day = c.months * MONTH_DAYS
        out: dict = {"auc": self.auc_table(), "ranking": self.ranking_rows()}
        # Events until black-listed, for actors bad from the start (decayers measured from their decay).
        groups = {
            "careless users": [u for u in self.users if u.initial_type == "careless" and u.role == "" and not u.drift],
            "malicious users": [u for u in self.users if u.initial_type == "malicious" and u.role == ""],
            "breaching providers": [u for u in self.population("unit") if u.type == "breacher"],
        }
        events = {}
        for name, actors in groups.items():
            kinds = BAD_PROVIDER_KINDS if name.endswith("providers") else BAD_USER_KINDS
            # Only actors with at least three bad events can show whether three were enough.
            evaluable = [a for a in actors if sum(1 for entry in a.log if entry[1] in kinds) >= 3]
            found = [self.events_until(a, kinds, trust_by_day) for a in evaluable]
            events[name] = {
                measure: _summary([f[measure] for f in found])
                | {
                    "within_3": round(sum(1 for f in found if (f[measure] or 99) <= 3) / len(found), 3)
                    if found
                    else None
                }
                for measure in ("candidate", "floor", *BASELINES)
            }
        out["events_until_blacklist"] = events
        # False black-list proposals among actors honest all along.
        honest = [a for a in self.population("user") + self.population("unit") if a.honest]
        false_model = sum(1 for a in honest if self.proposals.get(a.key))
        false_rule = defaultdict(int)
        for a in honest:
            for _day, rule in self.proposals.get(a.key, [])[:1]:
                false_rule[rule] += 1
        false_base = dict.fromkeys(BASELINES, 0)
        checkpoints = range(c.recompute_days, end_day + 1, c.recompute_days)
        moments = [self._moment(d) for d in checkpoints]
        for a in honest:
            series = baseline_series(a.log, moments)
            for index, name in enumerate(BASELINES):
                if any(values[index] < FLOOR for values in series):
                    false_base[name] += 1
        per_1000 = lambda n: round(1000 * n / len(honest), 2) if honest else None  # noqa: E731
        out["false_blacklist_per_1000_honest"] = {
            "honest_actors": len(honest),
            "model": per_1000(false_model),
            "model_by_rule": dict(false_rule),
            **{name: per_1000(false_base[name]) for name in BASELINES},
        }
        out["ring"] = self.ring_figures()
        out["recovery_months"] = self.recovery_figures()
        out["decay_detection_months"] = self.decay_figures()
        out["attacks"] = self.attack_figures(trust_by_day)
        out["trajectories"] = self.trajectories()
        out["payments"] = self.payment_figures()
        return out

    def ring_figures(self) -> dict:
        if not self.ring:
            return {}
        c = self.config
        start = c.ring_month * MONTH_DAYS
        out = {}
        for label, side in (("user", 0), ("unit", 1)):
            gains: dict = {name: [] for name in ("model", *BASELINES)}
            for day in range(start + c.recompute_days, c.months * MONTH_DAYS + 1, c.recompute_days):
                until = self._moment(day)
                for name in gains:
                    means = []
                    for group in (self.ring, self.control):
                        values = []
                        for pair in group:
                            actor = pair[side]
                            if name == "model":
                                values.append(self.score_at(actor.key, day))
                            else:
                                values.append(baseline_scores(actor.log, until)[BASELINES.index(name)])
                        means.append(float(np.mean(values)))
                    gains[name].append(means[0] - means[1])
            out[label] = {name: round(max(values), 1) for name, values in gains.items()}
        out["max"] = {name: max(out["user"][name], out["unit"][name]) for name in out["user"]}
        out["size"] = len(self.ring)
        return out

    def _months_to_good(self, actor: Actor, from_day: int, values_at) -> float | None:
        for day in range(from_day, self.config.months * MONTH_DAYS + 1, self.config.recompute_days):
            value = values_at(actor, day)
            if value is not None and value >= GOOD_SCORE:
                return round((day - from_day) / MONTH_DAYS, 2)
        return None

    def recovery_figures(self) -> dict:
        c = self.config
        drift_day = c.drift_month * MONTH_DAYS
        # Only those who had lost the "good" tier when they reformed have something to recover.
        reformed = [
            a for a in self.actors if a.drift == "reform" and (self.score_at(a.key, drift_day) or 0) < GOOD_SCORE
        ]
        out = {"actors": len(reformed), "observed_months": c.months - c.drift_month}
        measures = {
            "model": lambda a, d: self.score_at(a.key, d),
            **{
                name: (lambda a, d, i=i: baseline_scores(a.log, self._moment(d))[i]) for i, name in enumerate(BASELINES)
            },
        }
        for name, values_at in measures.items():
            months = [self._months_to_good(a, drift_day, values_at) for a in reformed]
            summary = _summary(months)
            summary["within_6"] = (
                round(sum(1 for m in months if m is not None and m <= 6) / len(months), 3) if months else None
            )
            out[name] = summary
        return out

    def decay_figures(self) -> dict:
        drift_day = self.config.drift_month * MONTH_DAYS
        decayed = [a for a in self.actors if a.drift == "decay"]
        months = []
        for a in decayed:
            later = [d for d, _rule in self.proposals.get(a.key, []) if d >= drift_day]
            months.append(round((later[0] - drift_day) / MONTH_DAYS, 2) if later else None)
        return {"actors": len(decayed), "until_black_proposal": _summary(months)}

    def attack_figures(self, trust_by_day) -> dict:
        c = self.config
        end_day = c.months * MONTH_DAYS
        out = {}
        # Retaliation: honest victims against honest users the retaliator never reviewed.
        honest_users = [u for u in self.population("user") if u.honest]
        victims = [u for u in honest_users if u.index in self.retaliation_victims]
        others = [u for u in honest_users if u.index not in self.retaliation_victims]
        if victims:
            out["retaliation"] = {
                "victims": len(victims),
                "victims_mean_score": round(float(np.mean([self.score_at(u.key, end_day) for u in victims])), 1),
                "others_mean_score": round(float(np.mean([self.score_at(u.key, end_day) for u in others])), 1),
                "victims_min_score": min(self.score_at(u.key, end_day) for u in victims),
                "victims_black_proposed": sum(1 for u in victims if self.proposals.get(u.key)),
                "retaliator_score": self.score_at(self.retaliator.key, end_day),
            }
        # Gamers against their twins: the same facts at other times.
        for role in ("gamer", "spreader"):
            pairs = self.twin_pairs[role]
            diffs = []
            for day in range(c.recompute_days, end_day + 1, c.recompute_days):
                diffs.extend(self.score_at(a.key, day) - self.score_at(b.key, day) for a, b in pairs)
            found = [
                (self.events_until(a, BAD_USER_KINDS, trust_by_day), self.events_until(b, BAD_USER_KINDS, trust_by_day))
                for a, b in pairs
            ]
            out[role] = {
                "pairs": len(pairs),
                "mean_score_gain_over_twin": round(float(np.mean(diffs)), 2),
                "max_score_gain_over_twin": max(diffs),
                "events_until_candidate": [f[0]["candidate"] for f in found],
                "twin_events_until_candidate": [f[1]["candidate"] for f in found],
                "black_proposed": sum(1 for a, _b in pairs if self.proposals.get(a.key)),
            }
        if self.reregistered:
            old, new, day = self.reregistered["old"], self.reregistered["new"], self.reregistered["day"]
            again = [d for d, _rule in self.proposals.get(new.key, [])]
            out["reregistration"] = {
                "old_score_when_leaving": self.score_at(old.key, day),
                "new_account_first_score": self.reregistered["first_score"],
                "new_account_first_tier": params.tier_for(self.reregistered["first_score"]),
                "months_until_new_account_proposed": round((again[0] - day) / MONTH_DAYS, 2) if again else None,
                "new_account_final_score": self.score_at(new.key, end_day),
            }
        return out

    def trajectories(self) -> dict:
        """Mean and 10th/90th percentile score per hidden type, at every nightly run."""
        c = self.config
        groups: dict[str, list[Actor]] = defaultdict(list)
        for a in self.users:
            if a.role == "" and not a.drift:
                groups[f"user {a.initial_type}"].append(a)
            elif a.drift:
                groups[f"user {a.initial_type} -> {a.type}"].append(a)
        for a in self.units[: c.providers]:
            if not a.drift:
                groups[f"provider {a.initial_type}"].append(a)
            else:
                groups[f"provider {a.initial_type} -> {a.type}"].append(a)
        for role in ("ring", "control"):
            groups[f"{role} member"] = [pair[0] for pair in getattr(self, role)]
        out = {}
        for name, actors in sorted(groups.items()):
            series = []
            for day in range(0, c.months * MONTH_DAYS + 1, c.recompute_days):
                values = [v for v in (self.score_at(a.key, day) for a in actors) if v is not None]
                if values:
                    series.append([day, round(float(np.mean(values)), 1),
                                   float(np.percentile(values, 10)), float(np.percentile(values, 90))])  # fmt: skip
            out[name] = {"actors": len(actors), "series": series}
        return out


# --- Targets (issue 8, item 4) ----------------------------------------------------------------------
