"""Units: endorsements between them, and the external credit reports a partner platform sends."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from credit import services as credit_services
from instruments.models import Unit
from partners.models import Partner
from partners.services import partner_credit_report_submit

from .texts import ENDORSEMENT_NOTE
from .timeline import BLACKLISTED_UNIT_INDEX, DAYS, PARTNER_NAME, PARTNER_SOURCE, PROVIDER_UNIT_INDEX, Person, Timeline

# The partner's score of a person, by how they behave (0..100).
PERSON_REPORTS = {"reliable": 90, "careless": 70, "dishonest": 45, "blacklisted": 50}
BLACKLISTED_REPORT_DAYS = 100  # `blacklisted`'s report, days before today (a member for under six months)


class UnitHistory(Timeline):
    def plan_endorsements(self) -> None:
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < 40:
            a, b = self.rng.sample(range(len(self.units)), 2)
            if b != BLACKLISTED_UNIT_INDEX:  # nobody vouches for it: `blacklisted`'s score is its own record
                pairs.add((a, b))
        pairs.add((2, PROVIDER_UNIT_INDEX))
        pairs.add((7, PROVIDER_UNIT_INDEX))
        for a, b in sorted(pairs):
            endorser, endorsed = self.units[a], self.units[b]
            moment = self.start + timedelta(days=self.rng.randrange(0, DAYS - 5), hours=10)
            kind = self.rng.choice(["collaboration", "collaboration", "supervision"])

            def endorse(endorser: Unit = endorser, endorsed: Unit = endorsed, kind: str = kind) -> None:
                credit_services.endorsement_create(
                    endorser=endorser, endorsed=endorsed, by=self.providers[endorser.pk].admin, kind=kind,
                    note=ENDORSEMENT_NOTE,
                )  # fmt: skip
                self.summary.endorsements += 1

            self.at(moment, endorse)

    def plan_external_reports(self) -> None:
        self.clock.set(self.start - timedelta(days=30))
        partner, _created = Partner.objects.get_or_create(
            name=PARTNER_NAME, defaults={"contact_email": "api@credit.demo.example.cn"}
        )
        quarters = [self.start + timedelta(days=days) for days in (10, 100, 190, 280)]
        for number, unit in enumerate(self.units):
            base = self.rng.choice([92, 88, 85, 80, 74, 66, 58])
            for quarter in quarters:
                if self.rng.random() < 0.35:
                    continue
                score = Decimal(max(30, min(100, base + self.rng.randrange(-4, 5))))
                moment = quarter + timedelta(days=self.rng.randrange(0, 20), hours=11)

                def report(unit: Unit = unit, score: Decimal = score, moment=moment, number: int = number) -> None:
                    partner_credit_report_submit(
                        partner=partner, source=PARTNER_SOURCE, score=score, range_min=Decimal(0),
                        range_max=Decimal(100), reported_at=moment, expires_at=moment + timedelta(days=365),
                        unit_credit_code=unit.credit_code, reference=f"IMSC-{moment:%Y%m}-{number:03d}", now=moment,
                    )  # fmt: skip
                    self.summary.external_reports += 1

                self.at(moment, report)
        for person in self.people[:60]:
            score = Decimal(PERSON_REPORTS[person.kind])
            moment = self.start + timedelta(days=self.rng.randrange(60, DAYS - 10), hours=15)
            if person.kind == "blacklisted":
                moment = self.now - timedelta(days=BLACKLISTED_REPORT_DAYS, hours=-15)

            def report_user(person: Person = person, score: Decimal = score, moment=moment) -> None:
                partner_credit_report_submit(
                    partner=partner, source=PARTNER_SOURCE, score=score, range_min=Decimal(0),
                    range_max=Decimal(100), reported_at=moment, expires_at=moment + timedelta(days=365),
                    user_id=person.user.pk, reference=f"IMSC-P-{person.user.pk}", now=moment,
                )  # fmt: skip
                self.summary.external_reports += 1

            self.at(moment, report_user)
