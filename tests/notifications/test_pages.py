"""The group robots page: a person adds their own robot, a unit admin the unit's; bad addresses refused."""

from __future__ import annotations

import pytest

from instruments.models import Membership
from notifications.models import RobotWebhook
from tests.factories import MembershipFactory, UserFactory

from .robot_receiver import DINGTALK_SECRET

pytestmark = pytest.mark.django_db
PAGE = "/notifications/robots/"


def form(receiver, **values) -> dict:
    return {
        "owner": "me", "service": "wecom", "name": "课题组群", "url": receiver.wecom_url,
        "events": ["booking_decision", "reminder"], "language": "zh-hans", **values,
    }  # fmt: skip


def test_robots_page_person_adds_and_removes_their_own_robot(client, robot_receiver):
    person = UserFactory()
    client.force_login(person)
    response = client.post(PAGE, form(robot_receiver))
    assert response.status_code == 302
    robot = RobotWebhook.objects.get()
    assert robot.user == person
    assert robot.unit is None
    assert robot.events == ["booking_decision", "reminder"]
    assert "课题组群" in client.get(PAGE).content.decode()

    other = UserFactory()
    client.force_login(other)
    assert client.post(f"/notifications/robots/{robot.pk}/delete/").status_code == 404
    client.force_login(person)
    assert client.post(f"/notifications/robots/{robot.pk}/delete/").status_code == 302
    assert not RobotWebhook.objects.exists()


def test_robots_page_unit_admin_adds_a_dingtalk_robot_for_the_unit(client, robot_receiver, unit):
    admin = MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user
    client.force_login(admin)
    response = client.post(
        PAGE,
        form(robot_receiver, owner=f"unit:{unit.pk}", service="dingtalk", url=robot_receiver.dingtalk_url,
             secret=DINGTALK_SECRET),
    )  # fmt: skip
    assert response.status_code == 302
    robot = RobotWebhook.objects.get()
    assert robot.unit == unit
    assert DINGTALK_SECRET not in client.get(PAGE).content.decode()


def test_robots_page_member_cannot_add_for_the_unit(client, robot_receiver, unit):
    member = MembershipFactory(unit=unit, role=Membership.Role.MEMBER).user
    client.force_login(member)
    response = client.post(PAGE, form(robot_receiver, owner=f"unit:{unit.pk}"))
    assert response.status_code == 400
    assert not RobotWebhook.objects.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"url": "https://evil.example.com/cgi-bin/webhook/send?key=x"}, "Robot addresses must be on"),
        ({"url": "http://127.0.0.1:9/cgi-bin/webhook/send"}, "A WeCom robot address ends with ?key="),
        ({"service": "dingtalk", "secret": ""}, "paste its secret (it starts with SEC)"),
        ({"events": []}, "This field is required."),
    ],
)
def test_robots_page_refuses_bad_input_and_creates_nothing(client, robot_receiver, values, message):
    client.force_login(UserFactory())
    values = {"url": robot_receiver.dingtalk_url, **values} if values.get("service") == "dingtalk" else values
    response = client.post(PAGE, form(robot_receiver, **values))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RobotWebhook.objects.exists()


def test_robots_page_needs_a_signed_in_person(client):
    assert client.get(PAGE)["Location"].startswith("/accounts/login/")
