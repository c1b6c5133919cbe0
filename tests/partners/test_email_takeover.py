"""Partner e-mail takeover: a partner cannot give its user the e-mail address of another account,
in any case; it gets 409 with a clear message and the existing account (and its owner's membership by e-mail)
is left alone."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from instruments.models import Membership
from partners.models import PartnerUser
from tests.factories import MembershipFactory, UnitFactory, UserFactory
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

USERS = "/api/v1/partner/users/"
User = get_user_model()


def _snapshot():
    return sorted(User.objects.values_list("pk", "username", "email", "first_name", "last_name"))


@pytest.mark.parametrize("claimed", ["li.wei@example.edu", "LI.WEI@Example.EDU", " Li.Wei@example.edu"])
def test_partner_user_with_another_accounts_email_is_409(partner_api, claimed):
    victim = UserFactory(username="liwei", email="li.wei@example.edu", first_name="Wei", last_name="Li")
    before = _snapshot()
    response = partner_api.post(USERS, {"external_id": "stu-9", "email": claimed, "name": "Mallory"}, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "email_taken"
    assert body["field"] == "email"
    assert "Another account already uses this e-mail address" in body["detail"]
    assert _snapshot() == before
    assert not PartnerUser.objects.exists()
    victim.refresh_from_db()
    assert victim.email == "li.wei@example.edu"


def test_partner_cannot_move_its_user_onto_another_accounts_email(partner_api):
    victim = UserFactory(email="li.wei@example.edu")
    created = partner_api.post(USERS, {"external_id": "stu-9", "email": "stu9@portal.example"}, format="json")
    assert created.status_code == 201
    before = _snapshot()
    response = partner_api.post(USERS, {"external_id": "stu-9", "email": "Li.Wei@example.edu"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert _snapshot() == before
    assert User.objects.get(pk=created.json()["user_id"]).email == "stu9@portal.example"
    assert victim.email == User.objects.get(pk=victim.pk).email


def test_partner_can_keep_or_repeat_its_own_users_email(partner_api):
    body = {"external_id": "stu-9", "email": "stu9@portal.example"}
    assert partner_api.post(USERS, body, format="json").status_code == 201
    assert partner_api.post(USERS, {**body, "email": "STU9@portal.example"}, format="json").status_code == 200
    # A second user of its own with the same address is refused too.
    with nothing_changed():  # no second user, no mapping
        second = partner_api.post(USERS, {"external_id": "stu-10", "email": "stu9@portal.example"}, format="json")
    assert second.status_code == 409


def test_after_a_refused_takeover_the_owner_is_still_added_by_email(partner_api, api_client):
    """The attack of the issue: after a partner claimed an address, adding its owner to a unit by e-mail failed."""
    victim = UserFactory(email="li.wei@example.edu")
    assert partner_api.post(USERS, {"external_id": "x", "email": victim.email}, format="json").status_code == 409
    unit = UnitFactory()
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    api_client.force_authenticate(admin)
    response = api_client.post(f"/api/v1/units/{unit.pk}/members/", {"email": victim.email}, format="json")
    assert response.status_code == 201, response.content
    assert Membership.objects.filter(unit=unit, user=victim).exists()
