"""The units directory and the verification queue keep the same number of queries as they grow (4 units,
then 12; 2 applications, then 6), and list every unit they must."""

from __future__ import annotations

import pytest
from django.urls import reverse

from instruments.models import Membership, Unit
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory
from tests.query_counts import ids_in, queries_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_unit_list_page_query_count_does_not_grow(client, who, django_assert_num_queries):
    viewer = UserFactory()
    made = []

    def grow(count):
        for _ in range(count):
            unit = UnitFactory()
            InstrumentFactory.create_batch(2, unit=unit)
            MembershipFactory(unit=unit, user=viewer)
            made.append(unit.pk)
        UnitFactory(status=Unit.Status.PENDING)  # never listed
        return made

    def page():
        response = client.get(reverse("unit-list"))
        assert response.status_code == 200
        return response.text

    if who == "member":
        client.force_login(viewer)
    grow(4)
    page()  # the session's first read is not part of the pinned count
    few, body = queries_of(page)
    assert ids_in(body, [reverse("unit-detail", args=[pk]) for pk in made]) == []
    grow(8)
    with django_assert_num_queries(few):
        body = page()
    assert ids_in(body, [reverse("unit-detail", args=[pk]) for pk in made]) == []
    assert not any(reverse("unit-detail", args=[u.pk]) in body for u in Unit.objects.filter(status="pending"))


def test_unit_verification_queue_query_count_does_not_grow(client, platform_admin, django_assert_num_queries):
    made = []

    def grow(count):
        for _ in range(count):
            unit = UnitFactory(status=Unit.Status.PENDING)
            MembershipFactory(unit=unit, role=Membership.Role.ADMIN)
            made.append(unit)
        UnitFactory()  # verified: not in the queue
        return made

    def page():
        response = client.get(reverse("unit-verification-queue"))
        assert response.status_code == 200
        return response.text

    client.force_login(platform_admin)
    grow(2)
    page()
    few, body = queries_of(page)
    assert all(unit.name in body for unit in made)
    grow(4)
    with django_assert_num_queries(few):
        body = page()
    assert all(unit.name in body for unit in made)
    assert len(made) == 6
