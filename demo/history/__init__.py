"""A year of activity on the demo platform, written through the platform's own services.

People (a few hundred researchers in the member units, an administrator per unit) book instruments,
providers answer, researchers check in and out, both sides review, incidents are reported, confirmed or
contested and decided as disputes, units endorse each other, a partner sends external credit reports,
providers bill monthly and payers pay, mostly on time. Each night (here: each month, the heavy part) the
credit engine recomputes everyone and proposes list entries as the nightly tasks would, and the platform
administrator moderates them some days later: published red and black entries, an objection, a granted
repair, an entry that expired. The last weeks' proposals, one objection and one dispute wait for the admin.

Every step calls the service a page or the API would call, at its moment in the past: a settable clock
(demo/clock.py) stands in for `timezone.now` while the history is written. Notifications of the past
(mail, robots, webhooks, per-event recomputes) are not sent: the outbox is silenced while seeding, and the
nightly full recompute stands in for the per-event ones. Actors differ (most are reliable, some careless,
a few dishonest; providers fast or slow, cancelling rarely or often), so scores spread over every tier;
`blacklisted`'s year is scripted, so that the "poor" tier is there whatever the draws.

Deterministic: one seeded random.Random drives every choice; the timeline is anchored on today.
The parts, by noun: timeline.py (actors, queue, clock), people.py, bookings.py, incidents.py, units.py
(endorsements, external reports), lists.py (credit runs, moderation), statements.py (billing).
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from billing import services as billing_services
from bookings.models import Booking
from credit import services as credit_services
from credit.models import ListEntry

from ..clock import settable_clock
from .bookings import BookingHistory
from .lists import ListHistory
from .people import PeopleHistory
from .statements import StatementHistory
from .timeline import (
    BLACKLISTED_USERNAME,
    DEFAULT_SCALE,
    SEED,
    HistorySummary,
    fast_writes,
    local_moment,
    passwords_hashed_once,
)
from .units import UnitHistory

__all__ = ["DEFAULT_SCALE", "HistorySummary", "demo_history_seed", "history_present", "passwords_hashed_once"]


class History(PeopleHistory, BookingHistory, UnitHistory, ListHistory, StatementHistory):
    """The whole year: the parts, and the nights that tie them together."""

    def plan_nights(self) -> None:
        day = self.start.date() + timedelta(days=1)
        while day <= self.today:
            if day.weekday() == 0 or day == self.today:
                self.at(local_moment(day, 1), self._sweep)
            if day.day == 1:
                self.at(local_moment(day, 2), self._nightly_credit)
                self.at(local_moment(day, 9), self._monthly_statements)
            day += timedelta(days=1)
        self.at(self.now - timedelta(minutes=5), self._nightly_credit)
        # Two months ago the same happened and the admin has decided it (whatever the random draws gave).
        self.at(self.now - timedelta(days=60), self._recent_dispute)
        self.at(self.now - timedelta(days=8), self._recent_dispute)

    def _sweep(self) -> None:
        billing_services.statements_mark_overdue(now=self.clock.now())
        credit_services.list_entries_expire(now=self.clock.now())


def history_present() -> bool:
    return get_user_model().objects.filter(username=BLACKLISTED_USERNAME).exists()


def demo_history_seed(*, now: datetime | None = None, scale: float = DEFAULT_SCALE) -> HistorySummary:
    """Write the year of activity after demo_seed(); a second run finds it and does nothing."""
    from instruments.demo_data import demo_units

    began = time.monotonic()
    if history_present():
        return HistorySummary(skipped=True)
    now = now or timezone.now()
    units = demo_units()
    admin = get_user_model().objects.get(username="admin")
    rng = random.Random(SEED)  # noqa: S311 - a seeded PRNG makes demo data deterministic
    # The objects already loaded (Django, the catalogue) stay out of the cyclic collector's way, and it runs
    # less often while thousands of short-lived querysets come and go (about 2 s of 35 s of CPU otherwise).
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        with fast_writes(), settable_clock(now) as clock, transaction.atomic():
            history = History(now=now, clock=clock, rng=rng, units=units, admin=admin, scale=scale)
            history.setup_people()
            active = history.setup_instruments()
            history.plan_story(active)
            history.plan_bookings(active)
            history.plan_endorsements()
            history.plan_external_reports()
            history.plan_nights()
            history.run()
            clock.set(now)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    summary = history.summary
    demo = Booking.objects.filter(instrument__unit__in=units)
    summary.by_state = Counter(demo.values_list("state", flat=True))
    summary.list_entries = Counter(ListEntry.objects.values_list("status", flat=True))
    summary.seconds = time.monotonic() - began
    return summary
