"""The group robots page keeps the same number of queries as a person's robots grow (their own and those
of the units they administer: 2, then 6), and lists every one with its Remove button."""

from __future__ import annotations

import pytest

from instruments.models import Membership
from notifications.services import robot_webhook_create
from tests.factories import MembershipFactory, UserFactory
from tests.query_counts import ids_in, queries_of

pytestmark = pytest.mark.django_db
PAGE = "/notifications/robots/"


def test_robots_page_query_count_does_not_grow(client, robot_receiver, django_assert_num_queries):
    person = UserFactory()
    made = []

    def grow(count):
        for index in range(count):
            unit = None
            if index % 2:
                unit = MembershipFactory(user=person, role=Membership.Role.ADMIN).unit
            robot = robot_webhook_create(
                actor=person, unit=unit, user=None if unit else person, service="wecom", name=f"群 {len(made)}",
                url=robot_receiver.wecom_url, events=["booking_decision"], language="en",
            )  # fmt: skip
            made.append(robot.pk)
        return made

    def page():
        response = client.get(PAGE)
        assert response.status_code == 200
        return response.content.decode()

    client.force_login(person)
    grow(2)
    page()  # the session's first read is not part of the pinned count
    few, body = queries_of(page)
    assert ids_in(body, [f"/notifications/robots/{pk}/delete/" for pk in made]) == []
    grow(4)
    with django_assert_num_queries(few):
        body = page()
    assert ids_in(body, [f"/notifications/robots/{pk}/delete/" for pk in made]) == []
    assert len(made) == 6
