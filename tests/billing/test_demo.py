"""The billing demo: a year of statements through the real services, mostly paid, some late; safe to repeat."""

import pytest
from django.core.management import call_command

from billing.models import Statement
from credit.models import CreditEvent
from instruments.models import Membership
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_seed_billing_demo_writes_months_of_statements_once(capsys):
    provider = UnitFactory()
    MembershipFactory(unit=provider, role=Membership.Role.ADMIN, user=UserFactory(username="provider"))
    MembershipFactory(unit=UnitFactory(), user=UserFactory(username="researcher"))
    UnitFactory()
    UnitFactory()
    for _ in range(3):
        InstrumentFactory(unit=provider, requires_approval=False)

    call_command("seed_billing_demo", "--months", "6")
    first = capsys.readouterr().out
    call_command("seed_billing_demo", "--months", "6")

    assert "already present" in capsys.readouterr().out
    statements = Statement.objects.filter(provider_unit=provider)
    assert statements.count() >= 6
    paid = statements.filter(status="paid").count()
    assert paid >= statements.count() // 2
    assert CreditEvent.objects.filter(kind="payment_on_time").count() >= 1
    assert f"{statements.count()} statements" in first
    payer = UserFactory._meta.model.objects.get(username="payer")
    assert payer.check_password("demo-2026")
    assert Membership.objects.filter(user=payer, role="admin").exists()


def test_seed_billing_demo_needs_the_demo_accounts():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_billing_demo")
