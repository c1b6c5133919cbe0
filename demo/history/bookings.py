"""Bookings: who books what when, how providers answer, and what becomes of each booking; reviews after it.

Every step is the service a page or the API calls (`bookings.services`), at its own moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from billing import services as billing_services
from bookings import services as booking_services
from bookings.models import Booking, BookingPolicy, BookingState
from instruments.models import Instrument
from sharing_platform.errors import DomainError

from .incidents import IncidentHistory
from .texts import (
    BAD_TAGS,
    GOOD_TAGS,
    PROJECT_CODES,
    PROVIDER_CANCELS,
    PURPOSES,
    REFUSALS,
    REQUESTER_BAD_TAGS,
    REQUESTER_CANCELS,
    REQUESTER_GOOD_TAGS,
)
from .timeline import (
    BLACKLISTED_HOST_INDEX,
    BLACKLISTED_STORY,
    BOOKINGS_PER_DAY,
    DAYS,
    PAYER_USERNAME,
    PENDING_NO_SHOW_DAYS,
    PROVIDER_UNIT_INDEX,
    RESEARCHER_UNIT_INDEX,
    UPCOMING_DAYS,
    Fate,
    Person,
    Provider,
    local_moment,
)


class BookingHistory(IncidentHistory):
    def setup_instruments(self) -> list[Instrument]:
        """Booking rules where providers set them (operator assistance, a project code) and monthly billing."""
        instruments = list(
            Instrument.objects.filter(unit__in=self.units, status=Instrument.Status.AVAILABLE).order_by("unit_id", "id")
        )
        self.clock.set(self.start - timedelta(days=20))
        for provider in self.providers.values():
            billing_services.provider_billing_update(
                unit=provider.unit, actor=provider.admin, due_days=30, monthly_statements=True
            )
        policies = []
        for instrument in instruments:
            assisted = self.rng.random() < 0.3
            policies.append(
                BookingPolicy(
                    instrument=instrument,
                    operator_assistance_offered=assisted,
                    allow_credit_auto_approval=not (
                        instrument.unit_id == self.provider_unit.pk and self.rng.random() < 0.5
                    ),
                    cancellation_notice_hours=self.rng.choice([24, 24, 48]),
                )
            )
        BookingPolicy.objects.bulk_create(policies)
        self.assisted = {policy.instrument_id for policy in policies if policy.operator_assistance_offered}
        # A third of the instruments stay idle (the idle-instruments page lists them); the rest are in demand.
        active = [
            instrument
            for instrument in instruments
            if instrument.unit_id == self.provider_unit.pk or self.rng.random() < 0.6
        ]
        return active

    def _reserve(self, instrument: Instrument, start: datetime, hours: int) -> bool:
        """Keep the planned bookings of one instrument apart (the platform would refuse a clash)."""
        end = start + timedelta(hours=hours)
        if any(start < taken_end and end > taken_start for taken_start, taken_end in self.busy[instrument.pk]):
            return False
        self.busy[instrument.pk].append((start, end))
        return True

    def plan_story(self, active: list[Instrument]) -> None:
        """`blacklisted`'s scripted year (timeline.BLACKLISTED_STORY), planned before anyone else's bookings."""
        person = next(person for person in self.people if person.kind == "blacklisted")
        host = self.units[BLACKLISTED_HOST_INDEX].pk
        instruments = [
            instrument
            for instrument in active
            if instrument.unit_id == host and not instrument.requires_qualification and not instrument.min_credit_score
        ]
        for number, (days, fate) in enumerate(BLACKLISTED_STORY):
            day = self.today - timedelta(days=days)
            day -= timedelta(days=max(day.weekday() - 4, 0))  # a weekend day: the Friday before
            instrument = instruments[number % len(instruments)]
            start = local_moment(day, 9)
            if self._reserve(instrument, start, 3):
                self.at(start - timedelta(days=4, hours=-2), self._request(person, instrument, start, 3, fate))

        self._plan_pending_no_show(active)

    def _plan_pending_no_show(self, active: list[Instrument]) -> None:
        """`payer` (who also books for the unit) failed to come two (working) days before today at the `provider`
        unit, the provider says: a no-show still pending and contestable when the demo opens (the provider's word
        alone moves no score and bills nothing before its window)."""
        payer = get_user_model().objects.get(username=PAYER_USERNAME)
        person = Person(payer, self.units[RESEARCHER_UNIT_INDEX], "reliable", 0.0)
        host = self.units[PROVIDER_UNIT_INDEX].pk
        instrument = next(
            instrument
            for instrument in active
            if instrument.unit_id == host and not instrument.requires_qualification and not instrument.min_credit_score
        )
        day = self.today - timedelta(days=PENDING_NO_SHOW_DAYS)
        day -= timedelta(days=max(day.weekday() - 4, 0))  # a weekend day: the Friday before
        start = local_moment(day, 11)
        if self._reserve(instrument, start, 2):
            self.at(start - timedelta(days=4, hours=-2), self._request(person, instrument, start, 2, Fate("no_show")))

    def plan_bookings(self, active: list[Instrument]) -> None:
        """Who books what when: weekdays in office hours, made a few days ahead."""
        weights = [person.activity for person in self.people]
        popularity = {
            instrument.pk: (3.0 if instrument.unit_id == self.provider_unit.pk else 1.0)
            * self.rng.choice([0.4, 0.7, 1.0, 1.5, 2.5])
            for instrument in active
        }
        instrument_weights = [popularity[instrument.pk] for instrument in active]
        first = self.today - timedelta(days=DAYS - 3)
        for offset in range(DAYS - 3 + UPCOMING_DAYS):
            day = first + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            # Busier in term time, quiet at the Spring Festival and in August.
            season = 0.3 if day.month == 2 else 0.6 if day.month in (1, 7, 8) else 1.0
            count = round(self.rng.gauss(BOOKINGS_PER_DAY * self.scale * season, 3 * self.scale))
            for person in self.rng.choices(self.people, weights=weights, k=max(count, 0)):
                instrument = self.rng.choices(active, weights=instrument_weights)[0]
                if instrument.unit_id == person.unit.pk and self.rng.random() < 0.7:
                    continue  # most bookings are at other units
                hours = self.rng.choice([1, 2, 2, 3, 4])
                start = local_moment(day, self.rng.choice([8, 9, 10, 13, 14, 15]), self.rng.choice([0, 30]))
                if not self._reserve(instrument, start, hours):
                    continue
                lead = timedelta(days=self.rng.choice([1, 2, 3, 5, 7, 10]), hours=self.rng.randrange(0, 8))
                made = start - lead
                if made > self.now:  # the coming weeks: booked in the last days
                    made = self.now - timedelta(hours=self.rng.uniform(1, 96))
                self.at(made, self._request(person, instrument, start, hours))

    def _request(self, person: Person, instrument: Instrument, start: datetime, hours: int, fate: Fate | None = None):
        def action() -> None:
            provider = self.providers[instrument.unit_id]
            if instrument.requires_qualification and (instrument.pk, person.user.pk) not in self.qualified:
                booking_services.qualification_grant(
                    instrument=instrument, user=person.user, actor=provider.admin, now=self.clock.now()
                )
                self.qualified.add((instrument.pk, person.user.pk))
            purpose_zh, purpose_en = PURPOSES[instrument.pk % len(PURPOSES)] if fate else self.rng.choice(PURPOSES)
            try:
                booking = booking_services.booking_create(
                    instrument=instrument,
                    requester=person.user,
                    start=start,
                    end=start + timedelta(hours=hours),
                    purpose=f"{purpose_zh} / {purpose_en}",
                    project_code="" if fate else self.rng.choice(PROJECT_CODES),
                    operator_assisted=not fate and instrument.pk in self.assisted and self.rng.random() < 0.4,
                    requester_unit=person.unit,
                    now=self.clock.now(),
                )
            except DomainError:
                self.summary.refused_by_rules += 1
                return
            self.summary.bookings += 1
            if fate is not None:
                self._follow(booking, person, provider, fate)
            elif booking.state == BookingState.REQUESTED:
                self._decide(booking, person, provider)
            else:
                self._after_approval(booking, person, provider)

        return action

    def _decide(self, booking: Booking, person: Person, provider: Provider) -> None:
        created = self.clock.now()
        if provider.speed == "fast":
            delay = timedelta(hours=self.rng.uniform(0.5, 20))
        else:
            delay = timedelta(hours=self.rng.uniform(10, 80))
        moment = min(created + delay, booking.start - timedelta(hours=1))
        if booking.start > self.now and provider.unit.pk == self.provider_unit.pk:
            self.desk_requests += 1
            if self.desk_requests % 2:  # every other one, from the first: the desk always has requests waiting
                return  # waits for the `provider` account to decide
        refuse = self.rng.random() < (0.25 if person.kind == "dishonest" else 0.07)

        def action() -> None:
            if refuse:
                booking_services.booking_refuse(
                    booking_id=booking.pk, actor=provider.admin, reason=self.rng.choice(REFUSALS), now=moment
                )
                return
            booking_services.booking_approve(booking_id=booking.pk, actor=provider.admin, now=moment)
            self._after_approval(booking, person, provider)

        self.at(moment, action)

    def _follow(self, booking: Booking, person: Person, provider: Provider, fate: Fate) -> None:
        """A scripted booking: approved three hours after the request, then what its fate says."""
        approved = self.clock.now() + timedelta(hours=3)

        def approve() -> None:
            if booking.state == BookingState.REQUESTED:
                booking_services.booking_approve(booking_id=booking.pk, actor=provider.admin, now=approved)
            if fate.outcome == "no_show":
                moment = booking.start + timedelta(minutes=60)
                self.at(moment, lambda: booking_services.booking_record_no_show(
                    booking_id=booking.pk, actor=provider.admin, now=moment
                ))  # fmt: skip
            elif fate.outcome == "late_cancel":
                moment = booking.start - timedelta(hours=5)
                self.at(moment, lambda: booking_services.booking_cancel(
                    booking_id=booking.pk, actor=person.user, reason=REQUESTER_CANCELS[1], now=moment
                ))  # fmt: skip
            else:
                booked = (booking.end - booking.start).total_seconds() / 3600
                hours = Decimal(str(round(booked * fate.used_share * 4) / 4 or 0.25))
                self._check_in_and_out(booking, person, provider, fate.late_minutes, hours, fate=fate)

        self.at(approved, approve)

    def _after_approval(self, booking: Booking, person: Person, provider: Provider) -> None:
        """What happens to an approved booking: used, cancelled (on time, late, by the provider) or a no-show."""
        rng = self.rng
        start = booking.start
        kind = person.kind
        no_show = {"reliable": 0.01, "careless": 0.08, "dishonest": 0.25}[kind]
        late_cancel = {"reliable": 0.02, "careless": 0.07, "dishonest": 0.12}[kind]
        if person.exemplary:
            no_show = late_cancel = 0.0
        early_cancel = 0.05
        roll = rng.random()
        if rng.random() < provider.cancel_rate:
            self.at(start - timedelta(hours=rng.uniform(3, 30)), lambda: booking_services.booking_cancel(
                booking_id=booking.pk, actor=provider.admin, reason=rng.choice(PROVIDER_CANCELS), now=self.clock.now()
            ))  # fmt: skip
        elif roll < no_show:
            self.at(start + timedelta(minutes=rng.randrange(35, 90)), lambda: booking_services.booking_record_no_show(
                booking_id=booking.pk, actor=provider.admin, now=self.clock.now()
            ))  # fmt: skip
        elif roll < no_show + late_cancel:
            self.at(start - timedelta(hours=rng.uniform(1, 20)), lambda: booking_services.booking_cancel(
                booking_id=booking.pk, actor=person.user, reason=rng.choice(REQUESTER_CANCELS), now=self.clock.now()
            ))  # fmt: skip
        elif roll < no_show + late_cancel + early_cancel:
            created = self.clock.now()
            moment = created + (start - created) / 4
            if start - moment > timedelta(hours=50):
                self.at(moment, lambda: booking_services.booking_cancel(
                    booking_id=booking.pk, actor=person.user, reason=rng.choice(REQUESTER_CANCELS), now=moment
                ))  # fmt: skip
            else:
                self._use(booking, person, provider)
        else:
            self._use(booking, person, provider)

    def _use(self, booking: Booking, person: Person, provider: Provider) -> None:
        rng = self.rng
        booked = (booking.end - booking.start).total_seconds() / 3600
        kind = person.kind
        if kind == "reliable":
            actual = booked * rng.uniform(0.75, 1.0)
        else:
            overrun = {"careless": 0.1, "dishonest": 0.3}[kind]
            actual = booked * (rng.uniform(0.25, 0.45) if rng.random() < overrun else rng.uniform(0.6, 1.0))
        hours = Decimal(str(round(actual * 4) / 4 or 0.25))
        if booking.operator_assisted:
            # The provider's operator runs the samples and closes the booking with the hours used.
            finish = booking.start + timedelta(hours=float(hours))

            def complete() -> None:
                booking_services.booking_complete(
                    booking_id=booking.pk, actor=provider.admin, actual_hours=hours, now=finish
                )
                self._reviews(booking, person, provider, finish)

            self.at(finish, complete)
            return
        late = 0.0 if person.exemplary else {"reliable": 0.05, "careless": 0.3, "dishonest": 0.3}[kind]
        minutes = rng.randrange(20, 50) if rng.random() < late else rng.randrange(-20, 10)
        self._check_in_and_out(booking, person, provider, minutes, hours)

    def _check_in_and_out(
        self,
        booking: Booking,
        person: Person,
        provider: Provider,
        minutes: int,
        hours: Decimal,
        fate: Fate | None = None,
    ) -> None:
        check_in = booking.start + timedelta(minutes=minutes)
        check_out = check_in + timedelta(hours=float(hours))
        self.at(check_in, lambda: booking_services.booking_check_in(booking_id=booking.pk, actor=person.user,
                                                                    now=check_in))  # fmt: skip

        def check_out_action() -> None:
            booking_services.booking_check_out(
                booking_id=booking.pk, actor=person.user, actual_hours=hours, now=check_out
            )
            if fate is None:
                self._reviews(booking, person, provider, check_out)
                self._maybe_incident(booking, person, provider, check_out)
            elif fate.damage:
                self._admitted_damage(booking, person, provider, check_out)

        self.at(check_out, check_out_action)

    def _reviews(self, booking: Booking, person: Person, provider: Provider, finished: datetime) -> None:
        rng = self.rng
        if rng.random() < 0.55:
            stars = max(1, min(5, round(rng.gauss(provider.quality, 0.6))))
            tags = rng.choice(GOOD_TAGS if stars >= 4 else BAD_TAGS)
            self.at(finished + timedelta(hours=rng.uniform(1, 60)), lambda: self._review(booking, person.user,
                                                                                         stars, tags))  # fmt: skip
        if rng.random() < 0.45:
            mean = {"reliable": 4.7, "careless": 3.4, "dishonest": 2.6}[person.kind]
            stars = max(1, min(5, round(rng.gauss(mean, 0.6))))
            tags = rng.choice(REQUESTER_GOOD_TAGS if stars >= 4 else REQUESTER_BAD_TAGS)
            self.at(finished + timedelta(hours=rng.uniform(1, 60)), lambda: self._review(booking, provider.admin,
                                                                                         stars, tags))  # fmt: skip

    def _review(self, booking: Booking, author, stars: int, tags: list[str]) -> None:
        booking_services.review_create(booking_id=booking.pk, author=author, stars=stars, tags=tags,
                                       now=self.clock.now())  # fmt: skip
        self.summary.reviews += 1
