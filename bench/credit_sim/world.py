"""The simulated world: hidden types and their behaviour, the run's configuration, actors, ledger rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.utils import timezone

from credit import params
from credit.models import CreditEvent
from instruments.models import Unit

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
    fraud: bool = True  # False: nobody commits fraud (issue 18.9, the AUC "without fraud")
    real_share: float = 0.05  # share of ordinary bookings driven through the real booking services (RealBookings)

    def validate(self) -> None:
        if MONTH_DAYS % self.recompute_days:
            raise ValueError("recompute_days must divide 30 so month ends fall on a recompute")
        if self.users < 50 or self.providers < 10 or self.months < 2:
            raise ValueError("at least 50 users, 10 providers and 2 months")
        if not 0 <= self.real_share <= 1:
            raise ValueError("real_share is a share, from 0 to 1")


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
    log: list = field(default_factory=list)  # (moment, kind, polarity, stars or None, weight), sorted by moment

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
