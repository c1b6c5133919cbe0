"""The people of the demo: an administrator per unit, a few hundred researchers, the demo accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from instruments.demo_data import GIVEN, SURNAMES
from instruments.models import Membership

from .timeline import (
    BLACKLISTED_JOINED_DAYS,
    BLACKLISTED_UNIT_INDEX,
    BLACKLISTED_USERNAME,
    PASSWORD,
    PAYER_USERNAME,
    PROVIDER_UNIT_INDEX,
    RESEARCHER_UNIT_INDEX,
    RESEARCHERS,
    Person,
    Provider,
    Timeline,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class PeopleHistory(Timeline):
    def _user(self, username: str, joined: datetime, *, password: str | None = None) -> User:
        self.clock.set(joined)
        user = self.user_model(
            username=username,
            email=f"{username}@demo.example.cn",
            last_name=self.rng.choice(SURNAMES),
            first_name=self.rng.choice(GIVEN),
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        return user

    def _joined(self) -> datetime:
        return self.start - timedelta(days=self.rng.randrange(30, 900), hours=self.rng.randrange(8, 18))

    def setup_people(self) -> None:
        users = self.user_model.objects
        provider_admin = users.get(username="provider")
        for index, unit in enumerate(self.units):
            if index == PROVIDER_UNIT_INDEX:
                # Quality above 5 (the draw is clipped to 5 stars): its badge must not hang on the random draws.
                admin, speed, cancel, quality = provider_admin, "fast", 0.0, 5.4
            else:
                admin = self._user(f"unit-admin-{index + 1:02d}", self._joined())
                Membership.objects.create(user=admin, unit=unit, role=Membership.Role.ADMIN)
                speed = "slow" if self.rng.random() < 0.3 else "fast"
                cancel = self.rng.choice([0.0, 0.0, 0.005, 0.01, 0.03, 0.08, 0.15])
                quality = self.rng.choice([4.7, 4.5, 4.3, 4.0, 3.6, 3.0, 2.4])
            self.providers[unit.pk] = Provider(unit, admin, speed, cancel, quality)
        researcher = users.get(username="researcher")
        self.people.append(Person(researcher, self.units[RESEARCHER_UNIT_INDEX], "reliable", 6.0, exemplary=True))
        # A member for under six months; their year is scripted (bookings.py: BLACKLISTED_STORY), not drawn.
        joined = self.now - timedelta(days=BLACKLISTED_JOINED_DAYS, hours=14)
        blacklisted = self._user(BLACKLISTED_USERNAME, joined, password=PASSWORD)
        unit = self.units[BLACKLISTED_UNIT_INDEX]
        Membership.objects.create(user=blacklisted, unit=unit, role=Membership.Role.MEMBER)
        self.people.append(Person(blacklisted, unit, "blacklisted", 0.0))
        for number in range(1, round(RESEARCHERS * self.scale) + 1):
            unit = self.rng.choices(self.units, weights=[1 + (i < 12) * 2 for i in range(len(self.units))])[0]
            user = self._user(f"r{number:03d}", self._joined())
            Membership.objects.create(user=user, unit=unit, role=Membership.Role.MEMBER)
            roll = self.rng.random()
            kind = "reliable" if roll < 0.7 else "careless" if roll < 0.9 else "dishonest"
            activity = self.rng.choice([0.3, 0.6, 1.0, 1.0, 1.5, 2.5, 4.0])
            self.people.append(Person(user, unit, kind, activity))
        self.summary.researchers = len(self.people)
        payer = users.filter(username=PAYER_USERNAME).first() or self._user(
            PAYER_USERNAME, self._joined(), password=PASSWORD
        )
        Membership.objects.get_or_create(
            user=payer, unit=self.units[RESEARCHER_UNIT_INDEX], defaults={"role": Membership.Role.ADMIN}
        )
