"""Cursor pagination on the long lists: bookings, a subject's ledger events, public list entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from credit.models import CreditEvent
from tests.credit.factories import ListEntryFactory, record
from tests.factories import MembershipFactory, UserFactory

K = CreditEvent.Kind


def _walk(api_client, url: str) -> list[int]:
    """Follow `next` links to the end; the ids seen, in order."""
    seen = []
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    return seen


@pytest.mark.django_db
def test_cursor_user_events_walk_newest_first_without_repeats(api_client, user):
    events = [record(user, K.BOOKING_FULFILLED, days_ago=days, source_ref=f"booking:{days}") for days in range(1, 8)]
    api_client.force_authenticate(user)
    seen = _walk(api_client, f"/api/v1/credit/users/{user.pk}/events/?page_size=3")
    assert seen == [event.pk for event in events]  # days_ago 1 first: newest first


@pytest.mark.django_db
def test_cursor_user_events_shape(api_client, user):
    record(user, K.NO_SHOW, source_ref="booking:9")
    api_client.force_authenticate(user)
    row = api_client.get(f"/api/v1/credit/users/{user.pk}/events/").json()["results"][0]
    assert row["kind"] == "no_show"
    assert "counterparty_key" not in row


@pytest.mark.django_db
def test_cursor_user_events_permission_matrix(api_client, user, platform_admin, unit_admin):
    record(user, K.NO_SHOW, source_ref="booking:1")
    url = f"/api/v1/credit/users/{user.pk}/events/"
    stranger = UserFactory()
    # Another person's events are not found (issue 12.6), as if there were none; the admin of a unit the
    # person is not in is another person.
    for actor, expected in [(None, 401), (stranger, 404), (unit_admin, 404), (user, 200), (platform_admin, 200)]:
        api_client.force_authenticate(actor)
        assert api_client.get(url).status_code == expected, actor


@pytest.mark.django_db
def test_cursor_unit_events_permission_matrix(api_client, unit, user, unit_admin, unit_manager, platform_admin):
    record(unit, K.SERVICE_DELIVERED, source_ref="booking:1")
    url = f"/api/v1/credit/units/{unit.pk}/events/"
    for actor, expected in [(None, 401), (user, 403), (unit_manager, 403), (unit_admin, 200), (platform_admin, 200)]:
        api_client.force_authenticate(actor)
        assert api_client.get(url).status_code == expected, actor


@pytest.mark.django_db
def test_cursor_events_unknown_subject_is_404(api_client, user):
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/credit/users/999999/events/").status_code == 404
    assert api_client.get("/api/v1/credit/units/999999/events/").status_code == 404


@pytest.mark.django_db
def test_cursor_events_query_count_is_fixed(api_client, user, django_assert_num_queries):
    api_client.force_authenticate(user)
    url = f"/api/v1/credit/users/{user.pk}/events/"
    record(user, K.NO_SHOW, source_ref="booking:0")
    api_client.get(url)
    with django_assert_num_queries(2):  # the subject, the page
        response = api_client.get(url)
    assert response.status_code == 200
    assert [event["kind"] for event in response.json()["results"]] == [K.NO_SHOW]
    for n in range(1, 20):
        record(user, K.BOOKING_FULFILLED, days_ago=n, source_ref=f"booking:{n}")
    with django_assert_num_queries(2):
        response = api_client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


@pytest.mark.django_db
def test_cursor_events_bad_cursor_is_404(api_client, user):
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/credit/users/{user.pk}/events/?cursor=garbage")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_cursor_public_list_walks_every_published_entry(api_client):
    now = timezone.now()
    entries = [
        ListEntryFactory(
            subject=UserFactory(),
            list_type="black",
            status="published",
            published_at=now - timedelta(days=n + 1),
            expires_at=now + timedelta(days=90),
        )
        for n in range(5)
    ]
    seen = _walk(api_client, "/api/v1/credit/lists/black/?page_size=2")
    assert seen == [entry.pk for entry in entries]


@pytest.mark.django_db
def test_cursor_bookings_list_is_cursor_paginated(api_client, user):
    api_client.force_authenticate(user)
    body = api_client.get("/api/v1/bookings/").json()
    assert set(body) == {"next", "previous", "results"}


@pytest.mark.django_db
def test_cursor_unit_events_member_of_other_unit_is_403(api_client, unit, other_unit):
    record(unit, K.SERVICE_DELIVERED, source_ref="booking:1")
    other_admin = MembershipFactory(unit=other_unit, role="admin").user
    api_client.force_authenticate(other_admin)
    assert api_client.get(f"/api/v1/credit/units/{unit.pk}/events/").status_code == 403
