"""Credit privacy: a person's score, tier, reasons, history and events are for the person, the
admins of their verified units, platform admins and the partner that created them; a provider deciding one
of the person's requests sees the tier on that request; the public sees published list entries only, and
walking user ids lists nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bookings import services as booking_services
from credit.models import CreditEvent
from credit.recompute import recompute_subject
from credit.selectors import credit_tiers_of_users
from instruments.models import Membership, Unit
from partners.models import Partner, PartnerUser, Scope
from partners.services import partner_key_issue
from tests.bookings.factories import local_slot
from tests.credit.factories import ListEntryFactory, record
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

K = CreditEvent.Kind


def _scored(user):
    record(user, K.BOOKING_FULFILLED, days_ago=5)
    record(user, K.NO_SHOW, days_ago=3)
    recompute_subject(f"user:{user.pk}")
    return user


def _published(subject, list_type="black"):
    now = timezone.now()
    return ListEntryFactory(
        subject=subject,
        list_type=list_type,
        status="published",
        published_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=90),
    )


def _key_client(partner, scopes) -> APIClient:
    _key, raw = partner_key_issue(partner=partner, name="k", scopes=scopes, expires_at=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def world(db):
    """A person in a verified unit with a score; the people around them."""
    home = UnitFactory()
    person = _scored(MembershipFactory(unit=home, role=Membership.Role.MEMBER).user)
    provider_unit = UnitFactory()
    instrument = InstrumentFactory(unit=provider_unit, requires_approval=True)
    pending_unit = UnitFactory(status=Unit.Status.PENDING)
    MembershipFactory(unit=pending_unit, user=person, role=Membership.Role.MEMBER)
    return {
        "person": person,
        "instrument": instrument,
        "home_admin": MembershipFactory(unit=home, role=Membership.Role.ADMIN).user,
        "home_manager": MembershipFactory(unit=home, role=Membership.Role.MANAGER).user,
        "pending_unit_admin": MembershipFactory(unit=pending_unit, role=Membership.Role.ADMIN).user,
        "provider": MembershipFactory(unit=provider_unit, role=Membership.Role.MANAGER).user,
        "other_provider": MembershipFactory(unit=UnitFactory(), role=Membership.Role.ADMIN).user,
        "stranger": UserFactory(),
        "platform_admin": AdminUserFactory(),
    }


def _request(world):
    start, end = local_slot(days=3)
    return booking_services.booking_create(
        instrument=world["instrument"], requester=world["person"], start=start, end=end, purpose="XRD"
    )


FULL = {"person", "home_admin", "platform_admin"}
NOT_FULL = {"anonymous", "stranger", "home_manager", "pending_unit_admin", "provider", "other_provider"}


def _client(world, who) -> APIClient:
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(world[who])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("with_pending_request", [False, True])
def test_privacy_user_credit_matrix(world, with_pending_request):
    """The whole matrix on the credit and events endpoints; a pending request changes nothing there."""
    if with_pending_request:
        _request(world)
    person = world["person"]
    url, events = f"/api/v1/credit/users/{person.pk}/", f"/api/v1/credit/users/{person.pk}/events/"
    for who in sorted(FULL):
        client = _client(world, who)
        body = client.get(url).json()
        assert body["visibility"] == "full", who
        assert 350 <= body["score"] <= 950, who
        assert body["private"]["snapshot"]["reasons"], who
        assert client.get(events).status_code == 200, who
    for who in sorted(NOT_FULL):
        client = _client(world, who)
        response = client.get(url)
        assert response.status_code == 404, who
        assert response.json() == {"detail": "Not found.", "code": "not_found"}, who
        assert client.get(events).status_code == (401 if who == "anonymous" else 404), who


@pytest.mark.django_db
def test_privacy_published_entry_is_public_but_score_is_not(world):
    person = world["person"]
    entry = _published(person)
    for who in sorted(NOT_FULL):
        body = _client(world, who).get(f"/api/v1/credit/users/{person.pk}/").json()
        assert (body["visibility"], body["score"], body["tier"]) == ("public", None, ""), who
        assert [row["id"] for row in body["published_entries"]] == [entry.pk], who
        assert "private" not in body, who


@pytest.mark.django_db
def test_privacy_id_walking_lists_nobody(world):
    """Anonymous and a signed-in stranger walk every user id: only published entries answer, and every other
    id (staff, scored people, unknown ids) gets the same 404 body."""
    listed = _published(UserFactory(), list_type="red").subject_user
    top = max(user.pk for user in [*world.values(), listed] if hasattr(user, "is_active")) + 5
    for who in ("anonymous", "stranger"):
        client = _client(world, who)
        answered, bodies = [], set()
        for pk in range(1, top):
            response = client.get(f"/api/v1/credit/users/{pk}/")
            if response.status_code == 200:
                answered.append(pk)
            else:
                assert response.status_code == 404
                bodies.add(response.content)
        own = [world["stranger"].pk] if who == "stranger" else []  # their own file, of course
        assert answered == sorted([listed.pk, *own]), who
        assert len(bodies) == 1


@pytest.mark.django_db
def test_privacy_unit_scores_stay_public(world, api_client):
    unit = world["instrument"].unit
    recompute_subject(f"unit:{unit.pk}")
    body = api_client.get(f"/api/v1/credit/units/{unit.pk}/").json()
    assert body["score"] is not None
    assert body["tier"]
    assert "private" not in body


@pytest.mark.django_db
def test_privacy_partner_key_sees_only_its_own_users(world):
    partner, other = Partner.objects.create(name="Portal"), Partner.objects.create(name="Bureau")
    mine = _scored(UserFactory())
    PartnerUser.objects.create(partner=partner, external_id="m-1", user=mine)
    theirs = _scored(UserFactory())
    PartnerUser.objects.create(partner=other, external_id="t-1", user=theirs)
    client = _key_client(partner, [Scope.CREDIT_READ])
    body = client.get(f"/api/v1/credit/users/{mine.pk}/").json()
    assert body["visibility"] == "full"
    assert body["score"] is not None
    assert client.get(f"/api/v1/credit/users/{mine.pk}/events/").status_code == 200
    for user in (theirs, world["person"], world["platform_admin"]):
        assert client.get(f"/api/v1/credit/users/{user.pk}/").status_code == 404
        assert client.get(f"/api/v1/credit/users/{user.pk}/events/").status_code == 404
    entry = _published(theirs)
    body = client.get(f"/api/v1/credit/users/{theirs.pk}/").json()
    assert (body["visibility"], body["score"]) == ("public", None)
    assert [row["id"] for row in body["published_entries"]] == [entry.pk]
    # Without credit:read a key reads nothing, even of its own users.
    no_scope = _key_client(partner, [Scope.BOOKINGS_WRITE])
    assert no_scope.get(f"/api/v1/credit/users/{mine.pk}/").status_code == 403


@pytest.mark.django_db
def test_privacy_provider_sees_tier_on_the_pending_request_only(world):
    booking = _request(world)
    expected = _tier_of(world["person"])
    assert expected in {"excellent", "good", "fair", "poor", "bad"}
    url = f"/api/v1/bookings/{booking.pk}/"
    provider = _client(world, "provider")
    assert provider.get(url).json()["requester_credit_tier"] == expected
    # The person sees their own tier; another provider does not even see the booking.
    assert _client(world, "person").get(url).json()["requester_credit_tier"] == expected
    assert _client(world, "other_provider").get(url).status_code == 404
    # Once decided, the provider no longer sees it.
    approved = provider.post(f"/api/v1/bookings/{booking.pk}/approve/").json()
    assert approved["state"] == "approved"
    assert approved["requester_credit_tier"] is None
    assert provider.get(url).json()["requester_credit_tier"] is None


def _tier_of(user) -> str:
    return credit_tiers_of_users([user.pk])[user.pk]


@pytest.mark.django_db
def test_privacy_provider_desk_and_booking_page_show_tier_of_pending_requests(world, client):
    booking = _request(world)
    client.force_login(world["provider"])
    desk = client.get(reverse("bookings:provider-queue")).content.decode()
    tier_label = {"excellent": "Excellent", "good": "Good", "fair": "Fair", "poor": "Poor", "bad": "Bad"}
    label = tier_label[_tier_of(world["person"])]
    assert 'data-testid="requester-tier"><span class="badge' in desk
    assert label in desk
    page = client.get(reverse("bookings:detail", args=[booking.pk])).content.decode()
    assert 'data-testid="requester-tier"' in page
    assert label in page
    booking_services.booking_approve(booking_id=booking.pk, actor=world["provider"])
    page = client.get(reverse("bookings:detail", args=[booking.pk])).content.decode()
    assert 'data-testid="requester-tier"' not in page


@pytest.mark.django_db
def test_privacy_provider_desk_queries_do_not_grow_with_requests(world, client, django_assert_num_queries):
    client.force_login(world["provider"])
    _request(world)
    with CaptureQueriesContext(connection) as one:
        response = client.get(reverse("bookings:provider-queue"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="requester-tier"><span class="badge') == 1
    for days in (4, 5, 6):
        start, end = local_slot(days=days)
        requester = _scored(UserFactory())
        booking_services.booking_create(
            instrument=world["instrument"], requester=requester, start=start, end=end, purpose="XRD"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("bookings:provider-queue"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="requester-tier"><span class="badge') == 4


@pytest.mark.django_db
def test_privacy_credit_page_of_a_unit_for_its_admins_only(world, client):
    unit = world["instrument"].unit
    client.force_login(world["provider"])  # a manager, not an admin
    response = client.get(reverse("credit:mine") + f"?unit={unit.pk}")
    assert response.status_code == 302
