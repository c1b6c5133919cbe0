"""Does the credit model work? A simulated platform with known honest and dishonest actors.

    python manage.py simulate_credit --seed 1 --users 2000 --providers 200 --months 12 --json out.json

The simulator runs the REAL credit code on a synthetic platform:

- facts become ledger rows exactly as `credit.services.credit_event_record` writes them (same
  subject key, polarity, weight - reviews weighted by the author's latest score through
  `params.review_weight` - severity, source, source_ref, counterparty), in bulk for speed
  (`ledger_row` builds the row; tests/credit/test_simulation.py checks it matches the service);
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
same unit. Baselines on the same ledger: the plain mean of stars, and a plain beta reputation over
all events (no decay, no dimensions, no propagation), both mapped onto 350..950 the same way.

Everything runs inside one transaction that is rolled back at the end (unless keep=True), so the
database is left as it was. Simulated time starts at SIM_START (a fixed future date: ledger rows
carry the real recording time, which must not be later than any as_of). Deterministic for a seed.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from credit import params, policy, services
from credit.models import CreditEvent, Endorsement, ListEntry
from credit.recompute import latest_snapshot_queryset, recompute_all
from credit.scoring.inputs import build_inputs
from credit.scoring.model import score_subject
from credit.scoring.trust import trust_scores
from instruments.models import Membership, Region, Unit
from instruments.validators import uscc_build

K = CreditEvent.Kind
S = CreditEvent.Source
MONTH_DAYS = 30
SIM_START = timezone.make_aware(datetime(2030, 1, 7))  # noqa: DTZ001 - made aware in the project time zone  # a Monday, local time (Asia/Shanghai)
GOOD_SCORE = params.TIERS[1][1]  # "good" tier floor
FLOOR = params.BLACK_SCORE_FLOOR
HONEST_USER_TYPES = {"reliable", "late"}
HONEST_PROVIDER_TYPES = {"good"}

# Share of each hidden type.
USER_MIX = {"reliable": 0.68, "late": 0.17, "careless": 0.10, "malicious": 0.05}
PROVIDER_MIX = {"good": 0.80, "refuser": 0.10, "breacher": 0.10}
# Bookings per month (a draw between the bounds, per user).
USER_RATE = {"reliable": (0.8, 3.5), "late": (0.8, 3.5), "careless": (1.0, 4.0), "malicious": (1.5, 4.0)}
# Per booking, the probability of each outcome on the user's side.
USER_BEHAVIOUR = {
    "reliable": {"late_cancel": 0.004, "no_show": 0.002, "late": 0.03, "overrun": 0.002, "damage": 0.002,
                 "misuse": 0.0, "fraud": 0.0},
    "late": {"late_cancel": 0.006, "no_show": 0.003, "late": 0.30, "overrun": 0.003, "damage": 0.002,
             "misuse": 0.0, "fraud": 0.0},
    "careless": {"late_cancel": 0.10, "no_show": 0.14, "late": 0.35, "overrun": 0.10, "damage": 0.08,
                 "misuse": 0.04, "fraud": 0.0},
    "malicious": {"late_cancel": 0.05, "no_show": 0.08, "late": 0.15, "overrun": 0.05, "damage": 0.03,
                  "misuse": 0.08, "fraud": 0.12},
}  # fmt: skip
# Stars a provider gives a user after an uneventful completed booking (J-shaped, as on marketplaces).
USER_STARS = {
    "reliable": (0.0, 0.0, 0.03, 0.12, 0.85),
    "late": (0.0, 0.02, 0.10, 0.30, 0.58),
    "careless": (0.02, 0.08, 0.20, 0.30, 0.40),
    "malicious": (0.0, 0.05, 0.15, 0.30, 0.50),  # polite in person
}
PROVIDER_BEHAVIOUR = {
    "good": {"refuse": 0.03, "unjustified": 0.0, "late_answer": 0.05, "cancel": 0.008, "fault": 0.008,
             "data_late": 0.02, "breach": 0.0},
    "refuser": {"refuse": 0.30, "unjustified": 0.6, "late_answer": 0.30, "cancel": 0.05, "fault": 0.02,
                "data_late": 0.05, "breach": 0.0},
    "breacher": {"refuse": 0.05, "unjustified": 0.2, "late_answer": 0.15, "cancel": 0.10, "fault": 0.07,
                 "data_late": 0.20, "breach": 0.06},
}  # fmt: skip
PROVIDER_STARS = {
    "good": (0.0, 0.01, 0.04, 0.20, 0.75),
    "refuser": (0.02, 0.08, 0.25, 0.35, 0.30),
    "breacher": (0.05, 0.15, 0.25, 0.30, 0.25),
}
REVIEW_RATE = {"user": 0.6, "provider": 0.5}  # chance each side reviews a completed booking
# Severity of a confirmed damage: honest users' accidents are mostly minor.
DAMAGE_SEVERITY = {
    "honest": (("minor", 0.70), ("general", 0.28), ("serious", 0.02)),
    "dishonest": (("minor", 0.25), ("general", 0.60), ("serious", 0.15)),
}
BREACH_SEVERITY = (("general", 0.7), ("serious", 0.3))
# Paying units: the share of each payer trait by the unit's provider type, and per statement the chance
# it is paid late. Payment draws use their own random stream, so they change no other draw of a seed.
PAYER_MIX = {
    "good": {"prompt": 0.88, "slow": 0.10, "defaulting": 0.02},
    "refuser": {"prompt": 0.70, "slow": 0.20, "defaulting": 0.10},
    "breacher": {"prompt": 0.50, "slow": 0.30, "defaulting": 0.20},
}
PAYMENT_LATE_RATE = {"prompt": 0.03, "slow": 0.35, "defaulting": 0.80}
STATEMENT_DUE_DAYS = 30
BAD_USER_KINDS = {
    K.NO_SHOW, K.LATE_CANCELLATION, K.USAGE_OVERRUN, K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED, K.FRAUD_CONFIRMED,
}  # fmt: skip
BAD_PROVIDER_KINDS = {K.REFUSAL_UNJUSTIFIED, K.PROVIDER_CANCELLATION, K.INSTRUMENT_FAULT, K.BREACH_CONFIRMED}
# One of these per booking and side: what the "events until" probe counts as the actor's bookings.
PROBE_BOOKING_KINDS = {
    "user": {K.BOOKING_FULFILLED, K.NO_SHOW, K.LATE_CANCELLATION},
    "unit": {K.APPROVED_ON_TIME, K.RESPONSE_LATE},
}


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    users: int = 2000
    providers: int = 200
    months: int = 12
    recompute_days: int = 10  # the "nightly" full recompute and proposal run, every N simulated days
    drift_month: int = 3
    ring_size: int = 20
    ring_month: int = 1  # the ring registers at the end of this month
    reform_share: float = 0.3
    decay_share: float = 0.02
    twins: int = 6  # pairs of gamer/twin and spreader/twin
    probe_limit: int = 8  # bad events probed per actor for "events until"

    def validate(self) -> None:
        if MONTH_DAYS % self.recompute_days:
            raise ValueError("recompute_days must divide 30 so month ends fall on a recompute")
        if self.users < 50 or self.providers < 10 or self.months < 2:
            raise ValueError("at least 50 users, 10 providers and 2 months")


@dataclass
class Actor:
    index: int
    side: str  # "user" | "unit"
    type: str  # hidden type now
    initial_type: str
    role: str = ""  # "", ring, control, gamer, gamer_twin, spreader, spreader_twin, reregistered, retaliator
    pk: int = 0
    home: int = -1  # users: index of their unit actor
    rate: float = 0.0
    joined_day: int = 0
    drift: str = ""  # "" | reform | decay
    payer: str = ""  # units: prompt | slow | defaulting
    active: bool = True
    log: list = field(default_factory=list)  # (moment, kind, polarity, stars or None), in order

    @property
    def key(self) -> str:
        return f"{self.side}:{self.pk}"

    @property
    def honest(self) -> bool:
        return self.type in (HONEST_USER_TYPES if self.side == "user" else HONEST_PROVIDER_TYPES)


def ledger_row(
    *,
    subject,
    kind: str,
    source: str,
    occurred_at: datetime,
    source_ref: str = "",
    polarity: int | None = None,
    weight=None,
    value=None,
    severity: str = "",
    counterparty_key: str = "",
    details: dict | None = None,
    reviewer_score: int | None = None,
) -> CreditEvent:
    """The row credit_event_record would write for this fact (reviews: weighted by the author's latest score)."""
    if weight is None:
        weight = params.review_weight(reviewer_score) if kind == K.REVIEW_RECEIVED else 1
    is_unit = isinstance(subject, Unit)
    return CreditEvent(
        subject_user=None if is_unit else subject,
        subject_unit=subject if is_unit else None,
        subject_key=f"{'unit' if is_unit else 'user'}:{subject.pk}",
        kind=kind,
        polarity=params.default_polarity(kind) if polarity is None else polarity,
        weight=Decimal(str(weight)),
        value=None if value is None else Decimal(str(value)),
        severity=severity,
        source=source,
        source_ref=source_ref,
        counterparty_key=counterparty_key,
        details=details or {},
        occurred_at=occurred_at,
    )  # fmt: skip


# --- Figures ------------------------------------------------------------------------------------


def auc(honest: list[float], dishonest: list[float]) -> float | None:
    """P(an honest actor scores above a dishonest one), ties counting half (Mann-Whitney)."""
    if not honest or not dishonest:
        return None
    values = sorted([(v, 1) for v in honest] + [(v, 0) for v in dishonest])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1][0] == values[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, (_v, label) in zip(ranks, values, strict=True) if label == 1)
    n1, n0 = len(honest), len(dishonest)
    return round((rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0), 4)


def baseline_scores(log: list, until: datetime) -> tuple[float, float]:
    """(mean stars, plain beta) over the actor's events up to `until`, mapped onto 350..950 like the model."""
    stars_sum = stars_n = 0.0
    kept = broken = 0.0
    for moment, kind, polarity, stars in log:
        if moment > until:
            break
        if kind == K.REVIEW_RECEIVED:
            stars_sum += stars
            stars_n += 1
            share = (stars - 1) / 4
            kept += share
            broken += 1 - share
        elif polarity > 0:
            kept += 1
        elif polarity < 0:
            broken += 1
    mean_stars = (stars_sum / stars_n - 1) / 4 if stars_n else 0.5
    beta = (kept + 1) / (kept + broken + 2)
    return (
        params.SCORE_MIN + params.SCORE_SPAN * mean_stars,
        params.SCORE_MIN + params.SCORE_SPAN * beta,
    )


def baseline_series(log: list, moments: list[datetime]) -> list[tuple[float, float]]:
    """baseline_scores at each of the (ascending) moments, in one pass over the log."""
    out = []
    stars_sum = stars_n = kept = broken = 0.0
    i = 0
    for until in moments:
        while i < len(log) and log[i][0] <= until:
            _moment, kind, polarity, stars = log[i]
            if kind == K.REVIEW_RECEIVED:
                stars_sum += stars
                stars_n += 1
                kept += (stars - 1) / 4
                broken += 1 - (stars - 1) / 4
            elif polarity > 0:
                kept += 1
            elif polarity < 0:
                broken += 1
            i += 1
        mean_stars = (stars_sum / stars_n - 1) / 4 if stars_n else 0.5
        out.append(
            (
                params.SCORE_MIN + params.SCORE_SPAN * mean_stars,
                params.SCORE_MIN + params.SCORE_SPAN * (kept + 1) / (kept + broken + 2),
            )
        )
    return out


def _summary(values: list[float | None]) -> dict:
    """Median, 90th percentile (None - never reached - counts as infinitely late) and how many never did."""
    reached = sorted(v for v in values if v is not None)
    ordered = reached + [math.inf] * (len(values) - len(reached))
    out: dict = {"n": len(values), "never": len(values) - len(reached)}
    if ordered:
        median = float(np.median(ordered))
        p90 = float(np.percentile(ordered, 90, method="higher"))
        out["median"] = median if math.isfinite(median) else None
        out["p90"] = p90 if math.isfinite(p90) else None
    return out


# --- The simulation ------------------------------------------------------------------------------


class Simulation:
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
        row = ledger_row(
            subject=self.objects[actor.key], kind=kind, source=source, occurred_at=moment, source_ref=ref,
            value=value, severity=severity, counterparty_key=counterparty.key, reviewer_score=reviewer_score,
            details={"simulated": True, "ref": ref},
        )  # fmt: skip
        self.pending.append(row)
        actor.log.append((moment, kind, row.polarity, value))

    def review(self, subject: Actor, author: Actor, stars: int, moment: datetime) -> None:
        self.review_seq += 1
        ref = f"review:{self.review_seq}"
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
            misuse=r[5] < b["misuse"], fraud=r[6] < b["fraud"], review=r[7] < REVIEW_RATE["provider"],
            stars=self._stars(USER_STARS[type_]),
            damage_severity=self._severity(DAMAGE_SEVERITY["honest" if type_ in HONEST_USER_TYPES else "dishonest"]),
        )  # fmt: skip
        return outcome

    def booking(self, user: Actor, provider: Actor, moment: datetime, outcome: dict | None = None) -> None:
        """One booking from request to reviews: the facts bookings would report, in order."""
        self.booking_seq += 1
        ref = f"booking:{self.booking_seq}"
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
            self.emit(provider, K.INSTRUMENT_FAULT, done, ref=f"incident:{self.incident_seq}", source=S.INCIDENT,
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
                self.emit(user, kind, incident_at, ref=f"incident:{self.incident_seq}", source=S.INCIDENT,
                          counterparty=provider, severity=severity)  # fmt: skip
        breach = r[5] < pb["breach"]
        if breach:
            self.incident_seq += 1
            self.emit(provider, K.BREACH_CONFIRMED, incident_at, ref=f"incident:{self.incident_seq}",
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

    def auc_table(self) -> dict:
        out = {}
        months = sorted({m for m in (1, 3, 6, 12) if m <= self.config.months} | {self.config.months})
        for name in ("model", "average_stars", "plain_beta"):
            out[name] = {}
        for side in ("user", "unit", "all"):
            actors = self.population("user") + self.population("unit") if side == "all" else self.population(side)
            for month in months:
                day = month * MONTH_DAYS
                until = self._moment(day)
                honest = {n: [] for n in out}
                dishonest = {n: [] for n in out}
                for a in actors:
                    stars, beta = baseline_scores(a.log, until)
                    values = {"model": self.score_at(a.key, day), "average_stars": stars, "plain_beta": beta}
                    for name, value in values.items():
                        (honest if a.honest else dishonest)[name].append(value)
                for name in out:
                    out[name].setdefault(side, {})[str(month)] = auc(honest[name], dishonest[name])
        return out

    def events_until(self, actor: Actor, kinds: set[str], trust_by_day) -> dict:
        """Bad events until the actor is a black-list candidate / scores under the floor (model and baselines)."""
        bad = [(moment, kind) for moment, kind, _p, _v in actor.log if kind in kinds][: self.config.probe_limit]
        found = {"candidate": None, "floor": None, "average_stars": None, "plain_beta": None}
        violations: list[policy.EventFact] = []
        severe: list[policy.EventFact] = []
        warned_at = None
        for n, (moment, kind) in enumerate(bad, start=1):
            fact = policy.EventFact(n, kind, "", moment)
            if kind in params.BLACK_VIOLATION_KINDS:
                violations.append(fact)
            as_of = moment + timedelta(seconds=1)
            if (
                kind in params.BLACK_SEVERE_KINDS
                and self._severity_of(actor, moment, kind) == params.BLACK_SEVERE_SEVERITY
            ):
                severe.append(fact)
            if found["floor"] is None or found["candidate"] is None:
                day = int((moment - SIM_START).total_seconds() // 86400)
                # The per-subject recompute's scoring (inputs aggregated from the ledger as of the moment,
                # then the model); reasons are not needed here and do not change the score.
                inputs = build_inputs([actor.key], as_of, trust_by_day(day))[actor.key]
                result = score_subject(inputs, timezone.localtime(as_of).date(), explain=False)
                window = as_of - timedelta(days=params.BLACK_VIOLATION_WINDOW_DAYS)
                # The rule is rate-based and warns first (issue 18.8): bookings are the actor's booking outcomes
                # in the window, and the warning is issued at the first probe that deserves one.
                outcomes = PROBE_BOOKING_KINDS[actor.side]
                facts = policy.ListFacts(
                    subject_key=actor.key,
                    score=result.score,
                    violations=tuple(v for v in violations if v.occurred_at > window),
                    severe=tuple(severe),
                    bookings=sum(1 for m, k, _p, _v in actor.log if window < m <= as_of and k in outcomes),
                    warned_at=warned_at,
                    as_of=as_of,
                )
                if warned_at is None and policy.warning_for(facts) is not None:
                    warned_at = as_of
                if found["candidate"] is None and any(p.list_type == "black" for p in policy.proposals_for(facts)):
                    found["candidate"] = n
                if found["floor"] is None and result.score < FLOOR:
                    found["floor"] = n
            stars, beta = baseline_scores(actor.log, as_of)
            if found["average_stars"] is None and stars < FLOOR:
                found["average_stars"] = n
            if found["plain_beta"] is None and beta < FLOOR:
                found["plain_beta"] = n
        return found

    def _severity_of(self, actor: Actor, moment: datetime, kind: str) -> str:
        return self.severities.get((actor.key, moment, kind), "")

    def figures(self) -> dict:
        c = self.config
        for actor in self.actors:  # statement facts are emitted ahead of their date (at the month's end)
            actor.log.sort(key=lambda entry: entry[0])
        self.severities = {
            (row["subject_key"], row["occurred_at"], row["kind"]): row["severity"]
            or params.SEVERE_DEFAULT_SEVERITY.get(row["kind"], "")
            for row in CreditEvent.objects.filter(
                kind__in=params.BLACK_SEVERE_KINDS, subject_key__in=[a.key for a in self.actors]
            ).values("subject_key", "occurred_at", "kind", "severity")
        }
        trust_cache: dict[int, object] = {}

        def trust_by_day(day: int):
            period = day // c.recompute_days
            if period not in trust_cache:
                trust_cache[period] = trust_scores(self._moment(period * c.recompute_days))
            return trust_cache[period]

        end_day = c.months * MONTH_DAYS
        out: dict = {"auc": self.auc_table()}
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
            evaluable = [a for a in actors if sum(1 for _m, k, _p, _v in a.log if k in kinds) >= 3]
            found = [self.events_until(a, kinds, trust_by_day) for a in evaluable]
            events[name] = {
                measure: _summary([f[measure] for f in found])
                | {
                    "within_3": round(sum(1 for f in found if (f[measure] or 99) <= 3) / len(found), 3)
                    if found
                    else None
                }
                for measure in ("candidate", "floor", "average_stars", "plain_beta")
            }
        out["events_until_blacklist"] = events
        # False black-list proposals among actors honest all along.
        honest = [a for a in self.population("user") + self.population("unit") if a.honest]
        false_model = sum(1 for a in honest if self.proposals.get(a.key))
        false_rule = defaultdict(int)
        for a in honest:
            for _day, rule in self.proposals.get(a.key, [])[:1]:
                false_rule[rule] += 1
        false_base = {"average_stars": 0, "plain_beta": 0}
        checkpoints = range(c.recompute_days, end_day + 1, c.recompute_days)
        moments = [self._moment(d) for d in checkpoints]
        for a in honest:
            series = baseline_series(a.log, moments)
            for name, index in (("average_stars", 0), ("plain_beta", 1)):
                if any(values[index] < FLOOR for values in series):
                    false_base[name] += 1
        per_1000 = lambda n: round(1000 * n / len(honest), 2) if honest else None  # noqa: E731
        out["false_blacklist_per_1000_honest"] = {
            "honest_actors": len(honest),
            "model": per_1000(false_model),
            "model_by_rule": dict(false_rule),
            "average_stars": per_1000(false_base["average_stars"]),
            "plain_beta": per_1000(false_base["plain_beta"]),
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
            gains = {"model": [], "average_stars": [], "plain_beta": []}
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
                                values.append(baseline_scores(actor.log, until)[0 if name == "average_stars" else 1])
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
            "average_stars": lambda a, d: baseline_scores(a.log, self._moment(d))[0],
            "plain_beta": lambda a, d: baseline_scores(a.log, self._moment(d))[1],
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


def targets(figures: dict, months: int) -> dict:
    at3 = figures["auc"]
    model3 = at3["model"]["all"].get("3")
    base3 = max(at3["average_stars"]["all"].get("3") or 0, at3["plain_beta"]["all"].get("3") or 0)
    careless = figures["events_until_blacklist"]["careless users"]["candidate"]
    false_rate = figures["false_blacklist_per_1000_honest"]["model"]
    ring = figures["ring"].get("max", {}).get("model")
    recovery = figures["recovery_months"]["model"]
    return {
        "auc_3_months": {"target": ">= 0.95 and above both baselines", "value": model3, "baselines_best": base3,
                         "met": model3 is not None and model3 >= 0.95 and model3 > base3},
        "careless_within_3_bad_events": {"target": "median <= 3", "value": careless.get("median"),
                                         "share_within_3": careless.get("within_3"),
                                         "met": careless.get("median") is not None and careless["median"] <= 3},
        "false_blacklist_per_1000": {"target": "< 1", "value": false_rate,
                                     "met": false_rate is not None and false_rate < 1},
        "ring_gain": {"target": "< 20 points", "value": ring, "met": ring is not None and ring < 20},
        "reformed_good_within_6_months": {"target": "median <= 6 months", "value": recovery.get("median"),
                                          "share_within_6": recovery.get("within_6"),
                                          "met": recovery.get("median") is not None and recovery["median"] <= 6},
    }  # fmt: skip


def run_simulation(config: SimConfig, *, keep: bool = False) -> dict:
    """Run inside one transaction (rolled back unless keep) and return figures, targets and timings."""
    sim = Simulation(config)
    with transaction.atomic():
        figures = sim.run()
        counts = {
            "actors": len(sim.actors),
            "ledger_events": CreditEvent.objects.filter(subject_key__in=[a.key for a in sim.actors]).count(),
            "bookings": sim.booking_seq,
            "nightly_runs": sim.recompute_runs,
        }
        if not keep:
            transaction.set_rollback(True)
    return {
        "config": asdict(config),
        "model_version": params.MODEL_VERSION,
        "counts": counts,
        "figures": figures,
        "targets": targets(figures, config.months),
        "timings_seconds": {k: round(v, 1) for k, v in sim.timings.items()},
    }


# --- Charts (plain SVG, no plotting library) ------------------------------------------------------------

PALETTE = ["#1b9e77", "#66a61e", "#d95f02", "#e7298a", "#7570b3", "#a6761d", "#666666", "#e6ab02", "#1f78b4",
           "#b15928", "#6a3d9a", "#33a02c"]  # fmt: skip


def svg_chart(series: dict[str, list], title: str, months: int) -> str:
    """Mean score per group over simulated days, with the tier floors as dashed lines."""
    width, height, left, right, top, bottom = 760, 420, 56, 230, 36, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    y_min, y_max = 450, 900
    days = months * MONTH_DAYS

    def x(day):
        return left + plot_w * day / days

    def y(score):
        return top + plot_h * (1 - (min(max(score, y_min), y_max) - y_min) / (y_max - y_min))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">{title}</text>',
    ]
    parts.extend(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(floor):.1f}" y2="{y(floor):.1f}" stroke="#bbb" '
        f'stroke-dasharray="4 4"/><text x="{left + 4}" y="{y(floor) - 3:.1f}" fill="#888" '
        f'font-size="10">{name} {floor}</text>'
        for name, floor in params.TIERS[:-1]
    )
    parts.extend(
        f'<text x="{left - 6}" y="{y(score) + 4:.1f}" text-anchor="end">{score}</text>'
        for score in range(y_min, y_max + 1, 50)
    )
    parts.extend(
        f'<text x="{x(month * MONTH_DAYS):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{month}</text>'
        for month in range(0, months + 1, max(1, months // 12))
    )
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">simulated month</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>')
    for i, (name, points) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{'M' if n == 0 else 'L'}{x(p[0]):.1f},{y(p[1]):.1f}" for n, p in enumerate(points))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = top + 14 + 18 * i
        parts.append(
            f'<line x1="{left + plot_w + 12}" x2="{left + plot_w + 32}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="3"/><text x="{left + plot_w + 38}" y="{ly}">{name}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_charts(result: dict, directory: Path) -> list[Path]:
    trajectories = result["figures"]["trajectories"]
    months = result["config"]["months"]
    written = []
    for prefix, title, filename in (
        ("user", "Mean credit score of users by hidden type", "credit-sim-users.svg"),
        ("provider", "Mean credit score of providers by hidden type", "credit-sim-providers.svg"),
        ("", "Ring of fresh accounts against fresh controls (users)", "credit-sim-ring.svg"),
    ):
        if prefix:
            chosen = {k: v["series"] for k, v in trajectories.items() if k.startswith(prefix + " ") and v["actors"]}
        else:
            chosen = {k: v["series"] for k, v in trajectories.items() if k in {"ring member", "control member"}}
        if not chosen:
            continue
        path = directory / filename
        path.write_text(svg_chart(chosen, title, months), encoding="utf-8")
        written.append(path)
    return written
