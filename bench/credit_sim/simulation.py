"""The simulated platform over time: population, bookings and their facts, the nightly runs, the old attacks."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model

from credit import params, services
from credit.models import CreditEvent, Endorsement, ListEntry
from credit.recompute import latest_snapshot_queryset, recompute_all
from credit.services.ledger import counts_as_positive
from instruments.models import Membership, Region, Unit
from instruments.validators import uscc_build

from .baselines import auc
from .measures import Measures
from .real_path import RealBookings
from .world import (
    BREACH_SEVERITY,
    DAMAGE_SEVERITY,
    HONEST_USER_TYPES,
    MONTH_DAYS,
    PAYER_MIX,
    PAYMENT_LATE_RATE,
    PROVIDER_BEHAVIOUR,
    PROVIDER_MIX,
    PROVIDER_STARS,
    REVIEW_RATE,
    SIM_START,
    STATEMENT_DUE_DAYS,
    USER_BEHAVIOUR,
    USER_MIX,
    USER_RATE,
    USER_STARS,
    Actor,
    K,
    S,
    SimConfig,
    ledger_row,
)


class Simulation(Measures):
    def __init__(self, config: SimConfig):
        config.validate()
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.actors: list[Actor] = []
        self.users: list[Actor] = []
        self.units: list[Actor] = []
        self.objects: dict[str, object] = {}  # key -> User or Unit
        self.pending: list[CreditEvent] = []
        self.scores: dict[str, int] = {}  # latest snapshot score per key (what review weights read)
        self.history: dict[str, list[tuple[int, int]]] = defaultdict(list)  # key -> [(day, score)]
        self.proposals: dict[str, list[tuple[int, str]]] = defaultdict(list)  # key -> [(day, rule)] (black)
        self.booking_seq = 0
        self.review_seq = 0
        self.incident_seq = 0
        self.ring: list[tuple[Actor, Actor]] = []
        self.control: list[tuple[Actor, Actor]] = []
        self.retaliator: Actor | None = None
        self.retaliation_victims: set[int] = set()
        self.reregistered: dict = {}
        self.twin_pairs: dict[str, list[tuple[Actor, Actor]]] = {"gamer": [], "spreader": []}
        self.timings: dict[str, float] = defaultdict(float)
        self.recompute_runs = 0
        self.pay_rng = np.random.default_rng(config.seed + 15)
        self.month_use: dict[tuple[int, int], int] = defaultdict(int)  # (paying unit, provider) -> services
        self.statement_seq = 0
        self.statements_settled = {"on_time": 0, "late": 0}
        # (subject, counterparty, kind) -> moments of the positive facts that counted (the counterparty cap).
        self.given: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
        self.real = RealBookings(self) if config.real_share > 0 else None

    # --- population -----------------------------------------------------------------------------

    def _moment(self, day: float) -> datetime:
        return SIM_START + timedelta(days=day)

    def _choice(self, table: dict[str, float]) -> str:
        names = list(table)
        return names[int(self.rng.choice(len(names), p=np.array(list(table.values())) / sum(table.values())))]

    def _new_units(self, count: int, *, status: str, joined_day: int) -> list[Unit]:
        region = Region.objects.get(code="310000")
        start = len(self.units) + 900_000_000 + self.config.seed * 10_000 % 90_000_000
        units = [
            Unit(
                name=f"模拟单位{start + i}",
                name_en=f"Simulated unit {start + i}",
                kind=Unit.Kind.UNIVERSITY,
                credit_code=uscc_build(f"12310000{start + i:09d}"),
                region=region,
                status=status,
                accreditations=["CNAS"] if status == Unit.Status.VERIFIED and self.rng.random() < 0.3 else [],
            )
            for i in range(count)
        ]
        return Unit.objects.bulk_create(units)

    def _new_users(self, count: int, *, joined_days: list[float], unit_pks: list[int]) -> list:
        user_model = get_user_model()
        base = len(self.users)
        users = user_model.objects.bulk_create(
            user_model(
                username=f"sim{self.config.seed}-{base + i}",
                email=f"sim{base + i}@example.org",
                password="!simulated-no-login",  # noqa: S106 - an unusable password marker, not a secret
                date_joined=self._moment(joined_days[i]),
            )
            for i in range(count)
        )
        Membership.objects.bulk_create(
            Membership(user=user, unit_id=unit_pk, role=Membership.Role.MEMBER)
            for user, unit_pk in zip(users, unit_pks, strict=True)
        )
        return users

    def _add_unit(self, unit: Unit, type_: str, role: str = "", joined_day: int = 0) -> Actor:
        actor = Actor(len(self.actors), "unit", type_, type_, role=role, pk=unit.pk, joined_day=joined_day)
        self.actors.append(actor)
        self.units.append(actor)
        self.objects[actor.key] = unit
        return actor

    def _add_user(self, user, type_: str, home: Actor, role: str = "", joined_day: int = 0) -> Actor:
        low, high = USER_RATE[type_]
        actor = Actor(
            len(self.actors), "user", type_, type_, role=role, pk=user.pk, home=home.index,
            rate=float(self.rng.uniform(low, high)), joined_day=joined_day,
        )  # fmt: skip
        self.actors.append(actor)
        self.users.append(actor)
        self.objects[actor.key] = user
        return actor

    def populate(self) -> None:
        c = self.config
        units = self._new_units(c.providers, status=Unit.Status.VERIFIED, joined_day=0)
        for unit in units:
            self._add_unit(unit, self._choice(PROVIDER_MIX))
        for actor in self.units:
            mix = PAYER_MIX[actor.type]
            names = list(mix)
            actor.payer = names[int(self.pay_rng.choice(len(names), p=np.array(list(mix.values()))))]
        # An honest endorsement graph between the platform's (verified) units, older than the run.
        edges = set()
        for actor in self.units:
            for other in self.rng.choice(len(self.units), size=2, replace=False):
                if int(other) != actor.index:
                    edges.add((actor.pk, self.units[int(other)].pk))
        Endorsement.objects.bulk_create(
            Endorsement(endorser_id=a, endorsed_id=b, created_at=self._moment(-60)) for a, b in sorted(edges)
        )
        types = [self._choice(USER_MIX) for _ in range(c.users)]
        homes = [self.units[int(i)] for i in self.rng.integers(0, len(self.units), c.users)]
        joined = [float(-self.rng.integers(0, 720)) for _ in range(c.users)]
        users = self._new_users(c.users, joined_days=joined, unit_pks=[h.pk for h in homes])
        for user, type_, home in zip(users, types, homes, strict=True):
            self._add_user(user, type_, home)
        # One breaching provider retaliates; it is busy (it draws a share of all bookings).
        breachers = [u for u in self.units if u.type == "breacher"] or [self.units[0]]
        self.retaliator = breachers[0]
        self.retaliator.type = self.retaliator.initial_type = "breacher"
        self.retaliator.role = "retaliator"
        # Twins: gamers (good only just before the nightly run) and spreaders, each with a plain twin.
        good_units = [u for u in self.units if u.type == "good"]
        for role in ("gamer", "spreader"):
            count = c.twins * 2
            twin_homes = [good_units[int(i)] for i in self.rng.integers(0, len(good_units), count)]
            made = self._new_users(count, joined_days=[-365.0] * count, unit_pks=[h.pk for h in twin_homes])
            for n in range(c.twins):
                a = self._add_user(made[2 * n], "careless", twin_homes[2 * n], role=role)
                b = self._add_user(made[2 * n + 1], "careless", twin_homes[2 * n + 1], role=f"{role}_twin")
                b.rate = a.rate
                self.twin_pairs[role].append((a, b))

    # --- facts -----------------------------------------------------------------------------------

    def emit(self, actor: Actor, kind: str, moment: datetime, *, ref: str, source: str, counterparty: Actor,
             value=None, severity: str = "", author: Actor | None = None) -> None:  # fmt: skip
        reviewer_score = self.scores.get(author.key) if author is not None else None
        weight = params.review_weight(reviewer_score) if kind == K.REVIEW_RECEIVED else 1
        details = {"simulated": True, "ref": ref}
        if weight and self._capped(actor.key, counterparty.key, kind, value, moment):
            weight, details = 0, {**details, "counterparty_cap": True}
        row = ledger_row(
            subject=self.objects[actor.key], kind=kind, source=source, occurred_at=moment, source_ref=ref,
            value=value, severity=severity, counterparty_key=counterparty.key, weight=weight, details=details,
        )  # fmt: skip
        self.pending.append(row)
        actor.log.append((moment, kind, row.polarity, value, float(weight)))

    def _capped(self, key: str, counterparty_key: str, kind: str, value, moment: datetime) -> bool:
        """What credit_event_record does (issue 18.3): a counterparty's positive facts of one kind about a subject
        count up to params.COUNTERPARTY_CAP_FACTS within the window; the next ones weigh 0."""
        if not counts_as_positive(kind, value):
            return False
        moments = self.given[(key, counterparty_key, kind)]
        since = moment - timedelta(days=params.COUNTERPARTY_CAP_WINDOW_DAYS)
        if sum(1 for m in moments if since < m <= moment) >= params.COUNTERPARTY_CAP_FACTS:
            return True
        moments.append(moment)
        return False

    def review(self, subject: Actor, author: Actor, stars: int, moment: datetime) -> None:
        self.review_seq += 1
        ref = f"review:sim{self.review_seq}"
        self.emit(subject, K.REVIEW_RECEIVED, moment, ref=ref, source=S.REVIEW, counterparty=author, value=stars,
                  author=author)  # fmt: skip
        self.emit(author, K.REVIEW_GIVEN, moment, ref=ref, source=S.REVIEW, counterparty=subject)

    def _stars(self, table) -> int:
        return int(self.rng.choice(5, p=table)) + 1

    def _severity(self, table) -> str:
        names = [n for n, _p in table]
        return names[int(self.rng.choice(len(names), p=[p for _n, p in table]))]

    def draw_user_outcome(self, type_: str) -> dict:
        b = USER_BEHAVIOUR[type_]
        r = self.rng.random(8)
        outcome = {"late_cancel": r[0] < b["late_cancel"], "no_show": r[1] < b["no_show"]}
        outcome.update(
            late=r[2] < b["late"], overrun=r[3] < b["overrun"], damage=r[4] < b["damage"],
            misuse=r[5] < b["misuse"], fraud=self.config.fraud and r[6] < b["fraud"],
            review=r[7] < REVIEW_RATE["provider"],
            stars=self._stars(USER_STARS[type_]),
            damage_severity=self._severity(DAMAGE_SEVERITY["honest" if type_ in HONEST_USER_TYPES else "dishonest"]),
        )  # fmt: skip
        return outcome

    def booking(self, user: Actor, provider: Actor, moment: datetime, outcome: dict | None = None) -> None:
        """One booking from request to reviews: the facts bookings would report, in order (a sample of them
        through the real booking services instead: RealBookings)."""
        if self.real is not None and self.real.wants(user, provider):
            self.real.booking(user, provider, moment, outcome)
            return
        self.booking_seq += 1
        ref = f"booking:sim{self.booking_seq}"
        pb = PROVIDER_BEHAVIOUR[provider.type]
        r = self.rng.random(8)
        answer = K.RESPONSE_LATE if r[0] < pb["late_answer"] else K.APPROVED_ON_TIME
        self.emit(provider, answer, moment, ref=ref, source=S.BOOKING, counterparty=user)
        if r[1] < pb["refuse"]:
            kind = K.REFUSAL_UNJUSTIFIED if r[2] < pb["unjustified"] else K.REFUSAL_JUSTIFIED
            self.emit(provider, kind, moment, ref=ref, source=S.BOOKING, counterparty=user)
            return
        start = moment + timedelta(days=2)
        if r[3] < pb["cancel"]:
            self.emit(provider, K.PROVIDER_CANCELLATION, start, ref=ref, source=S.BOOKING, counterparty=user)
            return
        o = outcome or self.draw_user_outcome(user.type)
        if o["late_cancel"]:
            self.emit(user, K.LATE_CANCELLATION, start - timedelta(hours=6), ref=ref, source=S.BOOKING,
                      counterparty=provider)  # fmt: skip
            return
        if o["no_show"]:
            self.emit(user, K.NO_SHOW, start + timedelta(hours=1), ref=ref, source=S.BOOKING, counterparty=provider)
            return
        check_in = K.LATE_CHECK_IN if o["late"] else K.PUNCTUAL_CHECK_IN
        self.emit(user, check_in, start, ref=ref, source=S.BOOKING, counterparty=provider)
        done = start + timedelta(hours=4)
        fault = r[4] < pb["fault"]
        if fault:
            self.incident_seq += 1
            self.emit(provider, K.INSTRUMENT_FAULT, done, ref=f"incident:sim{self.incident_seq}", source=S.INCIDENT,
                      counterparty=user, severity="minor")  # fmt: skip
        self.emit(user, K.BOOKING_FULFILLED, done, ref=ref, source=S.BOOKING, counterparty=provider)
        self.emit(provider, K.SERVICE_DELIVERED, done, ref=ref, source=S.BOOKING, counterparty=user)
        if user.home >= 0 and user.home != provider.index:
            self.month_use[(user.home, provider.index)] += 1
        if o["overrun"]:
            self.emit(user, K.USAGE_OVERRUN, done, ref=ref, source=S.BOOKING, counterparty=provider)
        incident_at = done + timedelta(days=2)
        for flag, kind, severity in (
            ("damage", K.DAMAGE_CONFIRMED, o["damage_severity"]),
            ("misuse", K.MISUSE_CONFIRMED, "minor"),
            ("fraud", K.FRAUD_CONFIRMED, "serious"),
        ):
            if o[flag]:
                self.incident_seq += 1
                self.emit(user, kind, incident_at, ref=f"incident:sim{self.incident_seq}", source=S.INCIDENT,
                          counterparty=provider, severity=severity)  # fmt: skip
        breach = r[5] < pb["breach"]
        if breach:
            self.incident_seq += 1
            self.emit(provider, K.BREACH_CONFIRMED, incident_at, ref=f"incident:sim{self.incident_seq}",
                      source=S.INCIDENT, counterparty=user, severity=self._severity(BREACH_SEVERITY))  # fmt: skip
        if r[6] < pb["data_late"]:
            self.emit(provider, K.DATA_DELIVERED_LATE, done + timedelta(days=1), ref=ref, source=S.BOOKING,
                      counterparty=user)  # fmt: skip
        review_at = done + timedelta(days=1)
        user_stars = None
        if r[7] < REVIEW_RATE["user"]:
            if user.type == "malicious" and self.rng.random() < 0.5:
                user_stars = 1  # fake review: a one-star for a provider that did nothing wrong
            else:
                user_stars = self._stars(PROVIDER_STARS[provider.type])
                if fault or breach:
                    user_stars = min(user_stars, 2)
            self.review(provider, user, user_stars, review_at)
        if provider.role == "retaliator" and user_stars is not None and user_stars <= 3:
            self.retaliation_victims.add(user.index)
            self.review(user, provider, 1, review_at + timedelta(days=1))
        elif o["review"]:
            stars = o["stars"]
            if o["damage"] or o["misuse"] or o["fraud"]:
                stars = 1
            elif o["overrun"]:
                stars = min(stars, 3)
            self.review(user, provider, stars, review_at + timedelta(days=1))

    def pick_provider(self, user: Actor) -> Actor:
        if self.rng.random() < 0.05 and self.retaliator is not None:
            return self.retaliator
        while True:
            provider = self.units[int(self.rng.integers(0, self.config.providers))]
            if provider.index != user.home:
                return provider

    # --- attacks ---------------------------------------------------------------------------------

    def register_ring(self, day: int) -> None:
        """A ring of fresh accounts (each a new unit with one person) and as many fresh control accounts."""
        n = self.config.ring_size
        for role, target in (("ring", self.ring), ("control", self.control)):
            units = self._new_units(n, status=Unit.Status.PENDING, joined_day=day)
            users = self._new_users(n, joined_days=[float(day)] * n, unit_pks=[u.pk for u in units])
            for unit, user in zip(units, users, strict=True):
                unit_actor = self._add_unit(unit, "good", role=role, joined_day=day)
                user_actor = self._add_user(user, "reliable", unit_actor, role=role, joined_day=day)
                user_actor.active = False  # they do nothing but the attack
                target.append((user_actor, unit_actor))
        # New accounts are scored by a run as of their sign-up (the nightly run would, a few hours later).
        self.nightly(day, record=False)

    def ring_attack(self, day: int) -> None:
        """Every ring unit endorses every other; every member reviews every other member's unit five stars."""
        moment = self._moment(day + 0.5)
        endorsements = []
        for i, (_user_a, unit_a) in enumerate(self.ring):
            for j, (user_b, unit_b) in enumerate(self.ring):
                if i == j:
                    continue
                endorsements.append(Endorsement(endorser_id=unit_a.pk, endorsed_id=unit_b.pk, created_at=moment))
                self.review(unit_b, self.ring[i][0], 5, moment)  # member i praises unit j
                self.review(user_b, unit_a, 5, moment)  # unit i praises member j
        created = Endorsement.objects.bulk_create(endorsements)
        for endorsement in created:
            endorsed = next(u for _p, u in self.ring if u.pk == endorsement.endorsed_id)
            endorser = next(u for _p, u in self.ring if u.pk == endorsement.endorser_id)
            self.emit(endorsed, K.ENDORSEMENT_RECEIVED, moment, ref=f"endorsement:{endorsement.pk}",
                      source=S.ENDORSEMENT, counterparty=endorser)  # fmt: skip

    def reregister(self, day: int) -> None:
        """The first malicious user proposed for the black list opens a new account in the same unit."""
        listed = [u for u in self.users if u.initial_type == "malicious" and u.role == "" and self.proposals[u.key]]
        if not listed:
            return
        old = min(listed, key=lambda a: (self.proposals[a.key][0][0], a.index))
        home = self.actors[old.home]
        (user,) = self._new_users(1, joined_days=[float(day)], unit_pks=[home.pk])
        new = self._add_user(user, "malicious", home, role="reregistered", joined_day=day)
        new.rate = old.rate
        old.active = False
        self.nightly(day, record=False)
        self.reregistered = {"old": old, "new": new, "day": day, "first_score": self.scores[new.key]}

    # --- time --------------------------------------------------------------------------------------

    def simulate_day(self, day: int) -> None:
        c = self.config
        period_end = (day // c.recompute_days + 1) * c.recompute_days
        eligible = [u for u in self.users if u.active and u.joined_day <= day and u.role in {"", "reregistered"}]
        rates = np.array([u.rate for u in eligible]) / MONTH_DAYS
        draws = self.rng.random(len(eligible)) < rates
        for actor, books in zip(eligible, draws, strict=True):
            if books:
                self.booking(actor, self.pick_provider(actor), self._moment(day + 0.375))
        for gamer, twin in self.twin_pairs["gamer"]:
            # The gamer behaves well on the last day before the nightly run, carelessly otherwise;
            # its twin makes the same bookings with the same outcomes on a random day of the period.
            if day == period_end - 3:  # its facts (check-in, fulfilment) land on the last day
                outcome = self.draw_user_outcome("reliable")
                books = True
            else:
                outcome = self.draw_user_outcome("careless")
                books = self.rng.random() < gamer.rate / MONTH_DAYS
            if books:
                provider = self.pick_good_provider()
                self.booking(gamer, provider, self._moment(day + 0.375), outcome)
                twin_day = int(self.rng.integers(period_end - c.recompute_days, period_end))
                self.booking(twin, provider, self._moment(twin_day + 0.375), outcome)
        for spreader, twin in self.twin_pairs["spreader"]:
            # Same outcomes; the spreader goes to a different provider every time, the twin to one.
            if self.rng.random() < spreader.rate / MONTH_DAYS:
                outcome = self.draw_user_outcome("careless")
                self.booking(spreader, self.pick_good_provider(), self._moment(day + 0.375), outcome)
                self.booking(twin, self.favourite_provider(twin), self._moment(day + 0.375), outcome)

    def settle_month(self, day: int) -> None:
        """Month end: one statement per (paying unit, provider) with services this month, paid on time or
        late by the payer's trait; the fact lands when billing would record it (payment, or the overdue sweep)."""
        issued = self._moment(day + 1)
        for (payer_index, provider_index), _services in sorted(self.month_use.items()):
            payer, provider = self.actors[payer_index], self.actors[provider_index]
            if payer.role:
                continue
            self.statement_seq += 1
            late = self.pay_rng.random() < PAYMENT_LATE_RATE[payer.payer or "prompt"]
            days = STATEMENT_DUE_DAYS + 1 if late else int(self.pay_rng.integers(3, STATEMENT_DUE_DAYS))
            kind = K.PAYMENT_LATE if late else K.PAYMENT_ON_TIME
            self.emit(payer, kind, issued + timedelta(days=days), ref=f"statement:{self.statement_seq}",
                      source=S.STATEMENT, counterparty=provider)  # fmt: skip
            self.statements_settled["late" if late else "on_time"] += 1
        self.month_use.clear()

    def payment_figures(self) -> dict:
        """Do late payers score lower? AUC prompt vs slow or defaulting payers among units (month 3, last)."""
        units = [u for u in self.units[: self.config.providers] if u.role in {"", "retaliator"}]
        out: dict = {"statements": dict(self.statements_settled), "payers": {}}
        for trait in ("prompt", "slow", "defaulting"):
            members = [u for u in units if u.payer == trait]
            end = [self.score_at(u.key, self.config.months * MONTH_DAYS) for u in members]
            end = [v for v in end if v is not None]
            out["payers"][trait] = {"units": len(members), "mean_score": round(sum(end) / len(end), 1) if end else None}
        for month in sorted({3, self.config.months}):
            day = month * MONTH_DAYS
            prompt = [self.score_at(u.key, day) for u in units if u.payer == "prompt"]
            late = [self.score_at(u.key, day) for u in units if u.payer in {"slow", "defaulting"}]
            out.setdefault("auc_prompt_vs_late", {})[str(month)] = auc(
                [v for v in prompt if v is not None], [v for v in late if v is not None]
            )
        return out

    def pick_good_provider(self) -> Actor:
        good = [u for u in self.units[: self.config.providers] if u.type == "good" and u.role == ""]
        return good[int(self.rng.integers(0, len(good)))]

    def favourite_provider(self, actor: Actor) -> Actor:
        good = [u for u in self.units[: self.config.providers] if u.type == "good" and u.role == ""]
        return good[actor.index % len(good)]

    def drift(self) -> None:
        """Some careless users and breaching providers reform; some honest ones decay."""
        c = self.config
        base_users = [u for u in self.users if u.role == ""]
        base_units = [u for u in self.units[: c.providers] if u.role == ""]
        for population, bad, good in ((base_users, "careless", "reliable"), (base_units, "breacher", "good")):
            for actor in population:
                roll = self.rng.random()
                if actor.type == bad and roll < c.reform_share:
                    actor.type, actor.drift = good, "reform"
                elif actor.type == good and roll < c.decay_share:
                    actor.type, actor.drift = bad, "decay"
                    if actor.side == "user":
                        actor.rate = max(actor.rate, float(np.mean(USER_RATE[bad])))

    def flush(self) -> None:
        started = time.monotonic()
        if self.pending:
            CreditEvent.objects.bulk_create(self.pending, batch_size=2000)
            self.pending = []
        self.timings["write"] += time.monotonic() - started

    def nightly(self, day: int, *, record: bool = True) -> None:
        """The nightly run at the end of `day - 1`: full recompute, then list proposals, as of that moment.

        record=False: an extra run for accounts that just signed up (no proposals, no trajectory point).
        """
        as_of = self._moment(day)
        self.flush()
        started = time.monotonic()
        recompute_all(as_of=as_of)
        self.recompute_runs += 1
        self.timings["recompute"] += time.monotonic() - started
        if not record:
            self._read_scores(day, record=False)
            return
        started = time.monotonic()
        for entry in services.list_entries_propose(as_of=as_of):
            if entry.list_type == ListEntry.List.BLACK:
                self.proposals[entry.subject_key].append((day, entry.rule))
        self.timings["propose"] += time.monotonic() - started
        self._read_scores(day, record=True)

    def _read_scores(self, day: int, *, record: bool) -> None:
        wanted = {a.key for a in self.actors}
        for key, score in latest_snapshot_queryset().values_list("subject_key", "score"):
            if key in wanted:
                self.scores[key] = score
                if record:
                    self.history[key].append((day, score))

    def run(self) -> dict:
        c = self.config
        started = time.monotonic()
        self.populate()
        self.nightly(0)
        ring_day = c.ring_month * MONTH_DAYS
        drift_day = c.drift_month * MONTH_DAYS
        for day in range(c.months * MONTH_DAYS):
            if day == ring_day and c.ring_size:
                self.register_ring(day)
                self.ring_attack(day)
            if day == drift_day:
                self.drift()
            if day == ring_day + MONTH_DAYS and not self.reregistered:
                self.reregister(day)
            self.simulate_day(day)
            if (day + 1) % MONTH_DAYS == 0:
                self.settle_month(day)
            if (day + 1) % c.recompute_days == 0:
                self.nightly(day + 1)
        started_probe = time.monotonic()
        figures = self.figures()
        self.timings["figures"] = time.monotonic() - started_probe
        self.timings["total"] = time.monotonic() - started
        return figures
