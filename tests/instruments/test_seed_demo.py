"""`manage.py seed_demo`: the demo city platform in Baotou, deterministic and safe to run twice.

The catalogue only (`--without-history`); the year of history is tested in tests/demo/."""

# ruff: noqa: RUF001 - Chinese names use full-width parentheses

from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from instruments.category_data import CATEGORY_TREE
from instruments.demo_catalogue import TEMPLATES
from instruments.demo_data import DISTRICTS, MAX_COPIES, platform_max
from instruments.models import Instrument, Membership, Region, Unit
from instruments.validators import uscc_problem

pytestmark = pytest.mark.django_db

ENGLISH_FIELDS = ("name_en", "description_en", "specifications_en", "services_en", "location_en")
CHINESE_FIELDS = ("name", "description", "specifications", "services", "location")


def platform_state():
    return {
        "units": Unit.objects.count(),
        "instruments": Instrument.objects.count(),
        "value": Instrument.objects.aggregate(total=Sum("original_value"))["total"],
        "regions": Region.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "fingerprint": list(
            Instrument.objects.order_by("unit__credit_code", "asset_number").values_list(
                "unit__credit_code", "asset_number", "name", "model_number", "original_value", "hourly_rate_external"
            )[:50]
        ),
    }


def test_seed_demo_builds_the_baotou_city_platform(capsys):
    call_command("seed_demo", "--without-history")
    assert "Baotou): 47 units, 945 instruments, 350,000,000.00 CNY" in capsys.readouterr().out
    assert Unit.objects.count() == 47
    assert Unit.objects.verified().count() == 47
    assert Instrument.objects.count() == 945
    assert Instrument.objects.aggregate(total=Sum("original_value"))["total"] == Decimal("350000000.00")
    assert set(Unit.objects.values_list("kind", flat=True)) == set(Unit.Kind.values)
    assert all(uscc_problem(code) is None for code in Unit.objects.values_list("credit_code", flat=True))
    # Every unit is in one of Baotou's districts and counties, and every one of them has units.
    assert not Unit.objects.exclude(region__parent__code="150200").exists()
    assert set(Unit.objects.values_list("region__code", flat=True)) == set(DISTRICTS)
    for name in (
        "内蒙古科技大学",
        "包头医学院",
        "包头师范学院",
        "包头钢铁（集团）有限责任公司技术中心",
        "内蒙古第一机械集团有限公司",
        "包头市计量测试研究院",
        "包头市产品质量检验检测研究院",
    ):
        assert Unit.objects.filter(name=name).exists(), name
    big = Unit.objects.get(name="包头稀土研究院")
    assert (big.name_en, big.instruments.count()) == ("Baotou Research Institute of Rare Earths", 130)


def test_seed_demo_instruments_vary_across_the_national_classification():
    call_command("seed_demo", "--without-history")
    used = set(Instrument.objects.values_list("category__code", flat=True))
    assert len(used) >= 60
    assert {top for top, *_rest in CATEGORY_TREE} == set(
        Instrument.objects.values_list("category__parent__code", flat=True)
    )
    assert Instrument.objects.values("manufacturer").distinct().count() >= 150
    assert not Instrument.objects.filter(hourly_rate_external__lt=1).exists()
    # A unit lists several instruments of one type only as a real owner would: a few, of different makes
    # where the type has several; the six identical "5G wireless communications testers" are gone.
    same_type = Instrument.objects.values("unit", "name").annotate(n=Count("id")).order_by("-n").first()
    assert same_type["n"] <= MAX_COPIES
    # A city platform has a few instruments of the dearest types and more of the cheaper ones.
    per_type = dict(Instrument.objects.values_list("name").annotate(n=Count("id")))
    caps = {template.name_zh: platform_max(template) for template in TEMPLATES}
    assert [name for name, n in per_type.items() if n > caps[name] + 2] == []
    assert max(per_type.values()) <= 10
    same_model = Instrument.objects.values("unit", "name", "model_number").annotate(n=Count("id")).order_by("-n")
    assert same_model.first()["n"] <= 2
    assert Counter(same_model.values_list("n", flat=True))[2] <= 30  # of 945: a few pairs of twins


def test_seed_demo_fills_both_languages():
    call_command("seed_demo", "--without-history")
    for field in (*ENGLISH_FIELDS, *CHINESE_FIELDS):
        assert not Instrument.objects.filter(**{field: ""}).exists(), field
    assert not Unit.objects.filter(Q(name_en="") | Q(description_en="") | Q(description="")).exists()
    instrument = Instrument.objects.get(unit__name="包头稀土研究院", asset_number__endswith="-0001")
    assert instrument.name_en in instrument.description_en
    assert instrument.name in instrument.description


def test_seed_demo_catalogue_first_page_is_varied_in_both_languages():
    call_command("seed_demo", "--without-history")
    for language in ("en", "zh-hans"):
        page = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse("catalogue"))
        rows = page.context["instruments"]
        names = [row["display_name"] for row in rows]
        assert len(names) == 20
        assert len(set(names)) >= 5, (language, names)
        # Rows of one name are different instruments: another unit or another model.
        assert len({(row["unit"]["id"], row["name"], row["model_number"]) for row in rows}) >= 19, (language, names)
    cache.clear()  # a repeated anonymous page is served whole from the cache, with no template context to inspect
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("catalogue")).context["instruments"]
    assert [item["name_en"] for item in english] == sorted(item["name_en"] for item in english)


def test_seed_demo_instrument_page_reads_in_english_and_chinese():
    call_command("seed_demo", "--without-history")
    instrument = Instrument.objects.filter(unit__name="内蒙古科技大学").order_by("asset_number").first()
    url = reverse("instrument-detail", args=[instrument.pk])
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    for text in (instrument.description_en, instrument.specifications_en, instrument.services_en, "Baotou"):
        assert escape(text) in english
    assert escape(instrument.description) not in english
    assert "Not given in English" not in english
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url).content.decode()
    assert escape(instrument.description) in chinese
    assert escape(instrument.location) in chinese


def test_seed_demo_accounts_match_the_readme(client):
    call_command("seed_demo", "--without-history")
    user_model = get_user_model()
    admin = user_model.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.check_password("admin-demo-2026")
    provider = user_model.objects.get(username="provider")
    first_unit = Unit.objects.get(name="内蒙古科技大学")
    assert Membership.objects.get(user=provider).unit == first_unit
    assert Membership.objects.get(user=provider).role == Membership.Role.ADMIN
    researcher = user_model.objects.get(username="researcher")
    membership = Membership.objects.get(user=researcher)
    assert membership.unit == Unit.objects.get(name="包头医学院")
    assert membership.role == Membership.Role.MEMBER
    assert client.login(username="provider", password="demo-2026")
    assert client.login(username="researcher", password="demo-2026")


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", "--without-history")
    first = platform_state()
    call_command("seed_demo", "--without-history")
    assert platform_state() == first
    assert first["units"] == 47
    assert first["instruments"] == 945


def test_seed_demo_is_deterministic():
    call_command("seed_demo", "--without-history")
    first = platform_state()
    Instrument.objects.all().delete()
    Membership.objects.all().delete()
    Unit.objects.all().delete()
    call_command("seed_demo", "--without-history")
    assert platform_state()["fingerprint"] == first["fingerprint"]
    assert platform_state()["value"] == first["value"]
