"""Reads of the bookings app, with their joins stated: bookings, the provider desk, availability, an
instrument's booking rules, reviews, incidents and disputes. No writes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from credit.selectors import (
    credit_black_list_history,
    credit_confirmed_harm_count,
    credit_standing_for_user,
    credit_tiers_of_users,
)
from instruments.models import Instrument, Membership, Unit
from instruments.permissions import can_manage_instrument, is_platform_admin

from .availability import Slot, open_intervals, slots
from .models import (
    BLOCKING_STATES,
    REMINDER_ACTION,
    WEEKDAYS,
    Blackout,
    Booking,
    BookingEvent,
    BookingPolicy,
    BookingState,
    ContestableFact,
    Dispute,
    Incident,
    OpeningHours,
    Qualification,
    Review,
)
from .permissions import allowed_actions, can_see_requester_tier, can_view_booking
from .policy import (
    REFUSAL_HARM_LOOKBACK,
    QualificationFacts,
    RefusalFacts,
    action_opens_at,
    cancellation_is_late,
    qualification_valid,
    refusal_explanation,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.auth.models import AnonymousUser, User

REVIEW_BLIND_DAYS = 14


def booking_policy_get(instrument: Instrument) -> BookingPolicy:
    """The instrument's policy, or an unsaved one with the defaults (nothing is written on read)."""
    try:
        return instrument.booking_policy
    except BookingPolicy.DoesNotExist:
        return BookingPolicy(instrument=instrument)


def _booking_base() -> QuerySet[Booking]:
    return Booking.objects.select_related("instrument", "instrument__unit", "requester", "requester_unit")


def managed_unit_ids(user: User | AnonymousUser) -> QuerySet:
    """The verified units whose instruments the user runs (a subquery for `unit_id__in=`)."""
    return Membership.objects.managing(user).filter(unit__status=Unit.Status.VERIFIED).values("unit_id")


def booking_list_for(*, user: User, filters: dict | None = None) -> QuerySet[Booking]:
    """Bookings a user may see: their own; as a provider their unit's; platform admins all."""
    queryset = _booking_base()
    if not is_platform_admin(user):
        queryset = queryset.filter(Q(requester=user) | Q(instrument__unit_id__in=managed_unit_ids(user)))
    if filters:
        from .filters import BookingFilter

        queryset = BookingFilter(filters, queryset=queryset).qs
    return queryset.order_by("-created_at", "-id")


def booking_list_mine(*, user: User) -> QuerySet[Booking]:
    return _booking_base().filter(requester=user).order_by("-start", "-id")


def booking_get_for(*, user: User, pk: int) -> Booking | None:
    """The booking if the user may see it, else None (callers answer 404)."""
    booking = _booking_base().filter(pk=pk).first()
    if booking is None or not can_view_booking(user, booking):
        return None
    return booking


def requester_tiers_visible(
    *, user: User, bookings: Iterable[Booking], provider_of: Callable[[Booking], bool] | None = None
) -> dict[int, str]:
    """booking id -> the requester's current credit tier ("" while not scored), for the bookings whose
    requester's tier this user may see (bookings.permissions.can_see_requester_tier); one query for the
    tiers. `provider_of(booking)` may say whether the user provides it, to save a query per row."""
    visible = [
        booking
        for booking in bookings
        if can_see_requester_tier(user, booking, provider=provider_of(booking) if provider_of else None)
    ]
    tiers = credit_tiers_of_users(booking.requester_id for booking in visible)
    return {booking.pk: tiers.get(booking.requester_id, "") for booking in visible}


def booking_history(*, booking: Booking) -> QuerySet[BookingEvent]:
    return booking.events.select_related("actor").order_by("at", "id")


def provider_queue(*, user: User) -> QuerySet[Booking]:
    """Requests waiting for a decision at the units this user manages (all, for platform admins)."""
    queryset = _booking_base().select_related("instrument__booking_policy").filter(state=BookingState.REQUESTED)
    if not is_platform_admin(user):
        queryset = queryset.filter(instrument__unit_id__in=managed_unit_ids(user))
    return queryset.order_by("start", "id")


def provider_upcoming(*, user: User, after: datetime) -> QuerySet[Booking]:
    """Approved bookings starting at or after `after` at the units this user manages (page it)."""
    queryset = (
        _booking_base()
        .select_related("instrument__booking_policy")
        .filter(state=BookingState.APPROVED, start__gte=after)
    )
    if not is_platform_admin(user):
        queryset = queryset.filter(instrument__unit_id__in=managed_unit_ids(user))
    return queryset.order_by("start", "id")


def booking_actions_offered(
    user: User, booking: Booking, *, provider: bool | None = None, now: datetime | None = None
) -> list[dict]:
    """The buttons for this user: each action's name and, when it cannot succeed yet, the time it opens
    (`opens_at`, shown on a disabled button). Reads the instrument's policy (select_related it in lists)."""
    now = now or timezone.now()
    names = allowed_actions(user, booking, provider=provider)
    policy = booking_policy_get(booking.instrument) if {"check-in", "no-show"} & set(names) else None
    return [
        {
            "name": name,
            "opens_at": action_opens_at(action=name, policy=policy, start=booking.start, now=now) if policy else None,
        }
        for name in names
    ]


def cancellation_consequences(*, booking: Booking, user: User, now: datetime | None = None) -> dict:
    """What cancelling this booking now would mean for this user, said before it happens: whether it is late
    (the requester cancelling an approved booking inside the notice window), and the deposit's fate."""
    now = now or timezone.now()
    policy = booking_policy_get(booking.instrument)
    by_requester = booking.requester_id == user.pk
    late = (
        by_requester
        and booking.state == BookingState.APPROVED
        and cancellation_is_late(policy=policy, start=booking.start, now=now)
    )
    deposit_held = booking.deposit_state == "held"
    return {
        "late": late,
        "by_requester": by_requester,
        "notice_hours": policy.cancellation_notice_hours,
        "deposit_held": deposit_held,
        "deposit_forfeited": late and deposit_held,
        "deposit_refunded": deposit_held and not late,
    }


def provider_schedule(*, user: User, day_start: datetime, day_end: datetime) -> QuerySet[Booking]:
    """Approved, in-use and finished bookings of the day at the units this user manages."""
    queryset = (
        _booking_base()
        .select_related("instrument__booking_policy")
        .filter(start__lt=day_end, end__gt=day_start)
        .filter(state__in=[*BLOCKING_STATES, BookingState.COMPLETED, BookingState.NO_SHOW])
    )
    if not is_platform_admin(user):
        queryset = queryset.filter(instrument__unit_id__in=managed_unit_ids(user))
    return queryset.order_by("start", "id")


def user_live_bookings(*, instrument: Instrument, user: User, exclude_pk: int | None = None) -> list[Booking]:
    """The user's bookings of this instrument that count against the policy's per-user limits."""
    queryset = Booking.objects.of_instrument(instrument).live().filter(requester=user).only("id", "start", "end")
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return list(queryset)


def blocking_overlaps(
    *, instrument: Instrument, start: datetime, end: datetime, exclude_pk: int | None = None
) -> QuerySet[Booking]:
    queryset = Booking.objects.of_instrument(instrument).blocking().overlapping(start, end)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset


def weekly_hours(instrument: Instrument) -> list[tuple]:
    return list(OpeningHours.objects.filter(instrument=instrument).values_list("weekday", "opens", "closes"))


def blackouts_between(instrument: Instrument, start: datetime, end: datetime) -> list[Blackout]:
    return list(Blackout.objects.filter(instrument=instrument, start__lt=end, end__gt=start).order_by("start"))


def qualification_facts(instrument: Instrument, user: User) -> QualificationFacts | None:
    row = (
        Qualification.objects.filter(instrument=instrument, user=user)
        .values("granted_at", "last_used_at", "revoked_at")
        .first()
    )
    return QualificationFacts(**row) if row else None


def refusal_facts(booking: Booking) -> RefusalFacts:
    """What decides whether refusing `booking` now is justified (see `policy.refusal_justification`): the
    requester's record as it was when the request was made, a black entry in force now, and a blackout
    over the booking with whether it holds for every booking in it (no approved booking inside it)."""
    requested_at = booking.created_at
    requester = booking.requester
    blackout = (
        Blackout.objects.filter(instrument_id=booking.instrument_id, start__lt=booking.end, end__gt=booking.start)
        .order_by("start", "id")
        .first()
    )
    applies_to_all = (
        blackout is not None
        and not Booking.objects.filter(instrument_id=booking.instrument_id)
        .blocking()
        .overlapping(blackout.start, blackout.end)
        .exclude(pk=booking.pk)
        .exists()
    )
    return RefusalFacts(
        requested_at=requested_at,
        black_list_history_at_request=credit_black_list_history(requester, before=requested_at),
        black_listed_now=credit_standing_for_user(requester).blacklisted,
        confirmed_harm_before_request=credit_confirmed_harm_count(
            requester, since=requested_at - REFUSAL_HARM_LOOKBACK, until=requested_at
        ),
        blackout=blackout,
        blackout_applies_to_all=applies_to_all,
    )


def refusal_outlook(booking: Booking) -> tuple[str, str]:
    """Whether refusing `booking` now would count as justified, and why, in words for the provider:
    (justification, sentence); the justification is "" when the refusal would count against the unit."""
    return refusal_explanation(refusal_facts(booking), tz=timezone.get_current_timezone())


def instrument_availability(*, instrument: Instrument, start: datetime, end: datetime) -> list[Slot]:
    """Free and taken slots in [start, end) honouring status, opening hours and blackouts (4 queries)."""
    tz = timezone.get_current_timezone()
    taken = list(
        Booking.objects.of_instrument(instrument).blocking().overlapping(start, end).values_list("start", "end")
    )
    blackouts = [(b.start, b.end) for b in blackouts_between(instrument, start, end)]
    available = instrument.status == Instrument.Status.AVAILABLE and instrument.unit.is_verified
    return slots(
        start=start,
        end=end,
        open_=open_intervals(weekly_hours(instrument), start, end, tz),
        blackouts=blackouts,
        taken=taken,
        available=available,
    )


def user_bookings_between(*, instrument: Instrument, user: User, start: datetime, end: datetime) -> list[Booking]:
    """The user's own requested, approved and in-use bookings of this instrument meeting [start, end)."""
    if not user.is_authenticated:
        return []
    states = [BookingState.REQUESTED, *BLOCKING_STATES]
    return list(
        Booking.objects.of_instrument(instrument)
        .filter(requester=user, state__in=states)
        .overlapping(start, end)
        .only("id", "start", "end", "state")
        .order_by("start")
    )


def bookable_window(*, instrument: Instrument, user: User | AnonymousUser, now: datetime | None = None) -> dict:
    """The earliest and latest start the time rules allow this user now (minimum notice; the horizon, which
    the user's credit stretches or shortens), with the policy: what the calendar offers as free."""
    now = now or timezone.now()
    policy = booking_policy_get(instrument)
    standing = credit_standing_for_user(user if user.is_authenticated else None)
    return {
        "policy": policy,
        "now": now,
        "earliest": now + timedelta(hours=policy.min_notice_hours),
        "latest": now + timedelta(days=policy.horizon_days * standing.horizon_factor),
    }


def instrument_get(pk: int) -> Instrument | None:
    return Instrument.objects.select_related("unit").filter(pk=pk).first()


# --- Reviews, incidents, disputes -------------------------------------------------------------


def reviews_visible(*, booking: Booking, user: User, now: datetime | None = None) -> list[Review]:
    """Blind reviews: hidden until both sides wrote or 14 days after the booking ended; authors see their own."""
    now = now or timezone.now()
    reviews = list(booking.reviews.select_related("author").order_by("created_at", "id"))
    ended = booking.checked_out_at or booking.end
    if len(reviews) >= 2 or now >= ended + timedelta(days=REVIEW_BLIND_DAYS):
        return reviews
    return [review for review in reviews if review.author_id == user.pk]


def incident_get(pk: int) -> Incident | None:
    return (
        Incident.objects.select_related("booking", "booking__instrument", "booking__instrument__unit", "reported_by")
        .prefetch_related("attachments")
        .filter(pk=pk)
        .first()
    )


def dispute_get(pk: int) -> Dispute | None:
    return (
        Dispute.objects.select_related(
            "incident",
            "incident__booking",
            "incident__booking__instrument",
            "incident__booking__instrument__unit",
            "fact",
            "fact__booking",
            "fact__booking__instrument",
            "fact__booking__instrument__unit",
        )
        .filter(pk=pk)
        .first()
    )


def dispute_list_open() -> QuerySet[Dispute]:
    return Dispute.objects.filter(state=Dispute.State.OPEN).select_related(
        "incident", "incident__booking", "fact", "fact__booking"
    )


def contestable_facts_of(*, booking: Booking) -> QuerySet[ContestableFact]:
    """The one-sided facts about the booking's requester, pending or settled, oldest first (1 query)."""
    return ContestableFact.objects.filter(booking=booking).select_related("asserted_by").order_by("occurred_at", "id")


def contestable_fact_get(pk: int) -> ContestableFact | None:
    return (
        ContestableFact.objects.select_related("booking", "booking__instrument", "booking__instrument__unit")
        .filter(pk=pk)
        .first()
    )


def bookings_due_for_no_show(*, now: datetime) -> list[int]:
    """Approved bookings nobody checked in to, past their instrument's no-show threshold."""
    candidates = (
        Booking.objects.filter(state=BookingState.APPROVED, checked_in_at__isnull=True, start__lte=now)
        .select_related("instrument", "instrument__booking_policy")
        .order_by("start", "id")
    )
    due: list[int] = []
    for booking in candidates:
        threshold = booking_policy_get(booking.instrument).no_show_threshold_minutes
        if booking.start + timedelta(minutes=threshold) <= now:
            due.append(booking.pk)
    return due


def bookings_due_for_reminder(*, now: datetime, lead: timedelta) -> QuerySet[Booking]:
    """Approved bookings starting within `lead` that have not been reminded yet, soonest first."""
    reminded = BookingEvent.objects.filter(booking=OuterRef("pk"), action=REMINDER_ACTION)
    return (
        Booking.objects.filter(state=BookingState.APPROVED, start__gt=now, start__lte=now + lead)
        .filter(~Exists(reminded))
        .order_by("start", "pk")
    )


# --- An instrument's booking rules -----------------------------------------------------------


def opening_hours_list(instrument: Instrument) -> QuerySet[OpeningHours]:
    return OpeningHours.objects.filter(instrument=instrument).order_by("weekday", "opens", "id")


def blackout_list(instrument: Instrument, *, upcoming_from: datetime | None = None) -> QuerySet[Blackout]:
    """The instrument's blackouts; with `upcoming_from`, only those not yet over then."""
    queryset = Blackout.objects.filter(instrument=instrument).select_related("created_by").order_by("start", "id")
    if upcoming_from is not None:
        queryset = queryset.filter(end__gt=upcoming_from)
    return queryset


@dataclass(frozen=True)
class QualificationRow:
    qualification: Qualification
    status: str  # "valid", "lapsed" or "revoked"


def qualification_list(
    instrument: Instrument, *, policy: BookingPolicy, now: datetime | None = None
) -> list[QualificationRow]:
    """Every qualification on the instrument with its status under the policy's lapse rule (1 query)."""
    now = now or timezone.now()
    rows = []
    queryset = (
        Qualification.objects.filter(instrument=instrument)
        .select_related("user", "granted_by")
        .order_by("user__username", "id")
    )
    for qualification in queryset:
        if qualification.revoked_at is not None:
            status = "revoked"
        else:
            facts = QualificationFacts(
                granted_at=qualification.granted_at,
                last_used_at=qualification.last_used_at,
                revoked_at=qualification.revoked_at,
            )
            status = (
                "valid" if qualification_valid(facts, lapse_days=policy.qualification_lapse_days, now=now) else "lapsed"
            )
        rows.append(QualificationRow(qualification=qualification, status=status))
    return rows


# --- The provider desk and the disputes page ----------------------------------------------


def instruments_managed_by(user: User | AnonymousUser, *, limit: int = 200) -> list[Instrument]:
    """Instruments of the verified units where the user is a manager or unit admin (for the desk's links)."""
    if not user.is_authenticated:
        return []
    return list(
        Instrument.objects.filter(unit_id__in=managed_unit_ids(user))
        .exclude(status=Instrument.Status.RETIRED)
        .select_related("unit")
        .order_by("unit_id", "name", "id")[:limit]
    )


def dispute_list_open_for_page() -> QuerySet[Dispute]:
    """Open disputes with everything the decide page shows, oldest first (1 query)."""
    return (
        Dispute.objects.filter(state=Dispute.State.OPEN)
        .select_related(
            "opened_by",
            "incident",
            "incident__reported_by",
            "incident__booking",
            "incident__booking__requester",
            "incident__booking__instrument",
            "incident__booking__instrument__unit",
            "fact",
            "fact__asserted_by",
            "fact__booking",
            "fact__booking__requester",
            "fact__booking__instrument",
            "fact__booking__instrument__unit",
        )
        .order_by("created_at", "id")
    )


def rules_summary(instrument: Instrument, *, user: User | AnonymousUser, now: datetime | None = None) -> dict:
    """What a booker should know before booking: the policy, the week's hours, blackouts ahead (3 queries)."""
    now = now or timezone.now()
    return {
        "instrument": instrument,
        "policy": booking_policy_get(instrument),
        "opening_hours": [(row, WEEKDAYS[row.weekday]) for row in opening_hours_list(instrument)],
        "blackouts": list(blackout_list(instrument, upcoming_from=now)[:10]),
        "can_manage": bool(user.is_authenticated and can_manage_instrument(user, instrument)),
    }


def bookings_in_period(instrument: Instrument, *, start: datetime, end: datetime) -> int:
    """How many requested, approved or in-use bookings meet [start, end) (a blackout does not cancel them)."""
    states = [BookingState.REQUESTED, BookingState.APPROVED, BookingState.IN_USE]
    return Booking.objects.of_instrument(instrument).filter(state__in=states).overlapping(start, end).count()
