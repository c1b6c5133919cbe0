"""Unit services directly: atomicity, the unique index as last guard, and the last-admin rule under races."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.models import QuerySet

from instruments.models import Membership, Unit
from instruments.services.units import (
    membership_add,
    membership_role_change,
    unit_register,
    unit_suspend,
    unit_update,
    unit_verify,
)
from instruments.validators import uscc_build
from sharing_platform.errors import (
    DomainConflictError,
    DomainPermissionError,
    DomainValidationError,
)
from tests.factories import MembershipFactory, UnitFactory, UserFactory, region_get

CODE = uscc_build("91310000MA1FL1234")


def pretend_absent(model, original):
    """A stand-in for QuerySet.exists/first that finds no `model` rows (other queries run as usual)."""

    def lookup(queryset):
        if queryset.model is model and queryset._fields is None:
            return False if original.__name__ == "exists" else None
        return original(queryset)

    return lookup


def register(actor, **changes):
    arguments = {"name": "测试", "kind": "enterprise", "credit_code": CODE, "region": region_get()}
    arguments.update(changes)
    return unit_register(actor=actor, **arguments)


@pytest.mark.django_db
def test_unit_register_rolls_back_when_membership_fails(user):
    with (
        mock.patch.object(Membership.objects, "create", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        register(user)
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_unit_register_unique_index_is_last_guard(user):
    UnitFactory(credit_code=CODE)
    # Pretend the friendly pre-check raced with another registration and saw nothing.
    with (
        mock.patch.object(QuerySet, "exists", autospec=True, side_effect=pretend_absent(Unit, QuerySet.exists)),
        pytest.raises(DomainValidationError) as caught,
    ):
        register(user)
    assert caught.value.code == "duplicate_credit_code"
    assert Unit.objects.count() == 1
    assert Membership.objects.count() == 0


@pytest.mark.django_db
def test_unit_register_anonymous_refused():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(DomainPermissionError):
        register(AnonymousUser())
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_unit_register_model_validation_names_field(user):
    with pytest.raises(DomainValidationError) as caught:
        register(user, contact_email="not-an-email")
    assert caught.value.field == "contact_email"
    with pytest.raises(DomainValidationError) as caught:
        register(user, accreditations=["CMA", 5])
    assert caught.value.field == "accreditations"
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_unit_verify_and_suspend_need_platform_admin(unit_admin, unit):
    with pytest.raises(DomainPermissionError):
        unit_suspend(actor=unit_admin, unit=unit, reason="x")
    pending = UnitFactory(status=Unit.Status.PENDING)
    with pytest.raises(DomainPermissionError):
        unit_verify(actor=unit_admin, unit=pending, approved=True)
    pending.refresh_from_db()
    assert pending.status == Unit.Status.PENDING


@pytest.mark.django_db
def test_unit_update_refuses_unknown_fields(unit, unit_admin):
    with pytest.raises(DomainValidationError) as caught:
        unit_update(actor=unit_admin, unit=unit, changes={"status": "verified"})
    assert caught.value.field == "status"


@pytest.mark.django_db
def test_membership_add_unique_index_is_last_guard(unit, unit_admin):
    newcomer = UserFactory()
    MembershipFactory(unit=unit, user=newcomer)
    with (
        mock.patch.object(QuerySet, "first", autospec=True, side_effect=pretend_absent(Membership, QuerySet.first)),
        pytest.raises(DomainConflictError),
    ):
        membership_add(actor=unit_admin, unit=unit, user=newcomer, role="manager")
    assert Membership.objects.get(unit=unit, user=newcomer).role == "member"


@pytest.mark.django_db
def test_membership_role_change_validates_role(unit, unit_admin, unit_member):
    membership = Membership.objects.get(unit=unit, user=unit_member)
    with pytest.raises(DomainValidationError):
        membership_role_change(actor=unit_admin, membership=membership, role="owner")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_membership_two_admins_demoting_each_other_keep_one():
    """Two unit admins demote each other at once: the unit lock serialises them, one admin remains. The second is
    refused either as the last admin (conflict) or because its actor has just been demoted (permission)."""
    unit = UnitFactory()
    first = MembershipFactory(unit=unit, role=Membership.Role.ADMIN)
    second = MembershipFactory(unit=unit, role=Membership.Role.ADMIN)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor, membership):
        try:
            barrier.wait(timeout=30)
            membership_role_change(actor=actor, membership=membership, role=Membership.Role.MEMBER)
            outcomes.append("ok")
        except DomainConflictError:
            outcomes.append("refused")
        except DomainPermissionError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=demote, args=(first.user, second)),
        threading.Thread(target=demote, args=(second.user, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["ok", "refused"]
    assert Membership.objects.filter(unit=unit, role=Membership.Role.ADMIN).count() == 1
    assert connection.vendor == "postgresql"
