"""The person behind accounts (issue 18.2): unit admins vouch for members (API and page), sign-on joins the person
a staff number names, look-alike accounts are flagged for platform admins. Refusals change nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from identity.models import IdentityProvider, PersonAccount, PersonIdentifier, PersonVouch, ReRegistrationFlag
from identity.persons import email_canonical
from identity.protocols import ExternalProfile
from identity.services import external_sign_in
from instruments.models import Membership
from tests.factories import MembershipFactory, UnitFactory, UserFactory
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db
URL = "/api/v1/identity/vouches/"
FLAGS = "/api/v1/identity/reregistration-flags/"


@pytest.fixture
def admin(unit):
    return MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user


def _body(unit, user, **values):
    return {"unit": unit.pk, "user": user.username, "display_name": "Li Si", "staff_number": "T-0042"} | values


def _person_of(user):
    return PersonAccount.objects.get(user=user).person_id


def test_person_vouch_joins_the_accounts_of_one_staff_number(api_client, unit, admin):
    first, second = MembershipFactory(unit=unit).user, MembershipFactory(unit=unit).user
    api_client.force_authenticate(admin)
    response = api_client.post(URL, _body(unit, first), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["user"] == first.username
    assert api_client.post(URL, _body(unit, second, staff_number="t 0042"), format="json").status_code == 201
    assert _person_of(first) == _person_of(second)
    # Only a keyed digest is kept: the number itself is nowhere in the table.
    identifiers = list(PersonIdentifier.objects.values_list("digest", flat=True))
    assert len(identifiers) == 1
    assert "0042" not in identifiers[0]
    listed = api_client.get(URL).json()["results"]
    assert {row["user"] for row in listed} == {first.username, second.username}


def test_person_vouch_national_id_names_the_person_across_units(api_client, unit, admin):
    other_unit = UnitFactory()
    other_admin = MembershipFactory(unit=other_unit, role=Membership.Role.ADMIN).user
    here, there = MembershipFactory(unit=unit).user, MembershipFactory(unit=other_unit).user
    api_client.force_authenticate(admin)
    body = _body(unit, here, staff_number="", national_id="11010519491231002X")
    assert api_client.post(URL, body, format="json").status_code == 201
    api_client.force_authenticate(other_admin)
    body = _body(other_unit, there, staff_number="", national_id="110105 19491231 002x")
    assert api_client.post(URL, body, format="json").status_code == 201
    assert _person_of(here) == _person_of(there)


@pytest.mark.parametrize("role", [None, Membership.Role.MEMBER, Membership.Role.MANAGER, "other_unit_admin"])
def test_person_vouch_by_someone_not_admin_of_the_unit_is_refused(api_client, unit, role):
    member = MembershipFactory(unit=unit).user
    if role is None:
        actor = UserFactory()
    elif role == "other_unit_admin":
        actor = MembershipFactory(unit=UnitFactory(), role=Membership.Role.ADMIN).user
    else:
        actor = MembershipFactory(unit=unit, role=role).user
    api_client.force_authenticate(actor)
    with nothing_changed():
        response = api_client.post(URL, _body(unit, member), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_unit_admin"
    assert "Only an administrator of" in response.json()["detail"]


def test_person_vouch_twice_is_refused(api_client, unit, admin):
    member = MembershipFactory(unit=unit).user
    api_client.force_authenticate(admin)
    assert api_client.post(URL, _body(unit, member), format="json").status_code == 201
    with nothing_changed():
        response = api_client.post(URL, _body(unit, member), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_vouched"
    assert "has already vouched for" in response.json()["detail"]


def test_person_vouch_into_a_conflicting_person_is_refused(api_client, unit, admin):
    first, second, third = (MembershipFactory(unit=unit).user for _ in range(3))
    api_client.force_authenticate(admin)
    assert api_client.post(URL, _body(unit, first, staff_number="A1"), format="json").status_code == 201
    body = _body(unit, second, staff_number="B2", national_id="110105194912310021")
    assert api_client.post(URL, body, format="json").status_code == 201
    # Two identifiers of two different people.
    body = _body(unit, third, staff_number="A1", national_id="110105194912310021")
    with nothing_changed():
        response = api_client.post(URL, body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "identity_conflict"
    # An account of one person, vouched (by another unit) with another person's identifier.
    other_unit = UnitFactory()
    MembershipFactory(unit=other_unit, user=first)
    other_admin = MembershipFactory(unit=other_unit, role=Membership.Role.ADMIN).user
    api_client.force_authenticate(other_admin)
    body = _body(other_unit, first, staff_number="", national_id="110105194912310021")
    with nothing_changed():
        response = api_client.post(URL, body, format="json")
    assert response.status_code == 409
    assert "already belongs to another person" in response.json()["detail"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"staff_number": "", "national_id": ""}, "staff_number", "staff number at the unit or their national"),
        ({"national_id": "12"}, "national_id", "6 to 32 letters and digits"),
        ({"display_name": "  "}, "display_name", "display_name: This field may not be blank."),
    ],
)
def test_person_vouch_bad_input_is_refused(api_client, unit, admin, values, field, message):
    member = MembershipFactory(unit=unit).user
    api_client.force_authenticate(admin)
    with nothing_changed():
        response = api_client.post(URL, _body(unit, member, **values), format="json")
    assert response.status_code == 400
    assert message in str(response.json())


def test_person_vouch_for_someone_outside_the_unit_is_refused(api_client, unit, admin):
    stranger = UserFactory()
    api_client.force_authenticate(admin)
    with nothing_changed():
        response = api_client.post(URL, _body(unit, stranger), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_member"


def test_person_vouch_page_for_unit_admins_only(client, unit, admin):
    member = MembershipFactory(unit=unit).user
    client.force_login(MembershipFactory(unit=unit).user)
    assert client.get(reverse("identity:vouch")).status_code == 403
    client.force_login(admin)
    assert client.get(reverse("identity:vouch")).status_code == 200
    body = {"unit": unit.pk, "username": member.username, "display_name": "Li Si", "staff_number": "T-1"}
    response = client.post(reverse("identity:vouch"), body)
    assert response.status_code == 302
    assert PersonVouch.objects.filter(user=member, unit=unit, vouched_by=admin).exists()
    with nothing_changed():
        response = client.post(reverse("identity:vouch"), body)
    assert response.status_code == 409
    assert "has already vouched for" in response.content.decode()


def _provider(unit) -> IdentityProvider:
    return IdentityProvider.objects.create(
        unit=unit, display_name="CAS", protocol="cas", server_url="https://cas.example.edu.cn/cas/"
    )


def test_person_sign_on_joins_the_person_the_staff_number_names(api_client, unit, admin):
    vouched = MembershipFactory(unit=unit).user
    api_client.force_authenticate(admin)
    assert api_client.post(URL, _body(unit, vouched, staff_number="T-7"), format="json").status_code == 201
    outcome = external_sign_in(
        provider=_provider(unit), profile=ExternalProfile(external_id="ls7", staff_number="t7", display_name="Li Si")
    )
    assert outcome.created
    assert _person_of(outcome.user) == _person_of(vouched)


def test_person_sign_on_of_another_person_flags_the_conflict(api_client, unit, admin):
    provider = _provider(unit)
    signed = external_sign_in(provider=provider, profile=ExternalProfile(external_id="a", staff_number="X1")).user
    vouched = MembershipFactory(unit=unit).user
    api_client.force_authenticate(admin)
    assert api_client.post(URL, _body(unit, vouched, staff_number="Y2"), format="json").status_code == 201
    # The signed-on account now says it is staff Y2: it keeps its person, and an admin is asked.
    external_sign_in(provider=provider, profile=ExternalProfile(external_id="a", staff_number="Y2"))
    assert _person_of(signed) != _person_of(vouched)
    flag = ReRegistrationFlag.objects.get()
    assert (flag.account, flag.other_account, flag.signal) == (signed, vouched, "identity_conflict")


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("Jane.Doe+bookings@GMail.com", "janedoe@gmail.com"),
        ("j.a.n.e.d.o.e@googlemail.com", "janedoe@gmail.com"),
        ("Li.Si+x@pku.edu.cn", "li.si@pku.edu.cn"),
        ("nobody", ""),
    ],
)
def test_person_email_canonical(address, canonical):
    assert email_canonical(address) == canonical


def test_person_reregistration_flagged_and_linked_by_a_platform_admin(api_client, platform_admin):
    earlier = UserFactory(email="janedoe@gmail.com")
    UserFactory(email="jane.doe2@gmail.com")  # another mailbox: no flag
    later = UserFactory(email="Jane.Doe+again@googlemail.com")
    flag = ReRegistrationFlag.objects.get()
    assert (flag.account, flag.other_account, flag.signal) == (later, earlier, "email")

    api_client.force_authenticate(later)
    with nothing_changed():
        assert api_client.get(FLAGS).status_code == 403
        response = api_client.post(f"{FLAGS}{flag.pk}/decision/", {"same_person": True, "reason": "x"}, format="json")
    assert response.status_code == 403

    api_client.force_authenticate(platform_admin)
    rows = api_client.get(FLAGS).json()["results"]
    assert [(row["account"], row["other_account"]) for row in rows] == [(later.username, earlier.username)]
    with nothing_changed():
        response = api_client.post(f"{FLAGS}{flag.pk}/decision/", {"same_person": True, "reason": " "}, format="json")
    assert response.status_code == 400
    decision = {"same_person": True, "reason": "Same name, same lab, same phone"}
    response = api_client.post(f"{FLAGS}{flag.pk}/decision/", decision, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "linked"
    assert _person_of(later) == _person_of(earlier)
    with nothing_changed():
        response = api_client.post(f"{FLAGS}{flag.pk}/decision/", decision, format="json")
    assert response.status_code == 409
    assert api_client.get(FLAGS).json()["results"] == []


def test_person_reregistration_flag_on_email_confirmation(client):
    """Sign-up creates the account without an address; the check runs when the address is confirmed."""
    from sharing_platform.accounts.services import email_confirm, email_confirm_token

    earlier = UserFactory(email="wang.wu@pku.edu.cn")
    later = UserFactory(email="")
    assert not ReRegistrationFlag.objects.exists()
    email_confirm(token=email_confirm_token(user=later, email="Wang.Wu+2@pku.edu.cn"))
    assert ReRegistrationFlag.objects.filter(account=later, other_account=earlier).exists()


def test_person_reregistration_page_for_platform_admins(client, platform_admin):
    UserFactory(email="a.b@example.net")
    later = UserFactory(email="a.b+1@example.net")
    flag = ReRegistrationFlag.objects.get(account=later)
    client.force_login(later)
    assert client.get(reverse("identity:reregistrations")).status_code == 403
    client.force_login(platform_admin)
    page = client.get(reverse("identity:reregistrations"))
    assert page.status_code == 200
    assert later.username in page.content.decode()
    response = client.post(
        reverse("identity:reregistration-decide", args=[flag.pk]), {"same_person": "0", "reason": "different"}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "dismissed"
    assert not PersonAccount.objects.filter(user=later).exists()
    assert get_user_model().objects.filter(pk=later.pk).exists()


def test_person_lists_take_constant_queries(api_client, unit, admin, platform_admin):
    from tests.query_counts import queries_of

    def grow(n):
        for i in range(n):
            member = MembershipFactory(unit=unit).user
            api_client.force_authenticate(admin)
            assert api_client.post(URL, _body(unit, member, staff_number=f"Q{n}-{i}"), format="json").status_code == 201
            UserFactory(email=f"x{n}.{i}@example.net")
            UserFactory(email=f"x{n}.{i}+2@example.net")

    def counts():
        api_client.force_authenticate(admin)
        vouches = queries_of(lambda: api_client.get(URL))[0]
        api_client.force_authenticate(platform_admin)
        flags = queries_of(lambda: api_client.get(FLAGS))[0]
        return vouches, flags

    grow(1)
    few = counts()
    grow(4)
    assert counts() == few
    assert len(api_client.get(FLAGS).json()["results"]) == 5
