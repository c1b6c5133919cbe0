"""Bookings API: requests, the lifecycle transitions, permissions, deposits and credit facts."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Booking, BookingEvent, BookingState
from credit.models import CreditEvent
from credit.selectors import CreditStanding
from instruments.models import Instrument, Membership
from tests.factories import InstrumentFactory, MembershipFactory
from tests.unchanged import nothing_changed

from .factories import local_slot, policy_set

URL = "/api/v1/bookings/"

pytestmark = pytest.mark.django_db


def _body(instrument, days=2, hour=10, hours=2, **extra):
    start, end = local_slot(days=days, hour=hour, hours=hours)
    return {"instrument": instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "XRD", **extra}


def _facts(kind, subject_key=None):
    queryset = CreditEvent.objects.filter(kind=kind)
    if subject_key:
        queryset = queryset.filter(subject_key=subject_key)
    return list(queryset)


def _snapshot():
    return (
        list(Booking.objects.values().order_by("id")),
        BookingEvent.objects.count(),
        CreditEvent.objects.count(),
    )


# --- Create ---------------------------------------------------------------------------------


def test_booking_create_external_rate_and_price(api_client, instrument, researcher):
    api_client.force_authenticate(researcher)
    response = api_client.post(URL, _body(instrument, hours=2.5), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "requested"
    assert data["rate_kind"] == "external"
    assert Decimal(data["hourly_rate"]) == Decimal("400.00")
    assert Decimal(data["price"]) == Decimal("1000.00")
    assert data["deposit_state"] == "required"
    assert Decimal(data["deposit_amount"]) == Decimal("1000.00")
    assert [event["action"] for event in data["history"]] == ["requested"]


def test_booking_create_internal_rate_for_members(api_client, instrument, unit_member):
    api_client.force_authenticate(unit_member)
    response = api_client.post(URL, _body(instrument), format="json")
    assert response.status_code == 201
    assert response.json()["rate_kind"] == "internal"
    assert Decimal(response.json()["price"]) == Decimal("400.00")
    assert response.json()["requester_unit"] == instrument.unit_id


def test_booking_create_refuses_external_rate_for_own_unit(api_client, instrument, unit_member):
    api_client.force_authenticate(unit_member)
    before = _snapshot()
    response = api_client.post(URL, _body(instrument, rate_kind="external"), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "rate_kind"
    assert "internal rate" in response.json()["detail"]
    assert _snapshot() == before


def test_booking_create_refuses_internal_rate_for_outsiders(api_client, instrument, researcher):
    api_client.force_authenticate(researcher)
    response = api_client.post(URL, _body(instrument, rate_kind="internal"), format="json")
    assert response.status_code == 400
    assert "only for members" in response.json()["detail"]
    assert not Booking.objects.exists()


def test_booking_create_refuses_unit_not_ones_own(api_client, instrument, researcher, other_unit):
    api_client.force_authenticate(researcher)
    response = api_client.post(URL, _body(instrument, requester_unit=other_unit.pk), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "requester_unit"
    assert not Booking.objects.exists()


def test_booking_create_auto_approves_and_holds_deposit(api_client, auto_instrument, researcher):
    api_client.force_authenticate(researcher)
    response = api_client.post(URL, _body(auto_instrument), format="json")
    assert response.status_code == 201
    assert response.json()["state"] == "approved"
    assert response.json()["deposit_state"] == "held"
    assert [e["action"] for e in response.json()["history"]] == ["requested", "approved"]


def test_booking_create_credit_auto_approval_and_deposit_waiver(api_client, instrument, researcher):
    standing = CreditStanding(score=850, tier="excellent", blacklisted=False, deposit_waived=True,
                              auto_approval_eligible=True)  # fmt: skip
    api_client.force_authenticate(researcher)
    with mock.patch("bookings.services.bookings.credit_standing_for_user", return_value=standing):
        response = api_client.post(URL, _body(instrument), format="json")
    assert response.status_code == 201
    assert response.json()["state"] == "approved"
    assert response.json()["deposit_state"] == "waived"


def test_booking_create_blacklisted_user_refused(api_client, instrument, researcher):
    standing = CreditStanding(score=400, tier="bad", blacklisted=True, deposit_waived=False,
                              auto_approval_eligible=False)  # fmt: skip
    api_client.force_authenticate(researcher)
    with mock.patch("bookings.services.bookings.credit_standing_for_user", return_value=standing):
        response = api_client.post(URL, _body(instrument), format="json")
    assert response.status_code == 400
    assert "black list" in response.json()["detail"]
    assert "credit_blacklist" in [e["code"] for e in response.json()["errors"]]
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"start": "2030-01-01T10:00:00"}, "offset"),
        ({"purpose": ""}, "purpose"),
        ({"instrument": 999999}, "instrument"),
    ],
)
def test_booking_create_bad_input(api_client, instrument, researcher, change, expected):
    api_client.force_authenticate(researcher)
    response = api_client.post(URL, {**_body(instrument), **change}, format="json")
    assert response.status_code in {400, 404}
    assert expected in str(response.json())
    assert not Booking.objects.exists()


def test_booking_create_reversed_zero_length_past_and_too_long(api_client, instrument, researcher):
    api_client.force_authenticate(researcher)
    start, end = local_slot()
    cases = {
        "time_range": (end, start),
        "past": (start - timedelta(days=5), end - timedelta(days=5)),
        "maximum_duration": (start, start + timedelta(hours=9)),
    }
    for rule, (a, b) in cases.items():
        body = {"instrument": instrument.pk, "start": a.isoformat(), "end": b.isoformat(), "purpose": "x"}
        response = api_client.post(URL, body, format="json")
        assert response.status_code == 400, rule
        assert rule in [e["code"] for e in response.json()["errors"]], rule
    body = {"instrument": instrument.pk, "start": start.isoformat(), "end": start.isoformat(), "purpose": "x"}
    assert api_client.post(URL, body, format="json").json()["code"] == "time_range"
    assert not Booking.objects.exists()


def test_booking_create_retired_instrument_refused(api_client, researcher, unit):
    retired = InstrumentFactory(unit=unit, status=Instrument.Status.RETIRED)
    api_client.force_authenticate(researcher)
    with nothing_changed():
        response = api_client.post(URL, _body(retired), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "instrument_status"
    assert "retired" in response.json()["detail"]


def test_booking_create_overlap_with_approved_is_409(api_client, auto_instrument, researcher, unit_member):
    api_client.force_authenticate(researcher)
    assert api_client.post(URL, _body(auto_instrument), format="json").status_code == 201
    api_client.force_authenticate(unit_member)
    before = _snapshot()
    response = api_client.post(URL, _body(auto_instrument, hour=11), format="json")
    assert response.status_code == 409
    assert "already taken" in response.json()["detail"]
    assert _snapshot() == before
    # Back to back is fine: half-open ranges.
    assert api_client.post(URL, _body(auto_instrument, hour=12), format="json").status_code == 201


def test_booking_create_anonymous_401(api_client, instrument):
    response = api_client.post(URL, _body(instrument), format="json")
    assert response.status_code in {401, 403}
    assert not Booking.objects.exists()


def test_booking_create_policy_problem_named_over_http(api_client, instrument, researcher):
    policy_set(instrument, project_code_required=True, min_notice_hours=72)
    api_client.force_authenticate(researcher)
    with nothing_changed():
        response = api_client.post(URL, _body(instrument, days=1), format="json")
    assert response.status_code == 400
    rules = {e["code"] for e in response.json()["errors"]}
    assert rules == {"project_code", "minimum_notice"}
    assert "Minimum notice" in response.json()["detail"]


# --- List and detail ------------------------------------------------------------------------


def test_booking_list_scopes(api_client, instrument, researcher, unit_manager, other_unit_manager, platform_admin,
                             make_booking, stranger):  # fmt: skip
    mine = make_booking()
    other = make_booking(user=stranger, days=3)
    expectations = {
        researcher: {mine.pk},
        stranger: {other.pk},
        unit_manager: {mine.pk, other.pk},
        other_unit_manager: set(),
        platform_admin: {mine.pk, other.pk},
    }
    for user, expected in expectations.items():
        api_client.force_authenticate(user)
        response = api_client.get(URL)
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["results"]} == expected


def test_booking_list_constant_queries(api_client, instrument, unit_manager, researcher, django_assert_num_queries):
    api_client.force_authenticate(unit_manager)
    start, end = local_slot()
    made = set()

    def listed():
        response = api_client.get(URL)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    for index in range(3):
        shift = timedelta(hours=3 * index)
        made.add(Booking.objects.create(instrument=instrument, requester=researcher, start=start + shift,
                                        end=end + shift, purpose="x", rate_kind="external",
                                        hourly_rate=1, price=1).pk)  # fmt: skip
    with django_assert_num_queries(1):
        assert listed() == made
    for index in range(3, 10):
        shift = timedelta(hours=3 * index)
        made.add(Booking.objects.create(instrument=instrument, requester=researcher, start=start + shift,
                                        end=end + shift, purpose="x", rate_kind="external",
                                        hourly_rate=1, price=1).pk)  # fmt: skip
    with django_assert_num_queries(1):
        assert listed() == made
    assert len(made) == 10


def test_booking_detail_hidden_from_others(api_client, make_booking, stranger, other_unit_manager, researcher):
    booking = make_booking()
    for user in (stranger, other_unit_manager):
        api_client.force_authenticate(user)
        assert api_client.get(f"{URL}{booking.pk}/").status_code == 404
    api_client.force_authenticate(researcher)
    assert api_client.get(f"{URL}{booking.pk}/").json()["id"] == booking.pk


# --- Transitions: permission matrix -----------------------------------------------------------

ROLES = ["anonymous", "stranger", "other_unit_manager", "unit_member", "unit_manager", "unit_admin", "platform_admin"]


def _as(api_client, request, role):
    if role == "anonymous":
        api_client.force_authenticate(None)
        return None
    user = request.getfixturevalue(role)
    api_client.force_authenticate(user)
    return user


@pytest.mark.parametrize("role", ROLES)
def test_booking_approve_permission_matrix(api_client, request, make_booking, role):
    booking = make_booking()
    _as(api_client, request, role)
    before = _snapshot()
    response = api_client.post(f"{URL}{booking.pk}/approve/")
    allowed = role in {"unit_manager", "unit_admin", "platform_admin"}
    if allowed:
        assert response.status_code == 200
        assert response.json()["state"] == "approved"
        assert response.json()["deposit_state"] == "held"
    else:
        assert response.status_code in {401, 403, 404}
        assert _snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, "researcher"])
def test_booking_cancel_permission_matrix(api_client, request, make_booking, role):
    booking = make_booking()
    _as(api_client, request, role)
    before = _snapshot()
    response = api_client.post(f"{URL}{booking.pk}/cancel/", {"reason": "instrument needed"}, format="json")
    if role in {"researcher", "unit_manager", "unit_admin", "platform_admin"}:
        assert response.status_code == 200
        assert response.json()["state"] == "cancelled"
    else:
        assert response.status_code in {401, 403, 404}
        assert _snapshot() == before


@pytest.mark.parametrize("role", ["researcher", "unit_member", "other_unit_manager"])
def test_booking_approve_by_requester_is_403(api_client, request, make_booking, unit_member, role):
    booking = make_booking()
    if role == "unit_member":
        # A plain member of the providing unit who may see the booking because they requested it.
        booking = make_booking(user=unit_member, days=4)
    user = _as(api_client, request, role)
    response = api_client.post(f"{URL}{booking.pk}/approve/")
    expected = 404 if user is not None and user.pk != booking.requester_id else 403
    assert response.status_code == expected
    booking.refresh_from_db()
    assert booking.state == "requested"


def test_booking_refuse_needs_reason_and_records_facts(api_client, make_booking, unit_manager):
    booking = make_booking()
    api_client.force_authenticate(unit_manager)
    before = _snapshot()
    response = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert _snapshot() == before
    response = api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": "Sample type not supported"}, format="json")
    assert response.status_code == 200
    assert response.json()["refusal_reason"] == "Sample type not supported"
    unit_key = f"unit:{booking.instrument.unit_id}"
    # An ordinary refusal counts against the acceptance rate; the justified kind is for refusals the
    # platform's rules justify (tests/bookings/test_credit_consequences.py).
    assert len(_facts("refusal_unjustified", unit_key)) == 1
    assert len(_facts("approved_on_time", unit_key)) == 1


def test_booking_wrong_state_is_409_naming_state(api_client, make_booking, unit_manager):
    booking = make_booking()
    api_client.force_authenticate(unit_manager)
    api_client.post(f"{URL}{booking.pk}/refuse/", {"reason": "full"}, format="json")
    before = _snapshot()
    response = api_client.post(f"{URL}{booking.pk}/approve/")
    assert response.status_code == 409
    assert "refused" in response.json()["detail"]
    assert response.json()["code"] == "wrong_state"
    assert _snapshot() == before


def test_booking_approve_overlapping_request_is_409(api_client, make_booking, unit_manager, stranger):
    first = make_booking()
    second = make_booking(user=stranger, hour=11)
    api_client.force_authenticate(unit_manager)
    assert api_client.post(f"{URL}{first.pk}/approve/").status_code == 200
    with nothing_changed():
        response = api_client.post(f"{URL}{second.pk}/approve/")
    assert response.status_code == 409
    second.refresh_from_db()
    assert second.state == "requested"


def test_booking_approve_records_answered_on_time(make_booking, unit_manager):
    booking = make_booking()
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    assert len(_facts("approved_on_time", f"unit:{booking.instrument.unit_id}")) == 1
    late = make_booking(days=5)
    services.booking_approve(booking_id=late.pk, actor=unit_manager, now=timezone.now() + timedelta(days=3))
    assert len(_facts("response_late", f"unit:{booking.instrument.unit_id}")) == 1


# --- Cancel ---------------------------------------------------------------------------------


def test_booking_cancel_timely_refunds(make_booking, unit_manager, researcher):
    booking = make_booking(days=5)
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    booking = services.booking_cancel(booking_id=booking.pk, actor=researcher)
    assert booking.cancellation_late is False
    assert booking.deposit_state == "refunded"
    assert not _facts("late_cancellation")


def test_booking_cancel_late_records_fact_and_forfeits(api_client, make_booking, unit_manager, researcher):
    booking = make_booking(days=5)
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    later = booking.start - timedelta(hours=3)
    booking = services.booking_cancel(booking_id=booking.pk, actor=researcher, now=later)
    assert booking.cancellation_late is True
    assert booking.deposit_state == "forfeited"
    assert len(_facts("late_cancellation", f"user:{researcher.pk}")) == 1


def test_booking_cancel_by_provider_needs_reason_and_counts_against_provider(api_client, make_booking, unit_manager):
    booking = make_booking()
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    api_client.force_authenticate(unit_manager)
    with nothing_changed():  # no cancellation, no credit fact, no notice to the requester
        assert api_client.post(f"{URL}{booking.pk}/cancel/", {}, format="json").status_code == 400
    response = api_client.post(f"{URL}{booking.pk}/cancel/", {"reason": "Instrument broke"}, format="json")
    assert response.status_code == 200
    assert len(_facts("provider_cancellation", f"unit:{booking.instrument.unit_id}")) == 1
    assert response.json()["deposit_state"] == "refunded"


# --- Check-in, check-out, complete, no-show ---------------------------------------------------


def _approved(make_booking, manager, **kw):
    booking = make_booking(**kw)
    return services.booking_approve(booking_id=booking.pk, actor=manager)


def test_booking_check_in_punctual_and_out_with_hours(api_client, make_booking, unit_manager, researcher):
    booking = _approved(make_booking, unit_manager, hours=4)
    with pytest.raises(Exception, match="opens"):
        services.booking_check_in(booking_id=booking.pk, actor=researcher)
    services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start + timedelta(minutes=5))
    assert len(_facts("punctual_check_in", f"user:{researcher.pk}")) == 1
    booking = services.booking_check_out(
        booking_id=booking.pk, actor=researcher, now=booking.start + timedelta(hours=3, minutes=35)
    )
    assert booking.state == "completed"
    assert booking.actual_hours == Decimal("3.50")
    assert booking.booked_hours == Decimal("4.00")
    assert booking.deposit_state == "refunded"
    assert booking.released_at is not None
    assert len(_facts("booking_fulfilled", f"user:{researcher.pk}")) == 1
    assert len(_facts("service_delivered", f"unit:{booking.instrument.unit_id}")) == 1
    assert not _facts("usage_overrun")


def test_booking_check_out_overrun_fact_over_http(api_client, make_booking, unit_manager, researcher):
    booking = _approved(make_booking, unit_manager, hours=4)
    services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start + timedelta(minutes=40))
    assert len(_facts("late_check_in", f"user:{researcher.pk}")) == 1
    api_client.force_authenticate(researcher)
    response = api_client.post(f"{URL}{booking.pk}/check-out/", {"actual_hours": "1.5"}, format="json")
    assert response.status_code == 200
    assert Decimal(response.json()["actual_hours"]) == Decimal("1.50")
    # An overrun is pending until the requester's window to contest it has passed (issue 18.1).
    assert _facts("usage_overrun", f"user:{researcher.pk}") == []
    fact = booking.contestable_facts.get(kind="usage_overrun")
    assert services.contestable_facts_record_due(now=fact.contestable_until) == [fact.pk]
    overrun = _facts("usage_overrun", f"user:{researcher.pk}")
    assert len(overrun) == 1
    assert overrun[0].details["booked_hours"] == "4.00"


def test_booking_check_in_wrong_person_and_state(api_client, make_booking, stranger, researcher, unit_manager):
    booking = make_booking()
    api_client.force_authenticate(researcher)
    with nothing_changed():
        response = api_client.post(f"{URL}{booking.pk}/check-in/")
    assert response.status_code == 409
    assert "requested" in response.json()["detail"]
    api_client.force_authenticate(stranger)
    with nothing_changed():
        assert api_client.post(f"{URL}{booking.pk}/check-in/").status_code == 404


def test_booking_no_show_only_after_grace(api_client, make_booking, unit_manager, researcher):
    booking = _approved(make_booking, unit_manager)
    api_client.force_authenticate(unit_manager)
    response = api_client.post(f"{URL}{booking.pk}/no-show/")
    assert response.status_code == 409
    assert "no-show threshold is 30 minutes" in response.json()["detail"]
    booking.refresh_from_db()
    assert booking.state == "approved"
    booking = services.booking_record_no_show(
        booking_id=booking.pk, actor=unit_manager, now=booking.start + timedelta(minutes=30)
    )
    assert booking.state == "no_show"
    # The provider's word alone: pending until the requester's window to contest it has passed (issue 18.1);
    # until then the deposit stays held.
    assert booking.deposit_state == "held"
    assert _facts("no_show", f"user:{researcher.pk}") == []
    fact = booking.contestable_facts.get(kind="no_show")
    assert services.contestable_facts_record_due(now=fact.contestable_until) == [fact.pk]
    assert len(_facts("no_show", f"user:{researcher.pk}")) == 1
    booking.refresh_from_db()
    assert booking.deposit_state == "forfeited"


def test_booking_no_show_by_requester_is_403(api_client, make_booking, unit_manager, researcher):
    booking = _approved(make_booking, unit_manager)
    api_client.force_authenticate(researcher)
    with nothing_changed():  # still approved, no no-show fact, the deposit still held
        assert api_client.post(f"{URL}{booking.pk}/no-show/").status_code == 403


def test_booking_complete_by_provider_needs_hours_without_check_in(make_booking, unit_manager, researcher):
    booking = _approved(make_booking, unit_manager, hours=2)
    after = booking.end + timedelta(minutes=5)
    with pytest.raises(Exception, match="hours"):
        services.booking_complete(booking_id=booking.pk, actor=unit_manager, now=after)
    with pytest.raises(Exception, match="Only the instrument"):
        services.booking_complete(booking_id=booking.pk, actor=researcher, actual_hours=2, now=after)
    booking = services.booking_complete(booking_id=booking.pk, actor=unit_manager, actual_hours="2", now=after)
    assert booking.state == "completed"
    assert booking.actual_hours == Decimal("2.00")


# --- Move -----------------------------------------------------------------------------------


def test_booking_move_keeps_history(api_client, make_booking, researcher):
    booking = make_booking()
    start, end = local_slot(days=3, hour=14)
    api_client.force_authenticate(researcher)
    response = api_client.post(
        f"{URL}{booking.pk}/move/", {"start": start.isoformat(), "end": end.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.json()
    new_id = response.json()["id"]
    booking.refresh_from_db()
    assert booking.state == "cancelled"
    assert booking.moved_to_id == new_id
    assert booking.cancellation_late is False
    assert Booking.objects.get(pk=new_id).moved_from == booking
    assert not _facts("late_cancellation")


def test_booking_move_overlapping_own_slot_and_policy_recheck(api_client, auto_instrument, researcher, make_booking):
    booking = make_booking(target=auto_instrument, hours=2)
    assert booking.state == "approved"
    # Moving by an hour overlaps the old range: allowed, the old one is freed first.
    start, end = booking.start + timedelta(hours=1), booking.end + timedelta(hours=1)
    new = services.booking_move(booking_id=booking.pk, actor=researcher, start=start, end=end)
    assert new.state == "approved"
    assert new.deposit_state == "held"
    # Policy is re-checked on the new slot.
    before = _snapshot()
    with pytest.raises(Exception, match="Maximum duration"):
        services.booking_move(booking_id=new.pk, actor=researcher, start=start, end=start + timedelta(hours=10))
    assert _snapshot() == before


def test_booking_move_into_taken_slot_is_409_and_changes_nothing(api_client, auto_instrument, researcher, stranger,
                                                                  make_booking):  # fmt: skip
    mine = make_booking(target=auto_instrument)
    theirs = make_booking(target=auto_instrument, user=stranger, days=3)
    api_client.force_authenticate(researcher)
    before = _snapshot()
    response = api_client.post(
        f"{URL}{mine.pk}/move/", {"start": theirs.start.isoformat(), "end": theirs.end.isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert _snapshot() == before


def test_booking_operator_assisted_allows_unqualified(api_client, unit, researcher):
    instrument = InstrumentFactory(unit=unit, requires_qualification=True)
    api_client.force_authenticate(researcher)
    with nothing_changed():
        response = api_client.post(URL, _body(instrument), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "qualification"
    policy_set(instrument, operator_assistance_offered=True)
    with nothing_changed():
        response = api_client.post(URL, _body(instrument), format="json")
    assert response.status_code == 400
    assert "operator assistance instead" in response.json()["detail"]
    response = api_client.post(URL, _body(instrument, operator_assisted=True), format="json")
    assert response.status_code == 201
    assert response.json()["operator_assisted"] is True


def test_booking_qualified_user_books_and_check_in_refreshes_use(unit, researcher, unit_manager):
    instrument = InstrumentFactory(unit=unit, requires_qualification=True, requires_approval=False)
    services.qualification_grant(instrument=instrument, user=researcher, actor=unit_manager)
    start, end = local_slot()
    booking = services.booking_create(instrument=instrument, requester=researcher, start=start, end=end, purpose="x")
    services.booking_check_in(booking_id=booking.pk, actor=researcher, now=start)
    assert instrument.qualifications.get(user=researcher).last_used_at == start


def test_membership_role_does_not_grant_provider_rights(api_client, unit, make_booking):
    member = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    booking = make_booking()
    api_client.force_authenticate(member)
    with nothing_changed():
        assert api_client.post(f"{URL}{booking.pk}/approve/").status_code == 404
    assert Booking.objects.get(pk=booking.pk).state == BookingState.REQUESTED
