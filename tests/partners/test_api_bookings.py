"""Booking on behalf of partner users: mapping, booking, idempotency, cursor lists, cancel, isolation."""

from __future__ import annotations

import pytest

from bookings.models import Booking, BookingState
from partners.models import IdempotencyRecord, PartnerUser
from tests.factories import InstrumentFactory
from tests.unchanged import nothing_changed

from .factories import booking_body, user_body

USERS = "/api/v1/partner/users/"
BOOKINGS = "/api/v1/partner/bookings/"


@pytest.fixture
def auto_instrument(unit):
    return InstrumentFactory(unit=unit, requires_approval=False)


@pytest.fixture
def mapped_user(partner_api):
    response = partner_api.post(USERS, user_body("stu-1"), format="json")
    assert response.status_code == 201, response.content
    return PartnerUser.objects.get(external_id="stu-1")


def test_partner_user_created_once_then_updated(partner_api, partner):
    first = partner_api.post(USERS, user_body("stu-1"), format="json")
    assert first.status_code == 201
    again = partner_api.post(USERS, {"external_id": "stu-1", "email": "new@example.edu"}, format="json")
    assert again.status_code == 200
    assert again.json()["user_id"] == first.json()["user_id"]
    link = PartnerUser.objects.select_related("user").get(partner=partner, external_id="stu-1")
    assert link.user.email == "new@example.edu"
    assert not link.user.has_usable_password()


def test_partner_user_same_external_id_for_two_partners_is_two_users(partner_api, other_partner_api):
    mine = partner_api.post(USERS, user_body("stu-1"), format="json").json()
    theirs = other_partner_api.post(USERS, {**user_body("stu-1"), "email": "stu-1@city.example"}, format="json")
    assert mine["user_id"] != theirs.json()["user_id"]


@pytest.mark.parametrize("body", [{}, {"external_id": ""}, {"external_id": "a", "email": "not-an-email"}])
def test_partner_user_bad_input_is_400(partner_api, body):
    assert partner_api.post(USERS, body, format="json").status_code == 400
    assert not PartnerUser.objects.exists()


def test_partner_booking_created_as_the_user(partner_api, mapped_user, auto_instrument):
    response = partner_api.post(BOOKINGS, booking_body(auto_instrument), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["external_id"] == "stu-1"
    assert body["requester"] == mapped_user.user_id
    assert body["state"] == BookingState.APPROVED
    booking = Booking.objects.get(pk=body["id"])
    assert booking.requester_id == mapped_user.user_id
    assert booking.events.filter(actor_id=mapped_user.user_id, action="requested").exists()


def test_partner_booking_unknown_external_id_is_400(partner_api, auto_instrument):
    response = partner_api.post(BOOKINGS, booking_body(auto_instrument, "nobody"), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "external_id"
    assert not Booking.objects.exists()


def test_partner_booking_rules_apply(partner_api, mapped_user, auto_instrument):
    body = booking_body(auto_instrument)
    body["end"] = body["start"]
    assert partner_api.post(BOOKINGS, body, format="json").status_code == 400
    body = booking_body(auto_instrument)
    body["start"] = body["start"][:19]  # naive time
    assert partner_api.post(BOOKINGS, body, format="json").status_code == 400
    assert not Booking.objects.exists()


def test_partner_booking_slot_taken_is_409(partner_api, mapped_user, auto_instrument):
    partner_api.post(USERS, user_body("stu-2"), format="json")
    assert partner_api.post(BOOKINGS, booking_body(auto_instrument, "stu-1"), format="json").status_code == 201
    response = partner_api.post(BOOKINGS, booking_body(auto_instrument, "stu-2"), format="json")
    assert response.status_code == 409
    assert Booking.objects.count() == 1


# --- Idempotency ------------------------------------------------------------------------------


def test_idempotency_same_key_same_body_replays(partner_api, mapped_user, auto_instrument):
    body = booking_body(auto_instrument)
    first = partner_api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    # Same body with keys in another order: the same request.
    again = partner_api.post(BOOKINGS, dict(reversed(body.items())), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Booking.objects.count() == 1


def test_idempotency_same_key_other_body_is_409(partner_api, mapped_user, auto_instrument):
    assert (
        partner_api.post(BOOKINGS, booking_body(auto_instrument), format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code
        == 201
    )
    response = partner_api.post(
        BOOKINGS, booking_body(auto_instrument, hour=14), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_idempotency_key_is_per_partner(partner_api, other_partner_api, auto_instrument):
    partner_api.post(USERS, user_body("stu-1"), format="json", HTTP_IDEMPOTENCY_KEY="same")
    body = {**user_body("stu-1"), "email": "stu-1@city.example"}  # one address belongs to one account
    response = other_partner_api.post(USERS, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert PartnerUser.objects.count() == 2


def test_idempotency_failed_request_can_be_retried(partner_api, mapped_user, auto_instrument):
    body = booking_body(auto_instrument, "not-yet")
    assert partner_api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    partner_api.post(USERS, user_body("not-yet"), format="json")
    assert partner_api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201


def test_idempotency_in_progress_duplicate_is_409(partner_api, partner, mapped_user, auto_instrument):
    """A duplicate that arrives while the first is running (its record has no response yet) gets 409."""
    from django.utils import timezone

    IdempotencyRecord.objects.create(
        owner=f"partner:{partner.pk}", key="k-3", method="POST", path=BOOKINGS, request_hash="x" * 64,
        created_at=timezone.now(),
    )  # fmt: skip
    response = partner_api.post(BOOKINGS, booking_body(auto_instrument), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 409
    assert not Booking.objects.exists()


def test_idempotency_key_too_long_is_400(partner_api, auto_instrument, mapped_user):
    response = partner_api.post(BOOKINGS, booking_body(auto_instrument), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert response.status_code == 400
    assert not Booking.objects.exists()


# --- Lists, cancel, isolation -----------------------------------------------------------------


def _book(client, instrument, external_id, day):
    response = client.post(BOOKINGS, booking_body(instrument, external_id, days=day), format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_partner_booking_list_cursor_pages_fixed_queries(
    partner_api, mapped_user, auto_instrument, django_assert_num_queries
):
    ids = [_book(partner_api, auto_instrument, "stu-1", day) for day in range(2, 7)]
    seen = []
    url = BOOKINGS + "?page_size=2"
    # key lookup + one page query (cursor pagination never counts)
    with django_assert_num_queries(2):
        page = partner_api.get(url).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        assert all(row["external_id"] == "stu-1" for row in page["results"])
        if not page["next"]:
            break
        page = partner_api.get(page["next"]).json()
    assert seen == list(reversed(ids))


def test_partner_isolation_lists_details_and_cancel(partner_api, other_partner_api, mapped_user, auto_instrument):
    mine = _book(partner_api, auto_instrument, "stu-1", 2)
    other_partner_api.post(USERS, user_body("stu-9"), format="json")
    theirs = _book(other_partner_api, auto_instrument, "stu-9", 3)
    assert [row["id"] for row in partner_api.get(BOOKINGS).json()["results"]] == [mine]
    assert [row["id"] for row in other_partner_api.get(BOOKINGS).json()["results"]] == [theirs]
    assert partner_api.get(f"{BOOKINGS}{theirs}/").status_code == 404
    assert partner_api.post(f"{BOOKINGS}{theirs}/cancel/", {}, format="json").status_code == 404
    assert Booking.objects.get(pk=theirs).state == BookingState.APPROVED
    # Another partner's external_id is not visible either: booking for "stu-9" as `partner` fails.
    response = partner_api.post(BOOKINGS, booking_body(auto_instrument, "stu-9", days=5), format="json")
    assert response.status_code == 400
    assert Booking.objects.count() == 2


def test_partner_booking_of_platform_user_is_invisible(partner_api, auto_instrument, make_platform_booking):
    booking = make_platform_booking()
    assert partner_api.get(f"{BOOKINGS}{booking.pk}/").status_code == 404
    with nothing_changed():  # the platform user's booking is not cancelled, nothing is sent
        assert partner_api.post(f"{BOOKINGS}{booking.pk}/cancel/", {}, format="json").status_code == 404
    assert partner_api.get(BOOKINGS).json()["results"] == []


@pytest.fixture
def make_platform_booking(auto_instrument, user):
    from bookings.services import booking_create
    from tests.bookings.factories import local_slot

    def make():
        start, end = local_slot(days=4)
        return booking_create(instrument=auto_instrument, requester=user, start=start, end=end, purpose="own")

    return make


def test_partner_booking_cancel(partner_api, mapped_user, auto_instrument):
    booking_id = _book(partner_api, auto_instrument, "stu-1", 3)
    response = partner_api.post(f"{BOOKINGS}{booking_id}/cancel/", {"reason": "exam moved"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == BookingState.CANCELLED
    booking = Booking.objects.get(pk=booking_id)
    assert booking.cancelled_by_id == mapped_user.user_id
    with nothing_changed():  # cancelled once: no second event, no second webhook
        again = partner_api.post(f"{BOOKINGS}{booking_id}/cancel/", {}, format="json")
    assert again.status_code == 409


def test_partner_malformed_json_is_400(partner_api):
    response = partner_api.post(USERS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not PartnerUser.objects.exists()
