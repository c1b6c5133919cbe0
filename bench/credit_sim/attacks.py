"""The production attacks of issue 18, replayed through the real services, each in a savepoint rolled back.

Each scenario builds its own small world (units, people, an instrument and its manager) at the real time,
acts through the booking, instrument, incident, dispute and list services exactly as the attacker would,
scores the subjects with the per-subject recompute and asks the proposal run about them. It reports what
happened and the attacker's gain in points (or the victim's loss, for attacks on someone else), and whether
the target holds: "each attack gains the attacker less than 20 points or is refused". Defences merged later
(contestable facts, a person behind the account, a rate-based violation rule) show here without a change,
as long as the services keep their names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from bookings import services as bookings
from bookings.models import BookingState, ContestableFact, Incident
from credit import params
from credit.models import CreditEvent, ListEntry, subject_key_for
from credit.recompute import recompute_subject
from credit.selectors import credit_standing_for_user
from credit.services import credit_event_record, list_entries_propose, list_entry_confirm
from identity.persons import person_vouch
from instruments.models import Instrument, InstrumentCategory, Membership, Region, Unit
from instruments.services.instruments import instrument_update
from instruments.validators import uscc_build
from sharing_platform.errors import DomainError

K = CreditEvent.Kind
GAIN_LIMIT = 20


class World:
    """Small factories for one scenario, at the real time (every booking a few days ahead)."""

    def __init__(self, tag: str):
        self.tag = tag
        self.n = 0
        self.now = timezone.now()

    def _next(self) -> int:
        self.n += 1
        return self.n

    def unit(self, *, verified: bool = True) -> Unit:
        n = self._next()
        number = 800_000_000 + (abs(hash(self.tag)) % 1000) * 1000 + n
        return Unit.objects.create(
            name=f"攻击单位{number}", name_en=f"Attack unit {number}", kind=Unit.Kind.UNIVERSITY,
            credit_code=uscc_build(f"12310000{number:09d}"), region=Region.objects.get(code="310000"),
            status=Unit.Status.VERIFIED if verified else Unit.Status.PENDING,
        )  # fmt: skip

    def person(self, unit: Unit, role: str = Membership.Role.MEMBER, *, staff: bool = False):
        n = self._next()
        user = get_user_model().objects.create(
            username=f"attack-{self.tag}-{n}", email=f"attack-{self.tag}-{n}@example.org", is_staff=staff,
            password="!attack-no-login", date_joined=self.now - timedelta(days=400),  # noqa: S106
        )  # fmt: skip
        Membership.objects.create(user=user, unit=unit, role=role)
        return user

    def provider(self):
        """A unit with a manager and one instrument: (unit, manager, instrument)."""
        unit = self.unit()
        manager = self.person(unit, Membership.Role.MANAGER)
        n = self._next()
        instrument = Instrument.objects.create(
            unit=unit, category=InstrumentCategory.objects.order_by("pk").first(), asset_number=f"ATK{n:06d}",
            name=f"攻击仪器 {n}", name_en=f"Attack instrument {n}", model_number="A", manufacturer="A",
            country_of_origin="China", original_value=Decimal("1000000.00"), location="A",
            hourly_rate_internal=Decimal("100.00"), hourly_rate_external=Decimal("200.00"), deposit=Decimal("0.00"),
        )  # fmt: skip
        return unit, manager, instrument

    def slot(self, days: int, hours: int = 4) -> tuple[datetime, datetime]:
        start = timezone.localtime(self.now).replace(hour=9, minute=0, second=0, microsecond=0)
        start += timedelta(days=days)
        return start, start + timedelta(hours=hours)

    def history(self, user, kept: int = 4, **faults: int) -> None:
        """A past record: `kept` bookings kept at distinct providers, and faults of the given kinds."""
        facts = [(K.BOOKING_FULFILLED, n, 60) for n in range(kept)]
        facts += [(kind, n, 30) for kind, count in faults.items() for n in range(count)]
        for kind, n, days_ago in facts:
            credit_event_record(
                subject=user, kind=kind, source="booking", counterparty=self.unit(), source_ref=f"history-{kind}:{n}",
                occurred_at=self.now - timedelta(days=days_ago + n),
            )  # fmt: skip

    def book(self, user, instrument, manager, *, days: int):
        start, end = self.slot(days)
        asked = self.now if days >= 2 else start - timedelta(days=1)  # a booking in the past was asked before it
        booking = bookings.booking_create(instrument=instrument, requester=user, start=start, end=end,
                                          purpose="Attack", now=asked)  # fmt: skip
        if booking.state == BookingState.REQUESTED:
            bookings.booking_approve(booking_id=booking.pk, actor=manager, now=asked + timedelta(hours=1))
        return booking

    def kept(self, user, instrument, manager, *, days: int, stars: int | None = None):
        booking = self.book(user, instrument, manager, days=days)
        bookings.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
        bookings.booking_check_out(booking_id=booking.pk, actor=user, now=booking.end)
        if stars:
            later = booking.end + timedelta(hours=1)
            bookings.review_create(booking_id=booking.pk, author=user, stars=stars, now=later)
            bookings.review_create(booking_id=booking.pk, author=manager, stars=stars, now=later)
        return booking

    def no_show(self, user, instrument, manager, *, days: int):
        booking = self.book(user, instrument, manager, days=days)
        bookings.booking_record_no_show(booking_id=booking.pk, actor=manager, now=booking.start + timedelta(hours=1))
        return booking

    def settle(self, days: int) -> None:
        """One-sided facts wait for their window to contest (issue 18.1): record those due by then."""
        bookings.contestable_facts_record_due(now=self.now + timedelta(days=days))

    def same_person(self, admin, unit: Unit, *accounts) -> None:
        """The unit's admin vouches for each account with the same staff number (issue 18.2)."""
        for account in accounts:
            person_vouch(actor=admin, user=account, unit=unit, display_name="Attacker", staff_number=" s-0042 ")

    def score(self, subject, *, days: int = 60) -> int:
        self.settle(days)
        snapshot = recompute_subject(subject_key_for(subject), as_of=self.now + timedelta(days=days))
        return snapshot.score if snapshot is not None else 0

    def proposed(self, *subjects, days: int = 60) -> bool:
        keys = [subject_key_for(s) for s in subjects]
        self.settle(days)
        list_entries_propose(as_of=self.now + timedelta(days=days), subject_keys=keys)
        return ListEntry.objects.filter(subject_key__in=keys, list_type=ListEntry.List.BLACK).exists()


def understated_hours(w: World) -> dict:
    """A provider states 1 of 4 used hours on three bookings; the user contests each fact within its window."""
    home = w.unit()
    user = w.person(home)
    w.history(user, kept=5)
    _unit, manager, instrument = w.provider()
    before = w.score(user)
    refused_without_reason = 0
    for n in range(3):
        booking = w.book(user, instrument, manager, days=2 + n)
        bookings.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
        try:
            bookings.booking_complete(booking_id=booking.pk, actor=manager, actual_hours="1", now=booking.end)
        except DomainError:
            refused_without_reason += 1
            bookings.booking_complete(
                booking_id=booking.pk, actor=manager, actual_hours="1", reason="Stopped early.", now=booking.end
            )
        for fact in ContestableFact.objects.filter(booking=booking, state=ContestableFact.State.PENDING):
            bookings.fact_contest(fact_id=fact.pk, actor=user, reason="I used all four hours.", now=booking.end)
    after = w.score(user)
    recorded = CreditEvent.objects.filter(subject_key=subject_key_for(user), kind=K.USAGE_OVERRUN).count()
    proposed = w.proposed(user)
    loss = before - after
    return {
        "result": f"user {before} -> {after}; corrections without a reason refused: {refused_without_reason}/3; "
        f"{recorded} overruns on the ledger after contesting; black-list proposal: {'yes' if proposed else 'no'}",
        "gain": loss, "met": loss < GAIN_LIMIT and not proposed,
    }  # fmt: skip


def fresh_account_after_black_list(w: World) -> dict:
    """A black-listed person opens a new account in the same verified unit and books once."""
    home = w.unit()
    admin = w.person(home, Membership.Role.ADMIN)
    old = w.person(home)
    w.same_person(admin, home, old)
    w.history(old, kept=4, **{K.NO_SHOW: 3})
    # A serious misuse (intentional) proposes at once; a serious damage would only warn first (issue 18.8).
    credit_event_record(
        subject=old, kind=K.MISUSE_CONFIRMED, source="booking", counterparty=w.unit(), source_ref="history-misuse",
        severity="serious", occurred_at=w.now - timedelta(days=20),
    )  # fmt: skip
    moderator = w.person(w.unit(), staff=True)
    w.proposed(old, days=0)
    for entry in ListEntry.objects.filter(subject_key=subject_key_for(old), list_type=ListEntry.List.BLACK):
        list_entry_confirm(entry=entry, moderator=moderator, reason="Serious misuse confirmed.")
    old_score = w.score(old, days=0)
    new = w.person(home)
    w.same_person(admin, home, new)  # the unit's admin vouches for the new account: the same staff number
    first = w.score(new, days=0)
    _unit, manager, instrument = w.provider()
    try:
        w.kept(new, instrument, manager, days=2)
    except DomainError as error:
        return {"result": f"new account refused: {error}", "gain": None, "met": True}
    after = w.score(new, days=10)
    waived = credit_standing_for_user(new).deposit_waived
    gain = after - old_score
    return {
        "result": f"listed account {old_score}; new account starts {first} ({params.tier_for(first)}), "
        f"{after} ({params.tier_for(after)}) after one kept booking; deposit waived: {'yes' if waived else 'no'}",
        "gain": gain, "met": gain < GAIN_LIMIT,
    }  # fmt: skip


def violations_over_three_accounts(w: World) -> dict:
    """One person's three no-shows, one on each of three accounts, at three providers within a month."""
    home = w.unit()
    accounts = [w.person(home) for _ in range(3)]
    w.same_person(w.person(home, Membership.Role.ADMIN), home, *accounts)
    single = w.person(home)
    for user in [*accounts, single]:
        w.history(user, kept=4)
    for n, user in enumerate(accounts):
        _unit, manager, instrument = w.provider()
        w.no_show(user, instrument, manager, days=2 + 10 * n)
    for n in range(3):
        _unit, manager, instrument = w.provider()
        w.no_show(single, instrument, manager, days=2 + 10 * n)
    best = max(w.score(u) for u in accounts)
    single_score = w.score(single)
    spread_proposed = w.proposed(*accounts)
    single_proposed = w.proposed(single)
    gain = best - single_score
    return {
        "result": f"best of the three accounts {best} vs {single_score} for the same no-shows on one account; "
        f"proposed: spread {'yes' if spread_proposed else 'no'}, one account {'yes' if single_proposed else 'no'}",
        "gain": gain, "met": spread_proposed or gain < GAIN_LIMIT,
    }  # fmt: skip


def internal_self_dealing(w: World) -> dict:
    """A unit books its own instrument for a member with 2 no-shows, six times, five stars both ways."""
    unit = w.unit()
    manager = w.person(unit, Membership.Role.MANAGER)
    member = w.person(unit)
    w.history(member, kept=0, **{K.NO_SHOW: 2})
    _other, _m, instrument = w.provider()
    instrument.unit = unit
    instrument.save(update_fields=["unit"])
    before = w.score(member)
    for n in range(6):
        w.kept(member, instrument, manager, days=2 + n, stars=5)
    after = w.score(member)
    return {"result": f"member {before} -> {after}", "gain": after - before, "met": after - before < GAIN_LIMIT}


def maintenance_toggling(w: World) -> dict:
    """The provider sets the instrument to maintenance, refuses a request made before, sets it back."""
    unit, manager, instrument = w.provider()
    user = w.person(w.unit())
    w.history(user, kept=4)
    before = w.score(unit)
    booking = bookings.booking_create(instrument=instrument, requester=user, start=w.slot(3)[0], end=w.slot(3)[1],
                                      purpose="Attack", now=w.now)  # fmt: skip
    instrument_update(actor=manager, instrument=instrument, status=Instrument.Status.MAINTENANCE)
    bookings.booking_refuse(booking_id=booking.pk, actor=manager, reason="Under maintenance.",
                            now=w.now + timedelta(hours=1))  # fmt: skip
    instrument_update(actor=manager, instrument=instrument, status=Instrument.Status.AVAILABLE)
    kind = CreditEvent.objects.get(source_ref=f"booking:{booking.pk}", kind__startswith="refusal").kind
    gain = w.score(unit) - before
    return {"result": f"refusal recorded as {kind}; provider {before} -> {before + gain}", "gain": gain,
            "met": kind == K.REFUSAL_UNJUSTIFIED}  # fmt: skip


def refusal_of_damaged_user(w: World) -> dict:
    """A provider refuses a user with a confirmed general damage at another provider (the seeds' right)."""
    user = w.person(w.unit())
    w.history(user, kept=4)
    _u, other_manager, other_instrument = w.provider()
    booking = w.book(user, other_instrument, other_manager, days=-5)  # the damage, five days ago
    bookings.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
    incident = bookings.incident_report(booking_id=booking.pk, reporter=other_manager, kind=Incident.Kind.DAMAGE,
                                        severity="general", description="Stage bent.")  # fmt: skip
    bookings.incident_confirm(incident_id=incident.pk, actor=user, now=booking.start + timedelta(hours=1))
    unit, manager, instrument = w.provider()
    request = bookings.booking_create(instrument=instrument, requester=user, start=w.slot(9)[0], end=w.slot(9)[1],
                                      purpose="Attack", now=w.now)  # fmt: skip
    before = w.score(unit)
    bookings.booking_refuse(booking_id=request.pk, actor=manager, reason="Damaged an instrument elsewhere.",
                            now=w.now + timedelta(hours=1))  # fmt: skip
    kind = CreditEvent.objects.get(source_ref=f"booking:{request.pk}", kind__startswith="refusal").kind
    loss = before - w.score(unit)
    return {"result": f"refusal recorded as {kind}", "gain": loss, "met": kind == K.REFUSAL_JUSTIFIED}


def _incident_upheld(w: World, reported: str) -> tuple[object, int, int, bool]:
    """A kept booking, then the provider reports damage at `reported`; the user contests; an admin upholds it
    at "minor" (when the dispute decision can set a severity). (user, score before, score after, decided minor)."""
    user = w.person(w.unit())
    w.history(user, kept=6)
    admin = w.person(w.unit(), staff=True)
    _unit, manager, instrument = w.provider()
    booking = w.kept(user, instrument, manager, days=2)
    before = w.score(user)
    incident = bookings.incident_report(booking_id=booking.pk, reporter=manager, kind=Incident.Kind.DAMAGE,
                                        severity=reported, description="A scratch.")  # fmt: skip
    dispute = bookings.incident_contest(incident_id=incident.pk, actor=user, reason="A scratch, not serious.",
                                        now=booking.end + timedelta(hours=2))  # fmt: skip
    decide: Callable = bookings.dispute_decide
    extra = {"severity": "minor"} if "severity" in inspect.signature(decide).parameters else {}
    decide(dispute_id=dispute.pk, actor=admin, decision="upheld", reason="It happened; it is minor.",
           now=booking.end + timedelta(days=1), **extra)  # fmt: skip
    return user, before, w.score(user), bool(extra)


def serious_incident_upheld(w: World) -> dict:
    """The provider reports a minor mishap as "serious"; the user contests; an admin upholds it. The attacker's
    gain is the victim's loss beyond what the same mishap reported honestly as "minor" costs."""
    user, before, after, minor = _incident_upheld(w, "serious")
    proposed = w.proposed(user)
    _twin, twin_before, twin_after, _minor = _incident_upheld(w, "minor")
    excess = (before - after) - (twin_before - twin_after)
    return {
        "result": f"user {before} -> {after} (the same mishap reported as minor: {twin_before} -> {twin_after}); "
        f"upheld at {'minor' if minor else 'the reported serious'}; black-list proposal: {'yes' if proposed else 'no'}",
        "gain": excess, "met": not proposed and after > params.CAPS["serious"][1] and excess < GAIN_LIMIT,
    }  # fmt: skip


ATTACKS: dict[str, Callable[[World], dict]] = {
    "provider states 1 of 4 used hours on three bookings (victim's loss)": understated_hours,
    "fresh account after being black-listed": fresh_account_after_black_list,
    "one person's violations spread over three accounts": violations_over_three_accounts,
    "unit books its own instrument for a member, five stars both ways": internal_self_dealing,
    "maintenance on, refuse, maintenance off (provider's gain)": maintenance_toggling,
    "refusal of a user with confirmed damage elsewhere (provider's loss)": refusal_of_damaged_user,
    "'serious' incident upheld by an admin (victim's loss)": serious_incident_upheld,
}


def run_attacks() -> dict:
    """Every attack in its own savepoint, rolled back; an attack the services refuse outright is reported so."""
    out = {}
    for n, (name, attack) in enumerate(ATTACKS.items()):
        try:
            with transaction.atomic():
                out[name] = attack(World(f"a{n}"))
                transaction.set_rollback(True)
        except DomainError as error:
            out[name] = {"result": f"refused by the services: {error}", "gain": None, "met": True}
    return out
