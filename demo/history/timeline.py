"""The timeline every part of the history is written on: who the actors are, the event queue, the clock.

`Timeline` holds the state the parts share (the clock, one seeded random.Random, the units, people and
providers, a queue of actions by moment); `run()` replays the queue in time order, each action at its
moment. The parts (people, bookings, incidents, units, lists, statements) are mixins of it.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.utils import timezone

from instruments.models import Unit
from sharing_platform.errors import DomainError

from ..clock import Clock

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger("demo.history")

SEED = 20261126
DAYS = 365  # of history before today
UPCOMING_DAYS = 21  # bookings already made for the coming weeks
# How busy the year is (seed_demo --scale): 0.2 writes ~600 bookings through every service in about half a
# minute of CPU on SQLite; 1 is ~300 researchers and ~3,000 bookings.
DEFAULT_SCALE = 0.2
RESEARCHERS = 300  # at scale 1
BOOKINGS_PER_DAY = 15  # attempted on a working day in term time, at scale 1
PASSWORD = "demo-2026"  # noqa: S105 - the published demo password (README)
# The demo accounts in interesting states (README's table); seed_demo creates admin, provider, researcher.
BLACKLISTED_USERNAME = "blacklisted"
PAYER_USERNAME = "payer"
PARTNER_NAME = "内蒙古自治区社会信用信息平台"
PARTNER_SOURCE = "Inner Mongolia Social Credit Information Platform"
PROVIDER_UNIT_INDEX = 0  # Inner Mongolia University of Science and Technology (the `provider` account)
RESEARCHER_UNIT_INDEX = 1  # Baotou Medical College (`researcher`, `payer`)
BLACKLISTED_UNIT_INDEX = 6  # Baotou Iron and Steel Vocational Technical College
BLACKLISTED_HOST_INDEX = 3  # the unit whose instruments `blacklisted` books
# The admin leaves what was proposed in the last weeks for the person trying the demo.
MODERATION_QUIET_DAYS = 20


@dataclass(frozen=True)
class Fate:
    """What becomes of one booking, decided in advance (a scripted person's year), not drawn at run time."""

    outcome: str  # used | no_show | late_cancel
    late_minutes: int = 0  # at check-in
    used_share: float = 0.9  # of the booked hours
    damage: bool = False  # the provider reports minor damage after it, the user admits it


# `blacklisted`'s year, as (days before today, what happened): a member for under six months who came late
# every time, ran short uses of long bookings, damaged once, failed to come and cancelled late (credit 2026.12-6,
# where the record weighs more, put the year with a second damage and a partner's report of 30 under 550). The second
# violation brings a warning at the next monthly run (credit 2026.12-4); the late cancellations after it put
# the account on the black list one or two months before today, wherever the month's first day falls (a
# fifth violation covers a warning run that lands after the fourth); its score lands in "poor" (550..599)
# whatever the random draws of the others, so every tier shows in the demo.
BLACKLISTED_JOINED_DAYS = 170
BLACKLISTED_STORY = (
    (150, Fate("used", late_minutes=35)),
    (140, Fate("used", late_minutes=25)),
    (130, Fate("used", late_minutes=40, used_share=0.3)),
    (118, Fate("late_cancel")),
    (104, Fate("no_show")),
    (90, Fate("used", late_minutes=45, damage=True)),
    (84, Fate("late_cancel")),
    (76, Fate("late_cancel")),
    (60, Fate("late_cancel")),
)


# `payer` failed to come two days before today (the provider says): a no-show pending in its window to contest
# (issue 18.1), so whoever tries the demo sees it on the booking page and may contest it.
PENDING_NO_SHOW_DAYS = 2


@dataclass
class Person:
    user: User
    unit: Unit
    kind: str  # reliable | careless | dishonest | blacklisted
    activity: float  # relative chance of booking on a day (0: only their scripted bookings)
    # The `researcher` demo account (README: excellent, on the red list): never a fault of their own, so the
    # random draws of a busy year cannot warn or list the account whoever seeds the demo.
    exemplary: bool = False


@dataclass
class Provider:
    unit: Unit
    admin: User
    speed: str  # fast | slow
    cancel_rate: float
    quality: float  # mean stars its users give


@dataclass
class HistorySummary:
    skipped: bool = False
    researchers: int = 0
    bookings: int = 0
    by_state: Counter = field(default_factory=Counter)
    refused_by_rules: int = 0
    reviews: int = 0
    incidents: int = 0
    disputes: int = 0
    endorsements: int = 0
    external_reports: int = 0
    statements: int = 0
    list_entries: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def line(self) -> str:
        if self.skipped:
            return "Demo history already present: nothing to do."
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.by_state.items()))
        lists = ", ".join(f"{n} {status}" for status, n in sorted(self.list_entries.items()))
        return (
            f"Demo history: {self.researchers} researchers, {self.bookings} bookings ({states}), "
            f"{self.reviews} reviews, {self.incidents} incidents ({self.disputes} disputes), "
            f"{self.endorsements} endorsements, {self.external_reports} external reports, "
            f"{self.statements} statements, list entries: {lists}."
        )


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _do_nothing(*args: Any, **kwargs: Any) -> None:
    return None


@contextmanager
def fast_writes() -> Iterator[None]:
    """What makes a year of history quick to write without changing what is written:

    - the past's notifications are not sent: the outbox's enqueue writes no message (no mail, robot or
      webhook for last spring; the per-event recomputes are replaced by the nightly full runs);
    - `full_clean()` does not re-check the models' database constraints and foreign keys with queries of
      its own (a tenth of all queries): the database checks every one of them anyway (SQLite and
      PostgreSQL enforce foreign keys; a violation would abort the seeding);
    - queries are not logged for the debug toolbar (DEBUG).
    Plain functions stand in, not mocks: a mock would record each of its thousands of calls.
    """
    from django.db.models import ForeignKey, Model
    from django.test.utils import override_settings

    with (
        mock.patch("sharing_platform.outbox.services.message_enqueue", _do_nothing),
        mock.patch.object(Model, "validate_constraints", _do_nothing),
        mock.patch.object(ForeignKey, "validate", _do_nothing),
        override_settings(DEBUG=False),
    ):
        yield


@contextmanager
def passwords_hashed_once() -> Iterator[None]:
    """Each demo password is hashed once (PBKDF2, a third of a second each) and its hash reused for every
    account that has it: the hashes are the normal settings' own, so the accounts sign in as usual."""
    from django.contrib.auth import base_user, hashers

    with mock.patch.object(base_user, "make_password", functools.lru_cache(maxsize=8)(hashers.make_password)):
        yield


class Timeline:
    """The shared state of the history and its event queue."""

    def __init__(
        self, *, now: datetime, clock: Clock, rng: random.Random, units: list[Unit], admin: User, scale: float
    ):
        self.scale = scale
        self.now = now
        self.today = timezone.localdate(now)
        self.start = now - timedelta(days=DAYS)
        self.clock = clock
        self.rng = rng
        self.units = units
        self.admin = admin
        self.queue: list[tuple[datetime, int, Callable[[], object]]] = []
        self.sequence = itertools.count()
        self.summary = HistorySummary()
        self.providers: dict[int, Provider] = {}
        self.people: list[Person] = []
        self.qualified: set[tuple[int, int]] = set()
        self.busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.assisted: set[int] = set()
        self.serious = 0
        self.desk_requests = 0  # requests for the `provider` account's coming weeks
        self.treatments: Counter = Counter()
        self.user_model = get_user_model()

    def at(self, moment: datetime, action: Callable[[], object]) -> None:
        """Do `action` at `moment` (never after now: the future is left to the people using the demo)."""
        moment = max(moment, self.clock.current)  # never back in time
        if moment <= self.now:
            heapq.heappush(self.queue, (moment, next(self.sequence), action))

    def run(self) -> None:
        while self.queue:
            moment, _seq, action = heapq.heappop(self.queue)
            self.clock.set(moment)
            try:
                action()
            except DomainError as exc:  # the platform refused (a rule, a clash): as it would a person
                logger.debug("demo history: %s at %s refused: %s", action, moment, exc)

    @property
    def provider_unit(self) -> Unit:
        return self.units[PROVIDER_UNIT_INDEX]
