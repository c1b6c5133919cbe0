"""A sample of the simulated bookings driven through the REAL booking services (issue 18.9).

For a share of ordinary bookings (SimConfig.real_share) the simulator does not write ledger rows: the
requester asks for a slot (`booking_create`), the provider's manager approves or refuses it on time or
late, cancels it, records a no-show, people check in and out, the parties report incidents that the other
side confirms or a platform admin decides (fraud), and both sides review each other, each with the
simulated moment as `now`. Whatever the services record (and only that) joins the actors' logs, so who
may assert which fact, which refusals count as justified, what the counterparty cap and the self-dealing
rule keep out, and which requests the services refuse (credit standing, a black-list entry) are all
exercised. The draws are the same as for a booking written as rows (Simulation.booking).

One thing the simulator does that production does not: a booking's `created_at` (set by the database to
the real time) is moved to the simulated moment of the request, so "answered within 48 hours" is judged
in simulated time.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Max

from bookings import services as bookings
from bookings.models import Booking, BookingState, Incident
from credit.models import CreditEvent
from credit.services.ledger import counts_as_positive
from instruments.models import Instrument, InstrumentCategory, Membership
from sharing_platform.errors import DomainError

from .world import PROVIDER_BEHAVIOUR, PROVIDER_STARS, REVIEW_RATE, Actor, K, S

SLOT_HOURS = 4
FIRST_HOUR, LAST_HOUR = 8, 18  # a slot starts between these local hours and ends the same day


class RealBookings:
    def __init__(self, sim):
        self.sim = sim
        self.rng = np.random.default_rng(sim.config.seed + 29)  # which bookings: its own stream
        self.instruments: dict[int, Instrument] = {}  # provider actor index -> its instrument
        self.managers: dict[int, object] = {}
        self.admin = None
        self.slots: set[tuple[int, int, int]] = set()  # (instrument, day, hour) taken
        self.driven = 0
        self.refused_by_services: Counter = Counter()
        self.facts: Counter = Counter()
        self.by_key: dict[str, Actor] = {}

    def wants(self, user: Actor, provider: Actor) -> bool:
        """Ordinary users at the platform's providers (not the scenario roles) are sampled."""
        if user.role != "" or provider.role not in {"", "retaliator"}:
            return False
        return bool(self.rng.random() < self.sim.config.real_share)

    # --- the provider's side of the platform ---------------------------------------------------------

    def _instrument(self, provider: Actor) -> tuple[Instrument, object]:
        if provider.index not in self.instruments:
            unit = self.sim.objects[provider.key]
            user_model = get_user_model()
            manager = user_model.objects.create(
                username=f"sim{self.sim.config.seed}-manager-{provider.index}",
                email=f"manager{provider.index}@example.org",
                password="!simulated-no-login",  # noqa: S106 - an unusable password marker, not a secret
            )
            Membership.objects.create(user=manager, unit=unit, role=Membership.Role.MANAGER)
            self.instruments[provider.index] = Instrument.objects.create(
                unit=unit,
                category=InstrumentCategory.objects.order_by("pk").first(),
                asset_number=f"SIM{provider.index:06d}",
                name=f"模拟仪器 {provider.index}",
                name_en=f"Simulated instrument {provider.index}",
                model_number="SIM",
                manufacturer="Sim",
                country_of_origin="China",
                original_value=Decimal("1000000.00"),
                location="Simulated",
                hourly_rate_internal=Decimal("100.00"),
                hourly_rate_external=Decimal("200.00"),
                deposit=Decimal("0.00"),
            )
            self.managers[provider.index] = manager
        return self.instruments[provider.index], self.managers[provider.index]

    def _admin(self):
        if self.admin is None:
            self.admin = get_user_model().objects.create(
                username=f"sim{self.sim.config.seed}-admin",
                is_staff=True,
                password="!simulated-no-login",  # noqa: S106
            )
        return self.admin

    def _slot(self, instrument: Instrument, moment: datetime) -> tuple[datetime, datetime]:
        """Three days after the request, the first free slot of the day (or the next day's)."""
        base = self.sim._moment(int((moment - self.sim._moment(0)).total_seconds() // 86400) + 3)
        day = 0
        while True:
            for hour in range(FIRST_HOUR, LAST_HOUR - SLOT_HOURS + 1, SLOT_HOURS):
                key = (instrument.pk, int(base.timestamp() // 86400) + day, hour)
                if key not in self.slots:
                    self.slots.add(key)
                    start = base + timedelta(days=day, hours=hour)
                    return start, start + timedelta(hours=SLOT_HOURS)
            day += 1

    # --- one booking ---------------------------------------------------------------------------------------

    def booking(self, user: Actor, provider: Actor, moment: datetime, outcome: dict | None) -> None:
        sim = self.sim
        sim.flush()  # the services count what the ledger holds (the counterparty cap): write what is pending
        sim.booking_seq += 1
        self.driven += 1
        last_id = CreditEvent.objects.aggregate(last=Max("id"))["last"] or 0
        pb = PROVIDER_BEHAVIOUR[provider.type]
        r = sim.rng.random(8)
        o = outcome or sim.draw_user_outcome(user.type)
        try:
            self._steps(user, provider, moment, pb, r, o)
        except DomainError as error:
            self.refused_by_services[type(error).__name__ + ": " + str(error)[:80]] += 1
        self._collect(last_id)

    def _steps(self, user: Actor, provider: Actor, moment: datetime, pb: dict, r, o: dict) -> None:
        sim = self.sim
        instrument, manager = self._instrument(provider)
        person = sim.objects[user.key]
        start, end = self._slot(instrument, moment)
        booking = bookings.booking_create(
            instrument=instrument, requester=person, start=start, end=end, purpose="Simulated", now=moment
        )
        Booking.objects.filter(pk=booking.pk).update(created_at=moment)  # simulated time (see the docstring)
        answer_at = moment + (timedelta(hours=49) if r[0] < pb["late_answer"] else timedelta(hours=2))
        if booking.state == BookingState.REQUESTED:
            if r[1] < pb["refuse"]:
                bookings.booking_refuse(booking_id=booking.pk, actor=manager, reason="Not this time.", now=answer_at)
                return
            bookings.booking_approve(booking_id=booking.pk, actor=manager, now=answer_at)
        if r[3] < pb["cancel"]:
            bookings.booking_cancel(booking_id=booking.pk, actor=manager, reason="Instrument needed.",
                                    now=start - timedelta(days=1))  # fmt: skip
            return
        if o["late_cancel"]:
            bookings.booking_cancel(booking_id=booking.pk, actor=person, reason="Plans changed.",
                                    now=start - timedelta(hours=6))  # fmt: skip
            return
        if o["no_show"]:
            bookings.booking_record_no_show(booking_id=booking.pk, actor=manager, now=start + timedelta(hours=1))
            return
        check_in = start + timedelta(minutes=40 if o["late"] else 0)
        bookings.booking_check_in(booking_id=booking.pk, actor=person, now=check_in)
        fault = r[4] < pb["fault"]
        if fault:
            self._incident(booking, reporter=person, confirmer=manager, kind=Incident.Kind.DAMAGE, severity="minor",
                           now=check_in + timedelta(minutes=5))  # fmt: skip
        done = check_in + timedelta(hours=1) if o["overrun"] else end
        bookings.booking_check_out(booking_id=booking.pk, actor=person, now=done)
        if user.home >= 0 and user.home != provider.index:
            sim.month_use[(user.home, provider.index)] += 1
        incident_at = done + timedelta(days=2)
        for flag, kind, severity in (
            ("damage", Incident.Kind.DAMAGE, o["damage_severity"]),
            ("misuse", Incident.Kind.MISUSE, "minor"),
            ("fraud", Incident.Kind.FRAUD, "serious"),
        ):
            if o[flag]:
                self._incident(booking, reporter=manager, confirmer=person, kind=kind, severity=severity,
                               now=incident_at)  # fmt: skip
        breach = r[5] < pb["breach"]
        if breach:
            self._incident(booking, reporter=person, confirmer=manager, kind=Incident.Kind.MISUSE,
                           severity=sim._severity((("general", 0.7), ("serious", 0.3))), now=incident_at)  # fmt: skip
        if r[6] < pb["data_late"]:  # no service records late data yet: written as a row, as today
            sim.emit(provider, K.DATA_DELIVERED_LATE, done + timedelta(days=1), ref=f"booking:real-{booking.pk}",
                     source=S.BOOKING, counterparty=user)  # fmt: skip
        review_at = done + timedelta(days=1)
        user_stars = None
        if r[7] < REVIEW_RATE["user"]:
            if user.type == "malicious" and sim.rng.random() < 0.5:
                user_stars = 1
            else:
                user_stars = sim._stars(PROVIDER_STARS[provider.type])
                if fault or breach:
                    user_stars = min(user_stars, 2)
            bookings.review_create(booking_id=booking.pk, author=person, stars=user_stars, now=review_at)
        if provider.role == "retaliator" and user_stars is not None and user_stars <= 3:
            sim.retaliation_victims.add(user.index)
            bookings.review_create(booking_id=booking.pk, author=manager, stars=1, now=review_at + timedelta(days=1))
        elif o["review"]:
            stars = o["stars"]
            if o["damage"] or o["misuse"] or o["fraud"]:
                stars = 1
            elif o["overrun"]:
                stars = min(stars, 3)
            bookings.review_create(
                booking_id=booking.pk, author=manager, stars=stars, now=review_at + timedelta(days=1)
            )

    def _incident(self, booking, *, reporter, confirmer, kind: str, severity: str, now: datetime) -> None:
        incident = bookings.incident_report(
            booking_id=booking.pk, reporter=reporter, kind=kind, severity=severity, description="Simulated."
        )
        if kind == Incident.Kind.FRAUD:  # decided by a platform admin, as a dispute
            bookings.dispute_decide(dispute_id=incident.dispute.pk, actor=self._admin(), decision="upheld",
                                    reason="Evidence holds.", now=now)  # fmt: skip
        else:
            bookings.incident_confirm(incident_id=incident.pk, actor=confirmer, now=now)

    # --- what the services recorded joins the logs ------------------------------------------------------------

    def _collect(self, last_id: int) -> None:
        sim = self.sim
        if not self.by_key:
            self.by_key = {a.key: a for a in sim.actors}
        rows = CreditEvent.objects.filter(id__gt=last_id).values_list(
            "subject_key", "counterparty_key", "kind", "polarity", "value", "weight", "occurred_at"
        )
        for key, counterparty_key, kind, polarity, value, weight, occurred_at in rows:
            self.facts[kind] += 1
            actor = self.by_key.get(key)
            if actor is None:
                continue
            stars = float(value) if value is not None else None
            actor.log.append((occurred_at, kind, polarity, stars, float(weight)))
            if weight and counts_as_positive(kind, value):
                sim.given[(key, counterparty_key, kind)].append(occurred_at)

    def figures(self) -> dict:
        return {
            "bookings": self.driven,
            "refused_by_services": dict(self.refused_by_services.most_common()),
            "facts_recorded": dict(sorted(self.facts.items())),
        }
