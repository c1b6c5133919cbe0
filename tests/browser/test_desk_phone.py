"""The provider desk and the calendar on a phone (390 px) in a real browser: the desk's decision buttons are
on screen without sideways scrolling (each request is a card), each reason box sits before its button, an
upcoming approved booking stays on the desk, and the calendar's first column is today."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import services as booking_services
from instruments.models import Membership
from tests.bookings.factories import local_slot, policy_set
from tests.factories import TEST_PASSWORD, InstrumentFactory, MembershipFactory, UnitFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 800}


def _on_screen(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_desk_and_calendar_usable_on_phone(page, language, screenshot, page_problems):
    provider = UnitFactory()
    manager = MembershipFactory(unit=provider, role=Membership.Role.MANAGER).user
    raman = InstrumentFactory(unit=provider, name="激光共聚焦拉曼光谱仪", name_en="Confocal Raman spectrometer")
    policy_set(raman, min_notice_hours=0)
    researcher = MembershipFactory(role=Membership.Role.MEMBER).user
    start, end = local_slot(days=3, hour=9)
    requested = booking_services.booking_create(
        instrument=raman, requester=researcher, start=start, end=end, purpose="Raman mapping of graphene samples"
    )
    start, end = local_slot(days=10, hour=14)
    upcoming = booking_services.booking_create(
        instrument=raman, requester=researcher, start=start, end=end, purpose="Calibration run"
    )
    booking_services.booking_approve(booking_id=upcoming.pk, actor=manager)

    log_in(page, manager.username, TEST_PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(reverse("bookings:provider-queue"))
    card = page.locator("[data-testid=desk-request]")
    assert card.count() == 1
    for name in ("approve", "refuse"):
        button = card.locator(f"form.action-{name} button[type=submit]")
        assert _on_screen(page, button), f"{name} is off screen at 390 px"
    reason = card.locator("form.action-refuse input[name=reason]")
    assert _on_screen(page, reason)
    assert reason.bounding_box()["y"] <= card.locator("form.action-refuse button").bounding_box()["y"]
    assert page.locator("[data-testid=desk-upcoming]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, f"desk-phone-{language}")

    page.goto(reverse("bookings:instrument-calendar", args=[raman.pk]))
    first_day = page.locator("table.calendar thead th").nth(1).inner_text()
    assert timezone.localdate().strftime("%m-%d") in first_day
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, f"calendar-phone-{language}")

    # Refusing from the phone works, and the request leaves the desk.
    page.goto(reverse("bookings:provider-queue"))
    page.locator("[data-testid=desk-request] form.action-refuse input[name=reason]").fill("Fully booked")
    with page.expect_navigation():
        page.locator("[data-testid=desk-request] form.action-refuse button").click()
    assert page.locator("[data-testid=desk-request]").count() == 0
    requested.refresh_from_db()
    assert requested.state == "refused"
    page_problems.assert_none(page)
