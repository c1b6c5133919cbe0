"""Incidents after a use: damage and misuse reported by the provider, admitted or contested, disputes decided."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from bookings import services as booking_services
from bookings.models import Booking, BookingState, Dispute, Incident

from .texts import CONTESTS, DISPUTE_DISMISSED, DISPUTE_UPHELD, INCIDENTS
from .timeline import Person, Provider, Timeline


class IncidentHistory(Timeline):
    def _maybe_incident(self, booking: Booking, person: Person, provider: Provider, finished: datetime) -> None:
        rng = self.rng
        chance = 0.0 if person.exemplary else {"reliable": 0.004, "careless": 0.06, "dishonest": 0.2}[person.kind]
        # The first two dishonest users past the first months damage an instrument seriously and admit it.
        serious = person.kind == "dishonest" and self.serious < 2 and finished > self.start + timedelta(days=60)
        if rng.random() >= chance and not serious:
            return
        kind, severity, loss, text = INCIDENTS[self.summary.incidents % len(INCIDENTS)]
        if severity == "serious" and person.kind == "reliable":
            kind, severity, loss, text = INCIDENTS[1]
        contest = rng.random() < (0.3 if person.kind == "reliable" else 0.45)
        if serious:
            self.serious += 1
            kind, severity, loss, text = INCIDENTS[4]  # capped below 550 for a year, listed at once
            contest = False

        def report() -> None:
            incident = booking_services.incident_report(
                booking_id=booking.pk, reporter=provider.admin, kind=kind, severity=severity,
                description=text, estimated_loss=Decimal(loss),
            )  # fmt: skip
            self.summary.incidents += 1
            answer = self.clock.now() + timedelta(hours=rng.uniform(5, 70))
            if contest:
                self.at(answer, lambda: self._contest(incident, person))
            else:
                self.at(answer, lambda: booking_services.incident_confirm(incident_id=incident.pk, actor=person.user,
                                                                          now=answer))  # fmt: skip

        self.at(finished + timedelta(hours=rng.uniform(0.5, 6)), report)

    def _admitted_damage(self, booking: Booking, person: Person, provider: Provider, finished: datetime) -> None:
        """A scripted person's minor damage: reported two hours after the use, admitted the next day."""
        kind, severity, loss, text = INCIDENTS[2]
        reported, admitted = finished + timedelta(hours=2), finished + timedelta(hours=20)

        def report() -> None:
            incident = booking_services.incident_report(
                booking_id=booking.pk, reporter=provider.admin, kind=kind, severity=severity,
                description=text, estimated_loss=Decimal(loss),
            )  # fmt: skip
            self.summary.incidents += 1
            self.at(admitted, lambda: booking_services.incident_confirm(
                incident_id=incident.pk, actor=person.user, now=admitted
            ))  # fmt: skip

        self.at(reported, report)

    def _recent_dispute(self) -> None:
        """A week ago the `provider` reported damage after a careless user's booking; the user contests it:
        the dispute waits for the platform admin."""
        people = {person.user.pk: person for person in self.people if person.kind in ("careless", "dishonest")}
        recent = Booking.objects.filter(
            instrument__unit=self.provider_unit, state=BookingState.COMPLETED, incidents__isnull=True
        ).order_by("-checked_out_at", "-pk")
        booking = next((b for b in recent[:200] if b.requester_id in people), None)
        if booking is None:
            return
        person, provider = people[booking.requester_id], self.providers[booking.instrument.unit_id]
        kind, severity, loss, text = INCIDENTS[0]
        incident = booking_services.incident_report(
            booking_id=booking.pk, reporter=provider.admin, kind=kind, severity=severity,
            description=text, estimated_loss=Decimal(loss),
        )  # fmt: skip
        self.summary.incidents += 1
        moment = self.clock.now() + timedelta(hours=20)
        self.at(moment, lambda: self._contest(incident, person))

    def _contest(self, incident: Incident, person: Person) -> None:
        dispute = booking_services.incident_contest(
            incident_id=incident.pk, actor=person.user, reason=self.rng.choice(CONTESTS), now=self.clock.now()
        )
        self.summary.disputes += 1
        if self.clock.now() > self.now - timedelta(days=12):
            return  # the admin has not decided yet
        upheld = self.rng.random() < 0.6
        decision = Dispute.Decision.UPHELD if upheld else Dispute.Decision.DISMISSED
        reason = DISPUTE_UPHELD if upheld else DISPUTE_DISMISSED
        moment = self.clock.now() + timedelta(days=self.rng.uniform(2, 8))
        self.at(
            moment,
            lambda: booking_services.dispute_decide(
                dispute_id=dispute.pk, actor=self.admin, decision=decision, reason=reason, now=moment
            ),
        )
