"""The main pages rendered in Chinese (zh-hans) carry none of the English words that slipped through before:
sort options, status badges, credit tiers, weekday names, admin section names, booking actions. The visible
text of each page (tags, scripts and attributes removed) is searched for known English words."""

import re

import pytest
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import OpeningHours
from instruments.models import Membership
from tests.bookings.factories import local_slot, policy_set
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory

pytestmark = pytest.mark.django_db

# Words of the interface that must not appear untranslated on a Chinese page (whole words, case-sensitive).
ENGLISH = [
    "descending", "Name", "Date listed", "External rate", "Original value", "Provider credit",
    "available", "Available", "maintenance", "excellent", "good", "fair", "poor",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Units and instruments", "Bookings", "Credit", "Billing", "Analytics", "Outbox", "Partners",
    "Approve", "Refuse", "Cancel", "Check in", "No-show", "free", "taken", "yours", "Opens at",
    "Previous week", "Next week", "Upcoming", "Requester", "Not scored yet", "Page",
]  # fmt: skip
WORD = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def english_words(client, url: str, language: str = "zh-hans") -> list[str]:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code in {200, 400}, (url, response.status_code)
    assert response.headers["Content-Language"] == language
    text = visible_text(response.content.decode())
    return [f"{url}: …{text[max(0, m.start() - 40) : m.end() + 40]}…" for m in WORD.finditer(text)]


def test_main_pages_in_chinese_have_no_known_english_words(client):
    admin = AdminUserFactory()
    provider = UnitFactory(name="东方大学分析测试中心", name_en="Eastern University Analysis Centre", credit_score=720,
                           credit_tier="good")  # fmt: skip
    MembershipFactory(unit=provider, user=admin, role=Membership.Role.ADMIN)
    raman = InstrumentFactory(unit=provider, name="激光共聚焦拉曼光谱仪", name_en="Confocal Raman spectrometer",
                              min_credit_score=600)  # fmt: skip
    policy_set(raman, min_notice_hours=0)
    researcher = MembershipFactory(role=Membership.Role.MEMBER, user__username="zhang").user
    start, end = local_slot(days=3, hour=10)
    requested = booking_services.booking_create(
        instrument=raman, requester=researcher, start=start, end=end, purpose="拉曼成像"
    )
    soon, soon_end = local_slot(days=1, hour=14, hours=1)  # a daytime hour: now + 1 day crossed midnight late at night
    approved = booking_services.booking_create(
        instrument=raman, requester=researcher, start=soon, end=soon_end, purpose="校准"
    )
    booking_services.booking_approve(booking_id=approved.pk, actor=admin)
    OpeningHours.objects.create(instrument=raman, weekday=0, opens="09:00", closes="17:00")  # weekday names
    client.force_login(admin)
    pages = [
        reverse("catalogue"),
        reverse("instrument-detail", args=[raman.pk]),
        reverse("unit-list"),
        reverse("unit-detail", args=[provider.pk]),
        reverse("bookings:provider-queue"),
        reverse("bookings:detail", args=[approved.pk]),
        reverse("bookings:detail", args=[requested.pk]),
        reverse("bookings:instrument-calendar", args=[raman.pk]),
        reverse("bookings:instrument-rules", args=[raman.pk]),
        reverse("analytics:platform"),
        reverse("analytics:before-you-buy") + f"?category={raman.category.code}",
        "/admin/",
    ]
    found = [hit for url in pages for hit in english_words(client, url)]
    assert not found, "English words on Chinese pages:\n" + "\n".join(found[:30])

    # The check can fail: the same pages in English are full of these words.
    english = " ".join(hit for url in pages for hit in english_words(client, url, "en"))
    for word in ("descending", "Monday", "Units and instruments", "Approve", "good", "Available", "Opens at"):
        assert re.search(rf"\b{word}\b", english), word
