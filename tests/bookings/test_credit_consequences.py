"""Credit consequences enforced where they act, through the HTTP API, with real scores.

Every score here comes from real ledger events and the real recompute (no faked selectors); every
list entry is published by the real moderation (a platform admin confirming a proposal).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingEvent
from credit.models import CreditEvent, ListEntry, subject_key_for
from credit.recompute import recompute_subject
from credit.services import list_entries_expire, list_entries_propose, list_entry_confirm
from tests.credit.factories import ListEntryFactory, record, violations_warned
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory

from .factories import local_slot, policy_set

URL = "/api/v1/bookings/"
K = CreditEvent.Kind

pytestmark = pytest.mark.django_db

# How many kept bookings (fulfilled, punctual, paid) or no-shows put a member of a verified unit in a tier.
# Each recipe is checked against the real recompute before it is used (see `scored_user`). Model 2026.12-6 weighs
# the record more: 3 kept bookings alone now make "excellent" and 2 no-shows alone "bad", hence the mixes.
RECIPES = {
    "excellent": {"kept": 20},
    "good": {"kept": 3, "no_shows": 1},
    "fair": {},
    "poor": {"kept": 1, "no_shows": 3},
}


def scored_user(tier: str):
    """A researcher (member of another verified unit) whose latest snapshot is in `tier`. Their kept bookings
    alternate between two provider units, so that "good" (3 kept) meets the minimum history (issue 18.4)."""
    user = MembershipFactory().user
    recipe = RECIPES[tier]
    providers = (UnitFactory(), UnitFactory())
    for n in range(recipe.get("kept", 0)):
        for kind in (K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.PAYMENT_ON_TIME):
            record(user, kind, days_ago=n + 1, source_ref=f"history:{n}", counterparty=providers[n % 2])
    for n in range(recipe.get("no_shows", 0)):
        record(user, K.NO_SHOW, days_ago=n + 1, source_ref=f"history-no-show:{n}")
    snapshot = recompute_subject(subject_key_for(user))
    assert snapshot.tier == tier, (tier, snapshot.score)
    return user


def _body(instrument, days=2, hour=10, hours=2):
    start, end = local_slot(days=days, hour=hour, hours=hours)
    return {"instrument": instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "XRD"}


def _post(api_client, user, instrument, **slot):
    api_client.force_authenticate(user)
    return api_client.post(URL, _body(instrument, **slot), format="json")


def _rules(response) -> list[str]:
    return [error["code"] for error in response.json().get("errors", [])]


def _state():
    return (
        list(Booking.objects.values().order_by("id")),
        BookingEvent.objects.count(),
        CreditEvent.objects.count(),
    )


def _publish_black(subject, *, reason="3 violations in 12 months"):
    """A black entry proposed for the subject and confirmed by a platform admin (the real moderation)."""
    entry = ListEntryFactory(subject=subject, status=ListEntry.Status.PROPOSED, reason=reason)
    return list_entry_confirm(entry=entry, moderator=AdminUserFactory(), reason="Evidence checked")


# --- Deposits and auto-approval ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "deposit_state", "state"),
    [
        ("excellent", "waived", "approved"),  # deposit-free and approved at once (the provider allows it)
        ("good", "waived", "requested"),  # deposit-free, still approved by hand
        ("fair", "required", "requested"),  # the standard deposit
        ("poor", "required", "requested"),
    ],
)
def test_credit_tier_deposit_and_auto_approval_on_a_real_booking(api_client, instrument, tier, deposit_state, state):
    user = scored_user(tier)
    response = _post(api_client, user, instrument)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["deposit_state"], data["state"]) == (deposit_state, state)
    assert data["deposit_amount"] == "1000.00"
    booking = Booking.objects.get(pk=data["id"])
    assert (booking.deposit_state, booking.state) == (deposit_state, state)
    if state == "approved":
        assert [event["action"] for event in data["history"]] == ["requested", "approved"]
        assert booking.decided_at is not None


def test_credit_auto_approval_only_where_the_provider_allows_it(api_client, instrument, unit_manager):
    policy_set(instrument, allow_credit_auto_approval=False)
    user = scored_user("excellent")
    response = _post(api_client, user, instrument)
    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["deposit_state"]) == ("requested", "waived")
    # The provider switches it on through the rules API: the next request is approved at once.
    api_client.force_authenticate(unit_manager)
    policy = api_client.get(f"/api/v1/instruments/{instrument.pk}/booking-policy/").json()
    policy["allow_credit_auto_approval"] = True
    put = api_client.put(f"/api/v1/instruments/{instrument.pk}/booking-policy/", policy, format="json")
    assert put.status_code == 200, put.json()
    response = _post(api_client, user, instrument, days=3)
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "approved"


@pytest.mark.parametrize(
    ("tier", "state", "deposit_state"),
    [("excellent", "approved", "waived"), ("fair", "approved", "held"), ("poor", "requested", "required")],
)
def test_credit_poor_tier_needs_manual_approval_even_on_automatic_instruments(
    api_client, auto_instrument, tier, state, deposit_state
):
    response = _post(api_client, scored_user(tier), auto_instrument)
    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["deposit_state"]) == (state, deposit_state)


def test_credit_deposit_waiver_needs_a_deposit(api_client, unit):
    instrument = InstrumentFactory(unit=unit, deposit=0)
    response = _post(api_client, scored_user("excellent"), instrument)
    assert response.status_code == 201
    assert (response.json()["deposit_state"], response.json()["deposit_amount"]) == ("none", "0.00")


# --- Horizon and hours quota -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "days", "allowed"),
    [
        ("excellent", 14, True),  # 10 days x 1.5
        ("good", 12, True),  # x 1.25
        ("good", 14, False),
        ("fair", 9, True),
        ("fair", 11, False),
        ("poor", 9, False),  # x 0.75 = 7.5 days
        ("poor", 6, True),
    ],
)
def test_credit_tier_widens_or_narrows_the_booking_horizon(api_client, instrument, tier, days, allowed):
    policy_set(instrument, horizon_days=10)
    user = scored_user(tier)
    before = _state()
    response = _post(api_client, user, instrument, days=days)
    if allowed:
        assert response.status_code == 201, response.json()
        return
    assert response.status_code == 400
    assert _rules(response) == ["booking_horizon"]
    expected = {"good": "12.5", "fair": "10", "poor": "7.5"}[tier]
    assert f"Booking horizon: bookings may start at most {expected} days ahead." in response.json()["detail"]
    assert _state() == before


@pytest.mark.parametrize(
    ("tier", "hours", "allowed", "limit"),
    [
        ("excellent", 6, True, "6"),  # 4 h x 1.5
        ("good", 5, True, "5"),  # x 1.25
        ("good", 5.5, False, "5"),
        ("fair", 4, True, "4"),
        ("fair", 5, False, "4"),
        ("poor", 4, False, "3"),  # x 0.75
    ],
)
def test_credit_tier_widens_or_narrows_the_weekly_quota(api_client, instrument, tier, hours, allowed, limit):
    policy_set(instrument, quota_hours_per_week=4)
    user = scored_user(tier)
    before = _state()
    response = _post(api_client, user, instrument, hours=hours)
    if allowed:
        assert response.status_code == 201, response.json()
        return
    assert response.status_code == 400
    assert _rules(response) == ["weekly_quota"]
    assert f"Hours quota per week: {limit} hours" in response.json()["detail"]
    assert _state() == before


def test_credit_tier_widens_the_monthly_quota(api_client, instrument):
    policy_set(instrument, quota_hours_per_month=4)
    assert _post(api_client, scored_user("fair"), instrument, hours=5).status_code == 400
    assert _post(api_client, scored_user("excellent"), instrument, hours=5).status_code == 201


# --- A provider's minimum credit --------------------------------------------------------------


def test_credit_minimum_of_the_instrument_refuses_lower_scores_naming_rule_and_score(api_client, unit):
    instrument = InstrumentFactory(unit=unit, min_credit_score=700)
    fair = scored_user("fair")
    score = recompute_subject(subject_key_for(fair)).score
    before = _state()
    response = _post(api_client, fair, instrument)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "credit_minimum"
    assert _rules(response) == ["credit_minimum"]
    assert "Minimum credit" in body["detail"]
    assert "700" in body["detail"]
    assert str(score) in body["detail"]
    assert _state() == before
    assert _post(api_client, scored_user("good"), instrument).status_code == 201


# --- Black-listed users and providers ----------------------------------------------------------


def test_credit_black_listed_user_cannot_book_end_to_end(api_client, instrument, platform_admin):
    """No-shows after a warning -> the rule proposes a black entry -> an admin confirms it via the API -> booking
    refused."""
    user = MembershipFactory().user
    violations_warned(user, K.NO_SHOW)
    recompute_subject(subject_key_for(user))
    proposed = [entry for entry in list_entries_propose() if entry.subject_key == subject_key_for(user)]
    assert [entry.list_type for entry in proposed] == ["black"]
    api_client.force_authenticate(platform_admin)
    confirmed = api_client.post(
        f"/api/v1/credit/entries/{proposed[0].pk}/confirm/", {"reason": "Three no-shows checked"}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()

    before = _state()
    response = _post(api_client, user, instrument)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "credit_blacklist"
    assert "black list" in body["detail"]
    assert "object to the entry" in body["detail"]
    assert _state() == before


def test_credit_black_listed_provider_cannot_take_new_requests(api_client, instrument, researcher):
    _publish_black(instrument.unit, reason="Serious damage concealed")
    before = _state()
    response = _post(api_client, researcher, instrument)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "provider_blacklist"
    assert body["field"] == "instrument"
    assert "black list" in body["detail"]
    assert "cannot accept new bookings" in body["detail"]
    assert _state() == before


def test_credit_black_listed_provider_cannot_approve(api_client, make_booking, unit_manager):
    booking = make_booking()  # requested before the unit was listed
    _publish_black(booking.instrument.unit)
    api_client.force_authenticate(unit_manager)
    before = _state()
    response = api_client.post(f"{URL}{booking.pk}/approve/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "provider_blacklist"
    assert "black list" in body["detail"]
    assert "cannot accept new bookings" in body["detail"]
    assert _state() == before
    # It may still refuse (the requester is told), and existing duties go on.
    refused = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": "We cannot take bookings now"}, format="json")
    assert refused.status_code == 200


def test_credit_provider_black_entry_ended_allows_approval_again(api_client, make_booking, unit_manager):
    booking = make_booking()
    _publish_black(booking.instrument.unit)
    list_entries_expire(now=timezone.now() + timedelta(days=4 * 365))
    api_client.force_authenticate(unit_manager)
    response = api_client.post(f"{URL}{booking.pk}/approve/")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved"


# --- Refusals justified by the rules -----------------------------------------------------------


def _refusal_facts(booking) -> list[tuple[str, str | None]]:
    rows = CreditEvent.objects.filter(
        subject_key=f"unit:{booking.instrument.unit_id}",
        source_ref=f"booking:{booking.pk}",
        kind__in=[K.REFUSAL_JUSTIFIED, K.REFUSAL_UNJUSTIFIED],
    )
    return [(row.kind, row.details.get("justification")) for row in rows]


def _refuse(api_client, manager, booking, reason="Not this time"):
    api_client.force_authenticate(manager)
    response = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": reason}, format="json")
    assert response.status_code == 200, response.json()
    return response


def test_credit_refusal_of_user_with_black_list_history_is_justified(
    api_client, make_booking, researcher, unit_manager
):
    """The entry was published and has since ended: the user may book, and the provider may refuse them."""
    _publish_black(researcher)
    list_entries_expire(now=timezone.now() + timedelta(days=4 * 365))
    booking = make_booking()
    _refuse(api_client, unit_manager, booking, reason="Earlier black-list entry")
    assert _refusal_facts(booking) == [(K.REFUSAL_JUSTIFIED, "black_list_history")]
    event = CreditEvent.objects.get(kind=K.REFUSAL_JUSTIFIED, source_ref=f"booking:{booking.pk}")
    assert event.polarity == 1  # counts for the provider, never against it
    assert event.details["reason"] == "Earlier black-list entry"


def test_credit_refusal_of_user_listed_after_requesting_is_justified(
    api_client, make_booking, researcher, unit_manager
):
    """Listed after the request: a black entry in force now is the platform's verdict, not the provider's."""
    booking = make_booking()
    _publish_black(researcher)
    _refuse(api_client, unit_manager, booking)
    assert _refusal_facts(booking) == [(K.REFUSAL_JUSTIFIED, "black_listed")]


def test_credit_refusal_without_justification_counts_against_the_provider(
    api_client, make_booking, researcher, unit_manager
):
    # A proposed (never published) or rejected entry is no history.
    ListEntryFactory(subject=researcher, status=ListEntry.Status.PROPOSED)
    booking = make_booking()
    _refuse(api_client, unit_manager, booking)
    assert _refusal_facts(booking) == [(K.REFUSAL_UNJUSTIFIED, None)]
    assert CreditEvent.objects.get(kind=K.REFUSAL_UNJUSTIFIED).polarity == -1


def test_credit_refusal_after_raising_the_minimum_credit_is_not_justified(api_client, unit, unit_manager):
    """The instrument's rules as they were at the request count: a minimum raised afterwards (and lowered
    again) is the provider's own toggle, so the refusal counts against it (it used to count as justified)."""
    instrument = InstrumentFactory(unit=unit)
    user = scored_user("fair")
    response = _post(api_client, user, instrument)
    assert response.status_code == 201
    booking = Booking.objects.get(pk=response.json()["id"])
    instrument.min_credit_score = 700  # raised after the request
    instrument.save(update_fields=["min_credit_score"])
    _refuse(api_client, unit_manager, booking, reason="Below our minimum credit")
    assert _refusal_facts(booking) == [(K.REFUSAL_UNJUSTIFIED, None)]


def test_credit_justified_refusal_scores_better_than_unjustified(api_client, researcher, unit, other_unit):
    """The ledger difference reaches the provider's score: two providers, one refusal each."""
    managers = {}
    for provider in (unit, other_unit):
        managers[provider.pk] = MembershipFactory(unit=provider, role="manager").user
    listed = MembershipFactory().user
    _publish_black(listed)
    list_entries_expire(now=timezone.now() + timedelta(days=4 * 365))
    for provider, requester in ((unit, listed), (other_unit, researcher)):
        instrument = InstrumentFactory(unit=provider)
        response = _post(api_client, requester, instrument)
        assert response.status_code == 201, response.json()
        _refuse(api_client, managers[provider.pk], Booking.objects.get(pk=response.json()["id"]))
    justified = recompute_subject(f"unit:{unit.pk}")
    unjustified = recompute_subject(f"unit:{other_unit.pk}")
    assert justified.fulfilment > unjustified.fulfilment
    assert justified.score > unjustified.score


# --- The same rules on the pages -----------------------------------------------------------------


def test_credit_pages_booking_form_shows_black_list_message(client, instrument, researcher):
    _publish_black(researcher)
    client.force_login(researcher)
    start, end = local_slot()
    form = {"start": start.strftime("%Y-%m-%dT%H:%M"), "end": end.strftime("%Y-%m-%dT%H:%M"), "purpose": "EDS"}
    response = client.post(reverse("bookings:create", args=[instrument.pk]), form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "black list" in response.text
    assert "object to the entry" in response.text
    assert not Booking.objects.exists()


def test_credit_pages_desk_approval_by_black_listed_provider_says_why(client, make_booking, unit_manager):
    booking = make_booking()
    _publish_black(booking.instrument.unit)
    client.force_login(unit_manager)
    response = client.post(
        reverse("bookings:action", args=[booking.pk, "approve"]),
        {"next": "desk"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "cannot accept new bookings" in response.text
    booking.refresh_from_db()
    assert booking.state == "requested"
