"""`manage.py seed_demo`: the demo city platform, deterministic and safe to run twice."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum

from instruments.models import Instrument, Membership, Region, Unit
from instruments.validators import uscc_problem

pytestmark = pytest.mark.django_db


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
                "unit__credit_code", "asset_number", "name", "original_value", "hourly_rate_external"
            )[:50]
        ),
    }


def test_seed_demo_builds_the_city_platform(capsys):
    call_command("seed_demo")
    assert "47 units, 945 instruments" in capsys.readouterr().out
    assert Unit.objects.count() == 47
    assert Unit.objects.verified().count() == 47
    assert Instrument.objects.count() == 945
    total = Instrument.objects.aggregate(total=Sum("original_value"))["total"]
    assert abs(total - Decimal("350000000")) <= Decimal("350000000") * Decimal("0.02")
    assert set(Unit.objects.values_list("kind", flat=True)) == {
        "university",
        "research_institute",
        "metrology_institute",
        "enterprise",
    }
    assert all(uscc_problem(code) is None for code in Unit.objects.values_list("credit_code", flat=True))
    districts = Region.objects.filter(parent__code="310000")
    assert {"310101", "310104", "310115", "310151"} <= set(districts.values_list("code", flat=True))
    assert districts.count() == 16
    assert not Unit.objects.exclude(region__parent__code="310000").exists()
    assert Instrument.objects.values("category").distinct().count() >= 40
    assert not Instrument.objects.filter(name_en="").exists()
    assert not Instrument.objects.filter(hourly_rate_external__lt=1).exists()


def test_seed_demo_accounts_match_the_readme(client):
    call_command("seed_demo")
    user_model = get_user_model()
    admin = user_model.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.check_password("admin-demo-2026")
    provider = user_model.objects.get(username="provider")
    first_unit = Unit.objects.get(name="申江大学")
    assert Membership.objects.get(user=provider).unit == first_unit
    assert Membership.objects.get(user=provider).role == Membership.Role.ADMIN
    researcher = user_model.objects.get(username="researcher")
    membership = Membership.objects.get(user=researcher)
    assert membership.unit != first_unit
    assert membership.role == Membership.Role.MEMBER
    assert client.login(username="provider", password="demo-2026")
    assert client.login(username="researcher", password="demo-2026")


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    first = platform_state()
    call_command("seed_demo")
    assert platform_state() == first
    assert first["units"] == 47
    assert first["instruments"] == 945


def test_seed_demo_is_deterministic():
    call_command("seed_demo")
    first = platform_state()
    Instrument.objects.all().delete()
    Membership.objects.all().delete()
    Unit.objects.all().delete()
    call_command("seed_demo")
    assert platform_state()["fingerprint"] == first["fingerprint"]
    assert platform_state()["value"] == first["value"]
