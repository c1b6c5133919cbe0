"""The moderation queue (the admins' page and the API lists) keeps the same number of queries as it grows
(2 of each kind, then 6), and lists every proposal, objection and repair request waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from credit.models import Appeal, RepairRequest
from tests.credit.factories import ListEntryFactory
from tests.factories import UnitFactory, UserFactory
from tests.query_counts import ids_in, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def grow():
    """Each step: a proposal on a user and one on a unit, an open objection and a pending repair request
    (each on a published entry of its own)."""
    made = {"proposed": set(), "appeals": set(), "repairs": set()}

    def published(subject):
        now = timezone.now()
        published_at, expires_at = now - timedelta(days=1), now + timedelta(days=90)
        return ListEntryFactory(subject=subject, status="published", published_at=published_at, expires_at=expires_at)

    def add(count):
        for _ in range(count):
            made["proposed"] |= {
                ListEntryFactory(subject=UserFactory(), status="proposed").pk,
                ListEntryFactory(subject=UnitFactory(), status="proposed").pk,
            }
            entry = published(UserFactory())
            appeal = Appeal.objects.create(
                entry=entry, submitted_by=entry.subject_user, reason="Not me", due_on=timezone.localdate()
            )
            made["appeals"].add(appeal.pk)
            entry = published(UserFactory())
            repair = RepairRequest.objects.create(
                entry=entry, submitted_by=entry.subject_user, proof_text="Paid", commitment_signed=True
            )
            made["repairs"].add(repair.pk)
        return made

    return add


def _links(made) -> list[str]:
    return (
        [reverse("credit:entry-confirm", args=[pk]) for pk in made["proposed"]]
        + [reverse("credit:appeal-decide", args=[pk]) for pk in made["appeals"]]
        + [reverse("credit:repair-decide", args=[pk]) for pk in made["repairs"]]
    )


def test_moderation_page_query_count_does_not_grow(client, platform_admin, grow, django_assert_num_queries):
    def page():
        response = client.get(reverse("moderation"))
        assert response.status_code == 200
        return response.content.decode()

    client.force_login(platform_admin)
    made = grow(2)
    page()  # the session's first read is not part of the pinned count
    few, body = queries_of(page)
    assert ids_in(body, _links(made)) == []
    made = grow(4)
    with django_assert_num_queries(few):
        body = page()
    assert ids_in(body, _links(made)) == []
    assert len(made["proposed"]) == 12


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/api/v1/credit/entries/?status=proposed", "proposed"),
        ("/api/v1/credit/appeals/", "appeals"),
        ("/api/v1/credit/repairs/", "repairs"),
    ],
)
def test_moderation_api_lists_query_count_does_not_grow(
    api_client, platform_admin, grow, url, kind, django_assert_num_queries
):
    def listed():
        response = api_client.get(url)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    api_client.force_authenticate(platform_admin)
    made = grow(2)
    few, shown = queries_of(listed)
    assert shown == made[kind]
    made = grow(4)
    with django_assert_num_queries(few):
        assert listed() == made[kind]
    assert len(made[kind]) in (6, 12)


@pytest.mark.parametrize(
    ("model", "kind"), [("listentry", "proposed"), ("appeal", "appeals"), ("repairrequest", "repairs")]
)
def test_moderation_admin_changelists_query_count_does_not_grow(admin_client, grow, model, kind):
    url = reverse(f"admin:credit_{model}_changelist")

    def page():
        response = admin_client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    made = grow(2)
    page()
    few, body = queries_of(page)
    assert ids_in(body, [reverse(f"admin:credit_{model}_change", args=[pk]) for pk in made[kind]]) == []
    made = grow(4)
    many, body = queries_of(page)
    assert ids_in(body, [reverse(f"admin:credit_{model}_change", args=[pk]) for pk in made[kind]]) == []
    assert many == few
