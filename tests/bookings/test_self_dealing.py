"""No self-dealing (issue 18.3): bookings and reviews inside one unit count nothing for credit.

The attack replayed: a unit books its own instrument for a member with two no-shows, five stars both ways,
six times. Before, the member went from 569 (poor) to 730 (good); now their score barely moves, while the
same six bookings at another unit's instrument still raise it. Faults stay faults inside a unit.
"""

from datetime import timedelta

import pytest

from bookings import services
from credit import params
from credit.models import CreditEvent, Endorsement, subject_key_for
from credit.recompute import recompute_subject
from credit.selectors import credit_history_of_user
from instruments.models import Membership
from tests.credit.factories import record
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory
from tests.unchanged import nothing_changed

from .factories import local_slot

pytestmark = pytest.mark.django_db
K = CreditEvent.Kind
BOOKINGS = 6


def _poor_member(unit):
    """A member of `unit` with two no-shows elsewhere (the issue's 569, poor)."""
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    for n in range(2):
        record(user, K.NO_SHOW, days_ago=n + 1, source_ref=f"history-no-show:{n}", counterparty=UnitFactory())
    return user


def _book_kept_and_praised(api_client, *, user, instrument, manager, days):
    """One booking through the real services, kept on time, then five stars both ways through the API."""
    start, end = local_slot(days=days, hour=10, hours=2)
    booking = services.booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    if booking.state == "requested":
        services.booking_approve(booking_id=booking.pk, actor=manager)
    services.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
    services.booking_check_out(booking_id=booking.pk, actor=user, now=booking.end)
    for author in (user, manager):
        api_client.force_authenticate(author)
        response = api_client.post(f"/api/v1/bookings/{booking.pk}/reviews/", {"stars": 5}, format="json")
        assert response.status_code == 201, response.content
    return booking


def _gain(api_client, *, user, instrument, manager) -> tuple[int, int]:
    key = subject_key_for(user)
    moment = local_slot(days=BOOKINGS + 3)[0]  # after every booking: their facts are in the past
    before = recompute_subject(key, as_of=moment).score
    for n in range(BOOKINGS):
        _book_kept_and_praised(api_client, user=user, instrument=instrument, manager=manager, days=2 + n)
    after = recompute_subject(key, as_of=moment + timedelta(minutes=1)).score
    return before, after


def test_internal_bookings_five_stars_both_ways_raise_nothing(api_client):
    unit = UnitFactory()
    manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    user = _poor_member(unit)
    instrument = InstrumentFactory(unit=unit)
    before, after = _gain(api_client, user=user, instrument=instrument, manager=manager)
    assert after - before < 20, (before, after)
    # The facts are on the ledger (the booking history stays readable), marked internal and weightless.
    positive = CreditEvent.objects.filter(
        subject_key__in=[subject_key_for(user), subject_key_for(unit)],
        kind__in=[K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.APPROVED_ON_TIME, K.SERVICE_DELIVERED,
                  K.REVIEW_RECEIVED, K.REVIEW_GIVEN],
    )  # fmt: skip
    assert positive.count() == BOOKINGS * 8  # 4 booking facts, 2 reviews received, 2 given
    assert {(e.weight, e.details.get("internal")) for e in positive} == {(0, True)}
    # Nor do they make a history with providers (the deposit waiver and auto-approval need one).
    assert credit_history_of_user(user).kept_bookings == 0
    # Nor does the unit gain from praising its own member's bookings.
    assert not CreditEvent.objects.filter(subject_key=subject_key_for(unit), weight__gt=0).exists()


def test_same_bookings_at_another_units_instrument_raise_the_score(api_client):
    home, provider = UnitFactory(), UnitFactory()
    manager = MembershipFactory(unit=provider, role=Membership.Role.MANAGER).user
    user = _poor_member(home)
    instrument = InstrumentFactory(unit=provider)
    before, after = _gain(api_client, user=user, instrument=instrument, manager=manager)
    assert after - before >= 40, (before, after)
    # At one provider, what counts is capped (params.COUNTERPARTY_CAP_FACTS a year: test_counterparty_cap.py).
    assert credit_history_of_user(user).kept_bookings == min(BOOKINGS, params.COUNTERPARTY_CAP_FACTS)
    assert not CreditEvent.objects.filter(details__internal=True).exists()


def test_a_member_booking_for_another_unit_is_still_internal(api_client):
    """A member of two units cannot launder an internal booking by booking it for the other unit."""
    unit, other = UnitFactory(), UnitFactory()
    manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    user = _poor_member(unit)
    MembershipFactory(unit=other, user=user, role=Membership.Role.MEMBER)
    instrument = InstrumentFactory(unit=unit)
    start, end = local_slot(days=2, hour=10, hours=2)
    booking = services.booking_create(
        instrument=instrument, requester=user, requester_unit=other, start=start, end=end, purpose="XRD"
    )
    assert booking.requester_unit_id == other.pk
    if booking.state == "requested":
        services.booking_approve(booking_id=booking.pk, actor=manager)
    services.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
    services.booking_check_out(booking_id=booking.pk, actor=user, now=booking.end)
    fulfilled = CreditEvent.objects.get(subject_key=subject_key_for(user), kind=K.BOOKING_FULFILLED)
    assert (fulfilled.weight, fulfilled.details["internal"]) == (0, True)


def test_faults_inside_the_unit_still_count(api_client):
    unit = UnitFactory()
    manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    instrument = InstrumentFactory(unit=unit)
    start, end = local_slot(days=2, hour=10, hours=2)
    booking = services.booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    if booking.state == "requested":
        services.booking_approve(booking_id=booking.pk, actor=manager)
    services.booking_record_no_show(booking_id=booking.pk, actor=manager, now=booking.start + timedelta(hours=1))
    # Recorded once the window to contest it has passed (issue 18.1).
    services.contestable_facts_record_due(now=booking.start + timedelta(days=30))
    no_show = CreditEvent.objects.get(subject_key=subject_key_for(user), kind=K.NO_SHOW)
    assert no_show.weight == 1
    assert "internal" not in no_show.details


def test_a_unit_cannot_endorse_itself(api_client):
    unit = UnitFactory()
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    api_client.force_authenticate(admin)
    with nothing_changed():
        response = api_client.post("/api/v1/credit/endorsements/", {"endorser": unit.pk, "endorsed": unit.pk},
                                   format="json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert not Endorsement.objects.exists()
