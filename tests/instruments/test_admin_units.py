"""Django admin for the instruments models: pages open, lists are joined, verify/reject actions call the service."""

import pytest
from django.urls import reverse

from instruments.models import Unit
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["region", "unit", "membership", "instrumentcategory", "instrument"])
def test_admin_changelist_and_add_pages_open(admin_client, model, instrument, unit_admin):
    assert admin_client.get(reverse(f"admin:instruments_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:instruments_{model}_add")).status_code == 200
    assert admin_client.get(reverse(f"admin:instruments_{model}_changelist") + "?q=a").status_code == 200


@pytest.mark.django_db
def test_admin_unit_change_page_shows_members(admin_client, unit, unit_admin):
    response = admin_client.get(reverse("admin:instruments_unit_change", args=[unit.pk]))
    assert response.status_code == 200
    assert unit_admin.username in response.text or str(unit_admin.pk) in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["unit", "instrument", "membership"])
def test_admin_changelist_query_count_is_constant(admin_client, model, django_assert_max_num_queries):
    url = reverse(f"admin:instruments_{model}_changelist")

    made = []

    def grow(count):
        for _ in range(count):
            unit = UnitFactory()
            instrument, membership = InstrumentFactory(unit=unit), MembershipFactory(unit=unit)
            rows = {"unit": unit, "instrument": instrument, "membership": membership}
            made.append(rows[model])

    grow(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(url)
    assert response.status_code == 200
    for row in made:  # every row is listed, linked to its change page
        assert reverse(f"admin:instruments_{model}_change", args=[row.pk]) in response.text


@pytest.mark.django_db
def test_admin_non_staff_cannot_open(client, user, unit_admin):
    client.force_login(unit_admin)
    response = client.get(reverse("admin:instruments_unit_changelist"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_admin_action_verify_pending_units(admin_client, platform_admin):
    pending = UnitFactory.create_batch(2, status=Unit.Status.PENDING)
    already = UnitFactory(status=Unit.Status.REJECTED)
    response = admin_client.post(
        reverse("admin:instruments_unit_changelist"),
        {"action": "verify_selected", "_selected_action": [unit.pk for unit in [*pending, already]]},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 units verified" in response.text
    assert "this unit is rejected" in response.text
    for unit in pending:
        unit.refresh_from_db()
        assert unit.status == Unit.Status.VERIFIED
        assert unit.status_changed_by == platform_admin
    already.refresh_from_db()
    assert already.status == Unit.Status.REJECTED


@pytest.mark.django_db
def test_admin_action_reject_pending_unit_with_reason(admin_client):
    pending = UnitFactory(status=Unit.Status.PENDING)
    admin_client.post(
        reverse("admin:instruments_unit_changelist"),
        {"action": "reject_selected", "_selected_action": [pending.pk]},
    )
    pending.refresh_from_db()
    assert pending.status == Unit.Status.REJECTED
    assert pending.status_reason


@pytest.mark.django_db
def test_admin_unit_status_is_read_only_in_form(admin_client, unit):
    response = admin_client.get(reverse("admin:instruments_unit_change", args=[unit.pk]))
    assert 'name="status"' not in response.text
    assert 'name="credit_score"' not in response.text
