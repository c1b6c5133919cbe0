"""factory_boy factories shared by every app's tests. App-specific ones live in tests/<app>/factories.py."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from instruments.models import Instrument, InstrumentCategory, Membership, Region, Unit
from instruments.validators import uscc_build

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the instance first
        if create:
            obj.save()


class AdminUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


def region_get(code: str = "310000") -> Region:
    """Provinces are loaded by migration; tests normally use Shanghai."""
    return Region.objects.get(code=code)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    name_en = factory.Sequence(lambda n: f"Test Unit {n}")
    kind = Unit.Kind.UNIVERSITY
    # 12 = institution category, 310000 = Shanghai, then a 9-character organisation code.
    credit_code = factory.Sequence(lambda n: uscc_build(f"12310000{n:09d}"))
    region = factory.LazyFunction(region_get)
    status = Unit.Status.VERIFIED


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Membership.Role.MEMBER


def category_get(code: str = "electron-optics") -> InstrumentCategory:
    return InstrumentCategory.objects.get(code=code)


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument

    unit = factory.SubFactory(UnitFactory)
    category = factory.LazyFunction(category_get)
    asset_number = factory.Sequence(lambda n: f"A{n:06d}")
    name = factory.Sequence(lambda n: f"扫描电子显微镜 {n}")
    name_en = factory.Sequence(lambda n: f"Scanning electron microscope {n}")
    model_number = "SU8010"
    manufacturer = "Hitachi"
    country_of_origin = "Japan"
    original_value = Decimal("3200000.00")
    location = "Building 5, Room 101"
    hourly_rate_internal = Decimal("200.00")
    hourly_rate_external = Decimal("400.00")
    deposit = Decimal("1000.00")
