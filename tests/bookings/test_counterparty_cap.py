"""What one counterparty can add to a score is capped (issue 18.3).

Two units that book each other over and over, five stars both ways, through the real booking services:
after params.COUNTERPARTY_CAP_FACTS kept bookings of a user at one provider within 12 months, the next
ones are recorded (the history stays readable) with weight 0 and `counterparty_cap: true`, so the user
gains no more than the cap's worth; a fault is never capped; the reasons count only facts that count.
"""

from datetime import timedelta

import pytest

from bookings import services
from credit import params
from credit.models import CreditEvent, subject_key_for
from credit.recompute import recompute_subject
from credit.scoring.reasons import reason_text
from instruments.models import Membership
from tests.credit.factories import record
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory

from .factories import local_slot

pytestmark = pytest.mark.django_db
K = CreditEvent.Kind
CAP = params.COUNTERPARTY_CAP_FACTS
MANY = CAP * 2


def _pair():
    """A user of one unit with two old no-shows elsewhere, and another unit's instrument with its manager."""
    home, provider = UnitFactory(), UnitFactory()
    user = MembershipFactory(unit=home, role=Membership.Role.MEMBER).user
    for n in range(2):
        record(user, K.NO_SHOW, days_ago=n + 1, source_ref=f"old-no-show:{n}", counterparty=UnitFactory())
    manager = MembershipFactory(unit=provider, role=Membership.Role.MANAGER).user
    return user, manager, provider, InstrumentFactory(unit=provider)


def _kept(api_client, *, user, manager, instrument, days):
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


def _score(user, days):
    return recompute_subject(subject_key_for(user), as_of=local_slot(days=days)[0]).score


def test_many_kept_bookings_at_one_provider_gain_at_most_the_caps_worth(api_client):
    user, manager, provider, instrument = _pair()
    before = _score(user, MANY + 3)
    for n in range(CAP):
        _kept(api_client, user=user, manager=manager, instrument=instrument, days=2 + n)
    at_cap = recompute_subject(subject_key_for(user), as_of=local_slot(days=MANY + 3)[0] + timedelta(minutes=1))
    for n in range(CAP, MANY):
        _kept(api_client, user=user, manager=manager, instrument=instrument, days=2 + n)
    after = recompute_subject(subject_key_for(user), as_of=local_slot(days=MANY + 3)[0] + timedelta(minutes=2))
    assert at_cap.score - before >= 40, (before, at_cap.score)  # the first kept bookings do count
    assert after.score == at_cap.score, (before, at_cap.score, after.score)  # the next ones add nothing
    fulfilled = CreditEvent.objects.filter(subject_key=subject_key_for(user), kind=K.BOOKING_FULFILLED)
    assert fulfilled.count() == MANY  # every booking is on the ledger
    capped = fulfilled.filter(weight=0)
    assert capped.count() == MANY - CAP
    assert all(e.details.get("counterparty_cap") is True for e in capped)
    # The provider's side is capped the same way (the user is its counterparty).
    delivered = CreditEvent.objects.filter(subject_key=subject_key_for(provider), kind=K.SERVICE_DELIVERED)
    assert delivered.filter(weight=0).count() == MANY - CAP


def test_a_fault_after_the_cap_still_counts(api_client):
    user, manager, _provider, instrument = _pair()
    for n in range(CAP + 1):
        _kept(api_client, user=user, manager=manager, instrument=instrument, days=2 + n)
    start, end = local_slot(days=CAP + 4, hour=10, hours=2)
    booking = services.booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    if booking.state == "requested":
        services.booking_approve(booking_id=booking.pk, actor=manager)
    services.booking_record_no_show(booking_id=booking.pk, actor=manager, now=booking.start + timedelta(hours=1))
    services.contestable_facts_record_due(now=booking.start + timedelta(days=30))  # uncontested: recorded
    no_show = CreditEvent.objects.get(subject_key=subject_key_for(user), kind=K.NO_SHOW, source_ref__startswith="b")
    assert no_show.weight == 1
    assert "counterparty_cap" not in no_show.details


def test_the_cap_is_per_counterparty_and_per_window():
    """Kept bookings at another provider, or older than the window, are not held against the next one."""
    user = MembershipFactory(role=Membership.Role.MEMBER).user
    provider, other = UnitFactory(), UnitFactory()
    window = params.COUNTERPARTY_CAP_WINDOW_DAYS
    for n in range(CAP):
        record(user, K.BOOKING_FULFILLED, days_ago=window + 10 + n, source_ref=f"old:{n}", counterparty=provider)
    for n in range(CAP):
        record(user, K.BOOKING_FULFILLED, days_ago=20 + n, source_ref=f"other:{n}", counterparty=other)
    fresh = record(user, K.BOOKING_FULFILLED, days_ago=1, source_ref="fresh", counterparty=provider)
    assert fresh.weight == 1
    capped = record(user, K.BOOKING_FULFILLED, days_ago=1, source_ref="capped", counterparty=other)
    assert (capped.weight, capped.details["counterparty_cap"]) == (0, True)
    # Low stars are not "positive": a counterparty's criticism is never capped.
    for n in range(CAP):
        record(user, K.REVIEW_RECEIVED, value=5, source_ref=f"praise:{n}", counterparty=provider, source="review")
    criticism = record(user, K.REVIEW_RECEIVED, value=2, source_ref="criticism", counterparty=provider, source="review")
    praise = record(user, K.REVIEW_RECEIVED, value=5, source_ref="praise:late", counterparty=provider, source="review")
    assert criticism.weight > 0
    assert praise.weight == 0


def test_reasons_do_not_count_internal_bookings(api_client):
    """Known bug (issue 18.3): "n bookings kept" counted the weight-0 facts of internal bookings."""
    unit, provider = UnitFactory(), UnitFactory()
    user = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    own_manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    manager = MembershipFactory(unit=provider, role=Membership.Role.MANAGER).user
    for n in range(3):
        _kept(api_client, user=user, manager=own_manager, instrument=InstrumentFactory(unit=unit), days=2 + n)
    for n in range(2):
        _kept(api_client, user=user, manager=manager, instrument=InstrumentFactory(unit=provider), days=6 + n)
    score = recompute_subject(subject_key_for(user), as_of=local_slot(days=10)[0])
    kept_reason = next(r for r in score.reasons if r["params"].get("kind") == K.BOOKING_FULFILLED)
    assert kept_reason["params"]["count"] == 2


def test_reasons_count_only_the_kept_bookings_under_the_cap():
    user = MembershipFactory(role=Membership.Role.MEMBER).user
    provider = UnitFactory()
    for n in range(MANY):
        record(user, K.BOOKING_FULFILLED, days_ago=MANY - n, source_ref=f"kept:{n}", counterparty=provider)
    score = recompute_subject(subject_key_for(user))
    kept_reason = next(r for r in score.reasons if r["params"].get("kind") == K.BOOKING_FULFILLED)
    assert kept_reason["params"]["count"] == CAP
    assert reason_text(kept_reason).startswith(f"{CAP} bookings kept")
