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
a few dishonest; providers fast or slow, cancelling rarely or often), so scores spread over every tier.

Deterministic: one seeded random.Random drives every choice; the timeline is anchored on today.
"""

# ruff: noqa: S311 - a seeded PRNG makes demo data deterministic; nothing here is security-related
# ruff: noqa: RUF001 - Chinese text uses full-width punctuation

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from billing import services as billing_services
from billing.models import Statement
from bookings import services as booking_services
from bookings.models import Booking, BookingPolicy, BookingState, Dispute, Incident
from credit import services as credit_services
from credit.models import ListEntry
from credit.recompute import recompute_all
from instruments.demo_data import GIVEN, SURNAMES
from instruments.models import Instrument, Membership, Unit
from partners.models import Partner
from partners.services import partner_credit_report_submit
from sharing_platform.errors import DomainError

from .clock import Clock, settable_clock

logger = logging.getLogger(__name__)

SEED = 20261126
DAYS = 365  # of history before today
UPCOMING_DAYS = 21  # bookings already made for the coming weeks
# How busy the year is (seed_demo --scale): 0.2 writes ~600 bookings in a minute or two on SQLite, through
# every service; 1 is ~300 researchers and ~3,000 bookings.
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
# The admin leaves what was proposed in the last weeks for the person trying the demo.
MODERATION_QUIET_DAYS = 20

PURPOSES = [
    ("稀土永磁样品显微组织观察", "Microstructure of rare-earth magnet samples"),
    ("催化剂样品物相分析", "Phase analysis of catalyst samples"),
    ("钢材夹杂物成分测定", "Composition of inclusions in steel"),
    ("高纯氧化物杂质元素测定", "Impurities in high-purity oxides"),
    ("研究生课题样品测试", "Samples for a graduate thesis"),
    ("国家自然科学基金项目样品分析", "Samples of an NSFC project"),
    ("企业委托检测", "Contract testing for a company"),
    ("方法开发与验证", "Method development and validation"),
    ("细胞样品检测", "Cell samples"),
    ("环境样品分析", "Environmental samples"),
]
PROJECT_CODES = ["NSFC-22175031", "MOST-2023YFA1501", "NMGKJ-2024ZD12", "BTKJ-2025-017", "", "", ""]
REFUSALS = [
    "该时段仪器已安排教学实验，请改约其他时间。 The instrument is reserved for teaching then; pick another time.",
    "样品类型不适用于本仪器，建议委托测试。 This sample type does not suit the instrument; please send samples.",
    "申请人尚未完成安全培训。 The requester has not completed the safety training yet.",
    "仪器计划维护，暂停开放。 Maintenance is planned for that time.",
]
PROVIDER_CANCELS = [
    "仪器故障，需厂家维修。 The instrument failed and awaits the manufacturer's engineer.",
    "停电检修。 Planned power outage in the building.",
]
REQUESTER_CANCELS = ["样品未按时制备好。 Samples not ready.", "课题计划调整。 Plans changed.", ""]
GOOD_TAGS = [["专业", "professional"], ["准时", "on time"], ["数据可靠", "reliable data"], ["耐心指导", "helpful"]]
BAD_TAGS = [["响应慢", "slow to answer"], ["仪器状态差", "instrument in poor condition"]]
REQUESTER_GOOD_TAGS = [["守时", "punctual"], ["操作规范", "careful"], ["样品规范", "well-prepared samples"]]
REQUESTER_BAD_TAGS = [["迟到", "late"], ["操作不规范", "careless operation"], ["未清理", "left a mess"]]
INCIDENTS = [
    ("damage", "general", "3000", "样品台划伤，更换样品台。 Sample stage scratched; the stage was replaced."),
    ("misuse", "minor", "0", "未按规程关闭真空系统。 The vacuum system was not shut down by the procedure."),
    ("damage", "minor", "800", "进样针弯折。 The autosampler needle was bent."),
    ("misuse", "general", "0", "超出培训范围擅自修改仪器参数。 Instrument parameters changed beyond the training."),
    (
        "damage",
        "serious",
        "48000",
        "违规操作导致探测器损坏。 The detector was destroyed by operating against the rules.",
    ),
]
CONTESTS = [
    "划痕在使用前已存在，登记时已告知值班老师。 The scratch was there before; I told the staff at check-in.",
    "操作均按培训要求进行。 I followed the procedure I was trained in.",
]


@dataclass
class Person:
    user: object
    unit: Unit
    kind: str  # reliable | careless | dishonest
    activity: float


@dataclass
class Provider:
    unit: Unit
    admin: object
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


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@contextmanager
def _fast_writes():
    """What makes a year of history quick to write without changing what is written:

    - the past's notifications are not sent: the outbox's enqueue writes no message (no mail, robot or
      webhook for last spring; the per-event recomputes are replaced by the nightly full runs);
    - `full_clean()` does not re-check the models' database constraints with a query of its own: the
      database checks every one of them on save anyway (a violation would abort the seeding);
    - queries are not logged for the debug toolbar (DEBUG).
    """
    from django.db.models import Model
    from django.test.utils import override_settings

    with (
        mock.patch("sharing_platform.outbox.services.message_enqueue", return_value=None),
        mock.patch.object(Model, "validate_constraints", return_value=None),
        override_settings(DEBUG=False),
    ):
        yield


class History:
    def __init__(self, *, now: datetime, clock: Clock, rng: random.Random, units: list[Unit], admin, scale: float):
        self.scale = scale
        self.now = now
        self.today = timezone.localdate(now)
        self.start = now - timedelta(days=DAYS)
        self.clock = clock
        self.rng = rng
        self.units = units
        self.admin = admin
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.sequence = itertools.count()
        self.summary = HistorySummary()
        self.providers: dict[int, Provider] = {}
        self.people: list[Person] = []
        self.qualified: set[tuple[int, int]] = set()
        self.busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.serious = 0
        self.treatments: Counter = Counter()
        self.user_model = get_user_model()

    # --- the event queue ---------------------------------------------------------------------

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
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

    # --- people --------------------------------------------------------------------------------

    def _user(self, username: str, joined: datetime, *, password: str | None = None):
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
                admin, speed, cancel, quality = provider_admin, "fast", 0.0, 4.8
            else:
                admin = self._user(f"unit-admin-{index + 1:02d}", self._joined())
                Membership.objects.create(user=admin, unit=unit, role=Membership.Role.ADMIN)
                speed = "slow" if self.rng.random() < 0.3 else "fast"
                cancel = self.rng.choice([0.0, 0.0, 0.005, 0.01, 0.03, 0.08, 0.15])
                quality = self.rng.choice([4.7, 4.5, 4.3, 4.0, 3.6, 3.0, 2.4])
            self.providers[unit.pk] = Provider(unit, admin, speed, cancel, quality)
        researcher = users.get(username="researcher")
        self.people.append(Person(researcher, self.units[RESEARCHER_UNIT_INDEX], "reliable", 6.0))
        blacklisted = self._user(BLACKLISTED_USERNAME, self._joined(), password=PASSWORD)
        unit = self.units[BLACKLISTED_UNIT_INDEX]
        Membership.objects.create(user=blacklisted, unit=unit, role=Membership.Role.MEMBER)
        self.people.append(Person(blacklisted, unit, "blacklisted", 3.0))
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
                        instrument.unit_id == self.units[PROVIDER_UNIT_INDEX].pk and self.rng.random() < 0.5
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
            if instrument.unit_id == self.units[PROVIDER_UNIT_INDEX].pk or self.rng.random() < 0.6
        ]
        return active

    # --- bookings ------------------------------------------------------------------------------

    def plan_bookings(self, active: list[Instrument]) -> None:
        """Who books what when: weekdays in office hours, made a few days ahead."""
        weights = [person.activity for person in self.people]
        popularity = {
            instrument.pk: (3.0 if instrument.unit_id == self.units[PROVIDER_UNIT_INDEX].pk else 1.0)
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
                start = _at(day, self.rng.choice([8, 9, 10, 13, 14, 15]), self.rng.choice([0, 30]))
                if any(
                    start < end and start + timedelta(hours=hours) > begin for begin, end in self.busy[instrument.pk]
                ):
                    continue
                self.busy[instrument.pk].append((start, start + timedelta(hours=hours)))
                lead = timedelta(days=self.rng.choice([1, 2, 3, 5, 7, 10]), hours=self.rng.randrange(0, 8))
                made = start - lead
                if made > self.now:  # the coming weeks: booked in the last days
                    made = self.now - timedelta(hours=self.rng.uniform(1, 96))
                self.at(made, self._request(person, instrument, start, hours))

    def _request(self, person: Person, instrument: Instrument, start: datetime, hours: int):
        def action():
            provider = self.providers[instrument.unit_id]
            if instrument.requires_qualification and (instrument.pk, person.user.pk) not in self.qualified:
                booking_services.qualification_grant(
                    instrument=instrument, user=person.user, actor=provider.admin, now=self.clock.now()
                )
                self.qualified.add((instrument.pk, person.user.pk))
            purpose_zh, purpose_en = self.rng.choice(PURPOSES)
            try:
                booking = booking_services.booking_create(
                    instrument=instrument,
                    requester=person.user,
                    start=start,
                    end=start + timedelta(hours=hours),
                    purpose=f"{purpose_zh} / {purpose_en}",
                    project_code=self.rng.choice(PROJECT_CODES),
                    operator_assisted=instrument.pk in self.assisted and self.rng.random() < 0.4,
                    requester_unit=person.unit,
                    now=self.clock.now(),
                )
            except DomainError:
                self.summary.refused_by_rules += 1
                return
            self.summary.bookings += 1
            if booking.state == BookingState.REQUESTED:
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
        if (
            booking.start > self.now
            and provider.unit.pk == self.units[PROVIDER_UNIT_INDEX].pk
            and self.rng.random() < 0.5
        ):
            return  # waits for the `provider` account to decide
        refuse = self.rng.random() < (0.25 if person.kind == "dishonest" else 0.07)

        def action():
            if refuse:
                booking_services.booking_refuse(
                    booking_id=booking.pk, actor=provider.admin, reason=self.rng.choice(REFUSALS), now=moment
                )
                return
            booking_services.booking_approve(booking_id=booking.pk, actor=provider.admin, now=moment)
            self._after_approval(booking, person, provider)

        self.at(moment, action)

    def _after_approval(self, booking: Booking, person: Person, provider: Provider) -> None:
        """What happens to an approved booking: used, cancelled (on time, late, by the provider) or a no-show."""
        rng = self.rng
        start = booking.start
        kind = person.kind
        no_show = {"reliable": 0.01, "careless": 0.08, "dishonest": 0.25, "blacklisted": 0.35}[kind]
        late_cancel = {"reliable": 0.02, "careless": 0.07, "dishonest": 0.12, "blacklisted": 0.2}[kind]
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
            overrun = {"careless": 0.1, "dishonest": 0.3, "blacklisted": 0.4}[kind]
            actual = booked * (rng.uniform(0.25, 0.45) if rng.random() < overrun else rng.uniform(0.6, 1.0))
        hours = Decimal(str(round(actual * 4) / 4 or 0.25))
        if booking.operator_assisted:
            # The provider's operator runs the samples and closes the booking with the hours used.
            finish = booking.start + timedelta(hours=float(hours))

            def complete():
                booking_services.booking_complete(
                    booking_id=booking.pk, actor=provider.admin, actual_hours=hours, now=finish
                )
                self._reviews(booking, person, provider, finish)

            self.at(finish, complete)
            return
        late = {"reliable": 0.05, "careless": 0.3, "dishonest": 0.3, "blacklisted": 0.4}[kind]
        minutes = rng.randrange(20, 50) if rng.random() < late else rng.randrange(-20, 10)
        check_in = booking.start + timedelta(minutes=minutes)
        check_out = check_in + timedelta(hours=float(hours))
        self.at(check_in, lambda: booking_services.booking_check_in(booking_id=booking.pk, actor=person.user,
                                                                    now=check_in))  # fmt: skip

        def check_out_action():
            booking_services.booking_check_out(
                booking_id=booking.pk, actor=person.user, actual_hours=hours, now=check_out
            )
            self._reviews(booking, person, provider, check_out)
            self._maybe_incident(booking, person, provider, check_out)

        self.at(check_out, check_out_action)

    def _reviews(self, booking: Booking, person: Person, provider: Provider, finished: datetime) -> None:
        rng = self.rng
        if rng.random() < 0.55:
            stars = max(1, min(5, round(rng.gauss(provider.quality, 0.6))))
            tags = rng.choice(GOOD_TAGS if stars >= 4 else BAD_TAGS)
            self.at(finished + timedelta(hours=rng.uniform(1, 60)), lambda: self._review(booking, person.user,
                                                                                         stars, tags))  # fmt: skip
        if rng.random() < 0.45:
            mean = {"reliable": 4.7, "careless": 3.4, "dishonest": 2.6, "blacklisted": 2.2}[person.kind]
            stars = max(1, min(5, round(rng.gauss(mean, 0.6))))
            tags = rng.choice(REQUESTER_GOOD_TAGS if stars >= 4 else REQUESTER_BAD_TAGS)
            self.at(finished + timedelta(hours=rng.uniform(1, 60)), lambda: self._review(booking, provider.admin,
                                                                                         stars, tags))  # fmt: skip

    def _review(self, booking: Booking, author, stars: int, tags: list[str]) -> None:
        booking_services.review_create(booking_id=booking.pk, author=author, stars=stars, tags=tags,
                                       now=self.clock.now())  # fmt: skip
        self.summary.reviews += 1

    def _maybe_incident(self, booking: Booking, person: Person, provider: Provider, finished: datetime) -> None:
        rng = self.rng
        chance = {"reliable": 0.004, "careless": 0.06, "dishonest": 0.2, "blacklisted": 0.15}[person.kind]
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

        def report():
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

    def _recent_dispute(self) -> None:
        """A week ago the `provider` reported damage after a careless user's booking; the user contests it:
        the dispute waits for the platform admin."""
        people = {person.user.pk: person for person in self.people if person.kind in ("careless", "dishonest")}
        recent = Booking.objects.filter(
            instrument__unit=self.units[PROVIDER_UNIT_INDEX], state=BookingState.COMPLETED, incidents__isnull=True
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
        reason = (
            "值班记录与照片证实了损坏情况。 The duty log and photographs confirm the report."
            if upheld
            else "使用前的检查记录已注明该问题，不能归责于申请人。 The pre-use check already noted it."
        )
        moment = self.clock.now() + timedelta(days=self.rng.uniform(2, 8))
        self.at(
            moment,
            lambda: booking_services.dispute_decide(
                dispute_id=dispute.pk, actor=self.admin, decision=decision, reason=reason, now=moment
            ),
        )

    # --- units: endorsements and a partner's reports --------------------------------------------

    def plan_endorsements(self) -> None:
        pairs = set()
        while len(pairs) < 40:
            a, b = self.rng.sample(range(len(self.units)), 2)
            pairs.add((a, b))
        pairs.add((2, PROVIDER_UNIT_INDEX))
        pairs.add((7, PROVIDER_UNIT_INDEX))
        for a, b in sorted(pairs):
            endorser, endorsed = self.units[a], self.units[b]
            moment = self.start + timedelta(days=self.rng.randrange(0, DAYS - 5), hours=10)
            kind = self.rng.choice(["collaboration", "collaboration", "supervision"])

            def endorse(endorser=endorser, endorsed=endorsed, kind=kind):
                credit_services.endorsement_create(
                    endorser=endorser, endorsed=endorsed, by=self.providers[endorser.pk].admin, kind=kind,
                    note="长期合作共享仪器。 Long-standing partner in sharing instruments.",
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

                def report(unit=unit, score=score, moment=moment, number=number):
                    partner_credit_report_submit(
                        partner=partner, source=PARTNER_SOURCE, score=score, range_min=Decimal(0),
                        range_max=Decimal(100), reported_at=moment, expires_at=moment + timedelta(days=365),
                        unit_credit_code=unit.credit_code, reference=f"IMSC-{moment:%Y%m}-{number:03d}", now=moment,
                    )  # fmt: skip
                    self.summary.external_reports += 1

                self.at(moment, report)
        for person in self.people[:60]:
            score = Decimal({"reliable": 90, "careless": 70, "dishonest": 45, "blacklisted": 40}[person.kind])
            moment = self.start + timedelta(days=self.rng.randrange(60, DAYS - 10), hours=15)

            def report_user(person=person, score=score, moment=moment):
                partner_credit_report_submit(
                    partner=partner, source=PARTNER_SOURCE, score=score, range_min=Decimal(0),
                    range_max=Decimal(100), reported_at=moment, expires_at=moment + timedelta(days=365),
                    user_id=person.user.pk, reference=f"IMSC-P-{person.user.pk}", now=moment,
                )  # fmt: skip
                self.summary.external_reports += 1

            self.at(moment, report_user)

    # --- nights: billing, credit runs, moderation ----------------------------------------------

    def plan_nights(self) -> None:
        day = self.start.date() + timedelta(days=1)
        while day <= self.today:
            if day.weekday() == 0 or day == self.today:
                self.at(_at(day, 1), self._sweep)
            if day.day == 1:
                self.at(_at(day, 2), self._nightly_credit)
                self.at(_at(day, 9), self._monthly_statements)
            day += timedelta(days=1)
        self.at(self.now - timedelta(minutes=5), self._nightly_credit)
        # Two months ago the same happened and the admin has decided it (whatever the random draws gave).
        self.at(self.now - timedelta(days=60), self._recent_dispute)
        self.at(self.now - timedelta(days=8), self._recent_dispute)

    def _sweep(self) -> None:
        billing_services.statements_mark_overdue(now=self.clock.now())
        credit_services.list_entries_expire(now=self.clock.now())

    def _nightly_credit(self) -> None:
        moment = self.clock.now()
        recompute_all(as_of=moment)
        credit_services.list_entries_expire(now=moment)
        proposals = credit_services.list_entries_propose(as_of=moment)
        credit_services.trusted_badges_review(as_of=moment)
        for entry in proposals:
            if moment > self.now - timedelta(days=MODERATION_QUIET_DAYS):
                continue  # waits in the moderation queue
            self.at(moment + timedelta(days=self.rng.uniform(1, 4), hours=8), lambda entry=entry: self._moderate(entry))

    def _moderate(self, entry: ListEntry) -> None:
        entry.refresh_from_db()
        if entry.status != ListEntry.Status.PROPOSED:
            return
        now = self.clock.now()
        if entry.list_type == ListEntry.List.RED:
            credit_services.list_entry_confirm(
                entry=entry, moderator=self.admin,
                reason="守信记录良好，经审核列入红名单。 A consistent record of kept commitments, checked.",
            )  # fmt: skip
            return
        blacklisted = entry.subject_user_id and entry.subject_user.username == BLACKLISTED_USERNAME
        treatment = "blacklisted" if blacklisted else self._treatment(entry, now)
        if treatment == "reject":
            credit_services.list_entry_reject(
                entry=entry, moderator=self.admin,
                reason="失约均因仪器方原因，核实后不予列入。 The provider caused the missed bookings; not listed.",
            )  # fmt: skip
            return
        reason = (
            "一年内多次失约、迟到取消或超量占用，经核实列入黑名单。 "
            "Repeated no-shows, late cancellations or overruns within a year, verified."
        )
        if treatment == "expire":
            credit_services.list_entry_confirm(
                entry=entry, moderator=self.admin, reason=reason, severity="minor", expires_at=now + timedelta(days=60)
            )
            return
        if treatment == "blacklisted":  # a year, the longest a general entry may last: still on the list today
            credit_services.list_entry_confirm(
                entry=entry, moderator=self.admin, reason=reason, expires_at=now + timedelta(days=364)
            )
        else:
            credit_services.list_entry_confirm(entry=entry, moderator=self.admin, reason=reason)
        entry.refresh_from_db()
        subject_user = entry.subject_user or self.providers[entry.subject_unit_id].admin
        if treatment == "repair":
            request_at = entry.published_at + timedelta(days=95)
            self.at(request_at, lambda: self._repair(entry, subject_user))
        elif treatment == "dismissed":
            self.at(now + timedelta(days=6), lambda: self._objection(entry, subject_user, decide=True))
        elif treatment == "blacklisted":
            self.at(self.now - timedelta(days=2), lambda: self._objection(entry, subject_user, decide=False))

    def _treatment(self, entry: ListEntry, now: datetime) -> str:
        """How the admin handles a black proposal: the first ones so that the demo shows an entry that
        expired, one repaired, one objected to in vain; then mostly published, some rejected."""
        general = entry.severity == "general"
        if general and "expire" not in self.treatments and now < self.now - timedelta(days=75):
            choice = "expire"
        elif general and "repair" not in self.treatments and now < self.now - timedelta(days=110):
            choice = "repair"
        elif "dismissed" not in self.treatments:
            choice = "dismissed"
        else:
            choice = "reject" if self.treatments["black"] % 4 == 3 else "plain"
        self.treatments[choice] += 1
        self.treatments["black"] += 1
        return choice

    def _repair(self, entry: ListEntry, user) -> None:
        repair = credit_services.repair_request_submit(
            entry=entry, user=user, commitment_signed=True,
            proof_text="已参加平台诚信培训并签署信用承诺书，此后预约全部按时履约。 "
            "Took the platform's credit training and signed the commitment; every booking since was kept.",
        )  # fmt: skip
        self.at(self.clock.now() + timedelta(days=3), lambda: credit_services.repair_request_decide(
            repair=repair, admin=self.admin, granted=True,
            reason="整改材料属实，准予信用修复。 The correction is proven; credit repair granted.",
        ))  # fmt: skip

    def _objection(self, entry: ListEntry, user, *, decide: bool) -> None:
        appeal = credit_services.appeal_submit(
            entry=entry, user=user,
            reason="部分失约系课题组统一调整计划所致，且已提前电话告知仪器方。 "
            "Some of the missed bookings followed a change of the group's plans, and I phoned the provider ahead.",
        )  # fmt: skip
        if decide:
            self.at(self.clock.now() + timedelta(days=4), lambda: credit_services.appeal_decide(
                appeal=appeal, admin=self.admin, upheld=False,
                reason="预约系统记录显示未提前取消，异议不成立。 The records show no cancellation in time.",
            ))  # fmt: skip

    def _monthly_statements(self) -> None:
        issued = billing_services.statements_issue_monthly(now=self.clock.now())
        self.summary.statements += len(issued)
        for statement in Statement.objects.filter(pk__in=issued).select_related("payer_unit"):
            self._pay(statement)

    def _pay(self, statement: Statement) -> None:
        rng = self.rng
        issued = statement.issued_at
        due = _at(statement.due_date, 17)
        habit = 0.35 if statement.payer_unit.kind == Unit.Kind.ENTERPRISE else 0.12
        if rng.random() < habit:
            paid = due + timedelta(days=rng.randrange(3, 25), hours=rng.randrange(0, 6))
        else:
            paid = issued + timedelta(days=rng.randrange(3, 26), hours=rng.randrange(0, 6))
        provider = self.providers[statement.provider_unit_id].admin

        def pay():
            billing_services.payment_record(
                statement_id=statement.pk, actor=provider, amount=statement.total,
                paid_on=timezone.localdate(paid), reference=f"DEMO-{statement.reference}", now=paid,
            )  # fmt: skip

        self.at(paid, pay)


def history_present() -> bool:
    return get_user_model().objects.filter(username=BLACKLISTED_USERNAME).exists()


def demo_history_seed(*, now: datetime | None = None, scale: float = DEFAULT_SCALE) -> HistorySummary:
    """Write the year of activity after demo_seed(); a second run finds it and does nothing."""
    import time as monotonic

    from instruments.demo_data import demo_units

    began = monotonic.monotonic()
    if history_present():
        return HistorySummary(skipped=True)
    now = now or timezone.now()
    units = demo_units()
    admin = get_user_model().objects.get(username="admin")
    rng = random.Random(SEED)
    with _fast_writes(), settable_clock(now) as clock, transaction.atomic():
        history = History(now=now, clock=clock, rng=rng, units=units, admin=admin, scale=scale)
        history.setup_people()
        active = history.setup_instruments()
        history.plan_bookings(active)
        history.plan_endorsements()
        history.plan_external_reports()
        history.plan_nights()
        history.run()
        clock.set(now)
    summary = history.summary
    demo = Booking.objects.filter(instrument__unit__in=units)
    summary.by_state = Counter(demo.values_list("state", flat=True))
    summary.list_entries = Counter(ListEntry.objects.values_list("status", flat=True))
    summary.seconds = monotonic.monotonic() - began
    return summary
