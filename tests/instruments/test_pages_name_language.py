"""Names in the active language on the unit and catalogue lists: ordered by that name (my units too), and a unit
or instrument with no English name is shown in Chinese, marked as such, on English pages."""

import pytest
from django.urls import reverse

from instruments.models import Membership, Unit
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_english_lists_mark_a_missing_english_name(client):
    unit = UnitFactory(name="包头稀土研究院", name_en="")
    InstrumentFactory(unit=unit, name="场发射扫描电镜", name_en="")
    for url in (reverse("unit-list"), reverse("catalogue")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
        assert '<span lang="zh-Hans">包头稀土研究院</span>' in page, url
        assert "(no English name)" in page, url
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").text
        assert "包头稀土研究院" in chinese
        assert "no English name" not in chinese
    catalogue = client.get(reverse("catalogue"), HTTP_ACCEPT_LANGUAGE="en").text
    assert '<span lang="zh-Hans">场发射扫描电镜</span>' in catalogue


def test_my_units_ordered_by_the_name_in_the_active_language(client):
    user = UserFactory()
    for name, name_en in (("内蒙古科技大学", "Inner Mongolia University"), ("包钢集团研发中心", "Baotou Steel Centre")):
        MembershipFactory(user=user, unit=UnitFactory(name=name, name_en=name_en), role=Membership.Role.MEMBER)
    client.force_login(user)
    page = client.get(reverse("my-units"), HTTP_ACCEPT_LANGUAGE="en").text
    assert page.index("Baotou Steel Centre") < page.index("Inner Mongolia University")
    page = client.get(reverse("my-units"), HTTP_ACCEPT_LANGUAGE="zh-hans").text
    first, second = Unit.objects.order_by("name").values_list("name", flat=True)  # the database's collation
    assert page.index(first) < page.index(second)
