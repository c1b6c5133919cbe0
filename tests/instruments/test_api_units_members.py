"""Members API: list, add by username or email, change role, remove; at least one unit admin stays."""

import pytest
from django.db import IntegrityError, transaction

from instruments.models import Membership, Unit
from tests.errors import error_fields
from tests.factories import AdminUserFactory, MembershipFactory, UnitFactory, UserFactory
from tests.unchanged import nothing_changed

from .test_api_units import who_client


def members_url(unit, user_id=None):
    base = f"/api/v1/units/{unit.pk}/members/"
    return f"{base}{user_id}/" if user_id else base


def roles(unit):
    return dict(Membership.objects.filter(unit=unit).values_list("user__username", "role"))


MATRIX_WRITE = [
    ("anonymous", 401),
    ("plain", 403),
    ("other_unit_admin", 403),
    ("member", 403),
    ("manager", 403),
    ("unit_admin", None),  # the success code differs per operation
    ("platform_admin", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MATRIX_WRITE)
def test_member_add_permission_matrix(api_client, unit, unit_admin, who, expected):
    newcomer = UserFactory()
    who_client(api_client, who, unit)
    before = Membership.objects.count()
    response = api_client.post(members_url(unit), {"username": newcomer.username, "role": "manager"}, format="json")
    if expected is None:
        assert response.status_code == 201, response.json()
        assert response.json()["role"] == "manager"
        assert roles(unit)[newcomer.username] == "manager"
    else:
        assert response.status_code == expected
        assert Membership.objects.count() == before
        assert newcomer.username not in roles(unit)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MATRIX_WRITE)
def test_member_role_change_permission_matrix(api_client, unit, unit_admin, unit_member, who, expected):
    who_client(api_client, who, unit)
    response = api_client.patch(members_url(unit, unit_member.pk), {"role": "manager"}, format="json")
    if expected is None:
        assert response.status_code == 200
        assert roles(unit)[unit_member.username] == "manager"
    else:
        assert response.status_code == expected
        assert roles(unit)[unit_member.username] == "member"


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MATRIX_WRITE)
def test_member_remove_permission_matrix(api_client, unit, unit_admin, unit_member, who, expected):
    who_client(api_client, who, unit)
    response = api_client.delete(members_url(unit, unit_member.pk))
    if expected is None:
        assert response.status_code == 204
        assert unit_member.username not in roles(unit)
    else:
        assert response.status_code == expected
        assert unit_member.username in roles(unit)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 401),
        ("plain", 403),
        ("other_unit_admin", 403),
        ("member", 200),
        ("manager", 200),
        ("unit_admin", 200),
        ("platform_admin", 200),
    ],
)
def test_member_list_visibility(api_client, unit, unit_admin, who, expected):
    who_client(api_client, who, unit)
    response = api_client.get(members_url(unit))
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert {row["username"] for row in body} >= {unit_admin.username}
        assert set(body[0]) == {"user_id", "username", "full_name", "role", "role_display", "joined_at"}


@pytest.mark.django_db
def test_member_list_query_count_is_constant(api_client, unit, unit_admin, django_assert_num_queries):
    api_client.force_authenticate(unit_admin)
    made = {unit_admin.pk} | {m.user_id for m in MembershipFactory.create_batch(2, unit=unit)}

    def listed():
        response = api_client.get(members_url(unit))
        assert response.status_code == 200
        return {row["user_id"] for row in response.json()}

    # The unit, the "is a member" check, the members with their users.
    with django_assert_num_queries(3):
        assert listed() == made
    made |= {m.user_id for m in MembershipFactory.create_batch(12, unit=unit)}
    with django_assert_num_queries(3):
        assert listed() == made
    assert len(made) == 15


@pytest.mark.django_db
def test_member_add_by_email(api_client, unit, unit_admin):
    newcomer = UserFactory(email="Newcomer@Example.org")
    api_client.force_authenticate(unit_admin)
    response = api_client.post(members_url(unit), {"email": "newcomer@example.org"}, format="json")
    assert response.status_code == 201
    assert roles(unit)[newcomer.username] == "member"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ghost"}, "username"),
        ({"email": "ghost@example.org"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({}, None),
        ({"username": "x", "email": "x@example.org"}, None),
        ({"username": "USERNAME", "role": "owner"}, "role"),
        ({"username": ["USERNAME"]}, "username"),
    ],
)
def test_member_add_bad_input(api_client, unit, unit_admin, body, field):
    newcomer = UserFactory()
    body = {key: (newcomer.username if value == "USERNAME" else value) for key, value in body.items()}
    if body.get("username") == ["USERNAME"]:
        body["username"] = [newcomer.username]
    api_client.force_authenticate(unit_admin)
    before = Membership.objects.count()
    response = api_client.post(members_url(unit), body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response.json())
    assert Membership.objects.count() == before


@pytest.mark.django_db
def test_member_add_email_cannot_be_ambiguous(api_client, unit, unit_admin):
    """One address belongs to one account at most (a database rule), so adding by e-mail finds
    exactly the account that uses it."""
    owner = UserFactory(email="shared@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="Shared@Example.org")
    api_client.force_authenticate(unit_admin)
    response = api_client.post(members_url(unit), {"email": "SHARED@example.org"}, format="json")
    assert response.status_code == 201, response.content
    assert roles(unit)[owner.username] == "member"


@pytest.mark.django_db
def test_member_add_existing_member_is_409(api_client, unit, unit_admin, unit_member):
    api_client.force_authenticate(unit_admin)
    body = {"username": unit_member.username, "role": "admin"}
    with nothing_changed():
        response = api_client.post(members_url(unit), body, format="json")
    assert response.status_code == 409
    assert "already a member" in response.json()["detail"]
    assert roles(unit)[unit_member.username] == "member"


@pytest.mark.django_db
def test_member_add_inactive_user_refused(api_client, unit, unit_admin):
    inactive = UserFactory(is_active=False)
    api_client.force_authenticate(unit_admin)
    with nothing_changed():
        response = api_client.post(members_url(unit), {"username": inactive.username}, format="json")
    assert response.status_code == 400
    assert inactive.username not in roles(unit)


@pytest.mark.django_db
def test_member_malformed_json_and_unknown_ids(api_client, unit, unit_admin, unit_member):
    api_client.force_authenticate(unit_admin)
    before = roles(unit)
    assert api_client.post(members_url(unit), "{bad", content_type="application/json").status_code == 400
    assert api_client.post(members_url(unit), "[]", content_type="application/json").status_code == 400
    assert api_client.patch(members_url(unit, unit_member.pk), {"role": 3}, format="json").status_code == 400
    assert api_client.patch(members_url(unit, unit_member.pk), {}, format="json").status_code == 400
    assert api_client.patch(members_url(unit, 987654), {"role": "manager"}, format="json").status_code == 404
    assert api_client.delete(members_url(unit, 987654)).status_code == 404
    missing = Unit(pk=987654)
    assert api_client.post(members_url(missing), {"username": unit_member.username}, format="json").status_code == 404
    assert roles(unit) == before


@pytest.mark.django_db
def test_member_last_admin_cannot_be_demoted_or_removed(api_client, unit, unit_admin):
    api_client.force_authenticate(unit_admin)
    with nothing_changed():
        response = api_client.patch(members_url(unit, unit_admin.pk), {"role": "member"}, format="json")
        assert response.status_code == 409
        assert "at least one unit administrator" in response.json()["detail"]
        assert api_client.delete(members_url(unit, unit_admin.pk)).status_code == 409
    assert roles(unit)[unit_admin.username] == "admin"
    # With a second admin, the first may step down.
    second = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    assert api_client.patch(members_url(unit, unit_admin.pk), {"role": "manager"}, format="json").status_code == 200
    api_client.force_authenticate(second)
    with nothing_changed():
        assert api_client.delete(members_url(unit, second.pk)).status_code == 409


@pytest.mark.django_db
def test_member_may_leave_a_unit(api_client, unit, unit_admin, unit_member, unit_manager):
    api_client.force_authenticate(unit_member)
    with nothing_changed():
        assert api_client.delete(members_url(unit, unit_manager.pk)).status_code == 403
    assert api_client.delete(members_url(unit, unit_member.pk)).status_code == 204
    assert unit_member.username not in roles(unit)
    assert unit_manager.username in roles(unit)


@pytest.mark.django_db
def test_member_pending_unit_admin_manages_members(api_client):
    pending = UnitFactory(status=Unit.Status.PENDING)
    admin = MembershipFactory(unit=pending, role=Membership.Role.ADMIN).user
    newcomer = UserFactory()
    api_client.force_authenticate(admin)
    assert api_client.post(members_url(pending), {"username": newcomer.username}, format="json").status_code == 201
    # Outsiders cannot see a pending unit at all.
    api_client.force_authenticate(UserFactory())
    assert api_client.get(members_url(pending)).status_code == 404
    api_client.force_authenticate(AdminUserFactory())
    assert api_client.get(members_url(pending)).status_code == 200
