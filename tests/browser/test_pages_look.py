"""The main pages at phone (390 px) and desktop width, in both languages: every page has the shared
layout (navigation, one heading, the page's language), nothing is wider than the screen (wide
tables scroll inside their own box), and a screenshot of each is written for a person to look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import services as booking_services
from credit import services as credit_services
from credit.models import CreditEvent, subject_key_for
from instruments.models import Membership, Unit
from tests.bookings.factories import local_slot, policy_set
from tests.credit.factories import violations_warned
from tests.factories import (
    TEST_PASSWORD,
    AdminUserFactory,
    InstrumentFactory,
    MembershipFactory,
    UnitFactory,
    UserFactory,
)

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = {"phone": 390, "desktop": 1280}


def platform_in_use():
    """A provider unit run by a platform admin, two instruments, a researcher with bookings and a
    black-list entry, a unit waiting for verification and a proposal waiting for moderation."""
    admin = AdminUserFactory()
    provider = UnitFactory(name="东方大学分析测试中心", name_en="Eastern University Analysis Centre")
    MembershipFactory(unit=provider, user=admin, role=Membership.Role.ADMIN)
    raman = InstrumentFactory(unit=provider, name="激光共聚焦拉曼光谱仪", name_en="Confocal Raman spectrometer")
    InstrumentFactory(unit=provider, requires_approval=False)
    policy_set(raman, min_notice_hours=0, allow_overnight=True)
    researcher = MembershipFactory(role=Membership.Role.MEMBER).user
    requested = booking_services.booking_create(
        instrument=raman,
        requester=researcher,
        start=local_slot(days=3, hour=9)[0],
        end=local_slot(days=3, hour=9)[1],
        purpose="Raman mapping of graphene samples on silicon wafers, three regions of interest per sample",
    )
    soon = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=20)
    booking_services.booking_create(
        instrument=raman,
        requester=researcher,
        start=soon,
        end=soon + timedelta(hours=1),
        purpose="Calibration run",
        now=soon - timedelta(days=1),
    )
    UnitFactory(status=Unit.Status.PENDING, name="西湖材料研究所", name_en="West Lake Materials Institute")
    violations_warned(researcher, CreditEvent.Kind.NO_SHOW)
    (entry,) = credit_services.list_entries_propose(subject_keys=[subject_key_for(researcher)])
    credit_services.list_entry_confirm(entry=entry, moderator=admin, reason="Three no-shows confirmed.")
    other = MembershipFactory().user
    violations_warned(other, CreditEvent.Kind.LATE_CANCELLATION, days_ago=(45, 36, 8, 2))
    credit_services.list_entries_propose(subject_keys=[subject_key_for(other)])
    return admin, researcher, raman, requested


def assert_empty_state_says_what_to_do(page, name: str) -> None:
    empty = page.locator("[data-testid=empty-state]")
    assert empty.count() == 1, name
    assert empty.locator("a[href]").count() >= 1, f"{name}: an empty state links to the next step"


def test_pages_look_finished_on_phone_and_desktop(page, language, screenshot, page_problems):
    admin, researcher, raman, requested = platform_in_use()
    journeys = [
        (
            researcher,
            {
                "home": reverse("home"),
                "catalogue": reverse("catalogue"),
                "catalogue-empty": reverse("catalogue") + "?q=nothing-matches-this",
                "instrument": reverse("instrument-detail", args=[raman.pk]),
                "booking-form": reverse("bookings:create", args=[raman.pk]),
                "calendar": reverse("bookings:instrument-calendar", args=[raman.pk]),
                "my-bookings": reverse("bookings:mine"),
                "booking": reverse("bookings:detail", args=[requested.pk]),
                "my-credit": reverse("credit:mine"),
                "credit-lists": reverse("credit:lists"),
                "before-you-buy": reverse("analytics:before-you-buy"),
            },
        ),
        (
            admin,
            {
                "provider-desk": reverse("bookings:provider-queue"),
                "units": reverse("unit-list"),
                "my-units": reverse("my-units"),
                "verification-queue": reverse("unit-verification-queue"),
                "unit-register": reverse("unit-register"),
                "moderation": reverse("moderation"),
                "disputes": reverse("bookings:disputes"),
                "analytics": reverse("analytics:platform"),
                "feeds": reverse("bookings:feeds"),
            },
        ),
        (
            UserFactory(),  # a newcomer: no bookings, no unit, no score yet
            {
                "my-bookings-empty": reverse("bookings:mine"),
                "provider-desk-empty": reverse("bookings:provider-queue"),
                "my-units-empty": reverse("my-units"),
                "my-credit-empty": reverse("credit:mine"),
            },
        ),
    ]
    too_wide = []
    for user, pages in journeys:
        log_in(page, user.username, TEST_PASSWORD)
        for width_name, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 800})
            for name, url in pages.items():
                response = page.goto(url)
                assert response.status in {200, 400}, (name, response.status)
                assert page.locator("html").get_attribute("lang") == language
                assert page.locator("header nav").count() == 1, name
                assert page.locator("main h1").count() == 1, name
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    too_wide.append((name, width_name, overflow))
                if name in {"my-bookings-empty", "provider-desk-empty"}:
                    assert_empty_state_says_what_to_do(page, name)
                screenshot(page, f"look-{language}-{width_name}-{name}")
    assert not too_wide, f"pages wider than the screen (page, width, extra px): {too_wide}"
    page_problems.assert_none(page)  # under the strict Content-Security-Policy, on every page above
