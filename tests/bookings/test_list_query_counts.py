"""My bookings (the page and the API list) keeps the same number of queries as a person's bookings grow
(3 bookings, then 9, each on an instrument of its own unit, in several states), and lists every one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bookings import services
from tests.factories import InstrumentFactory
from tests.query_counts import ids_in, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def grow(make_booking, researcher):
    """Bookings of the researcher's on new instruments (of new units): requested, approved and cancelled."""
    made = []

    def add(count):
        for index in range(count):
            booking = make_booking(target=InstrumentFactory(requires_approval=index % 3 != 1), days=2 + len(made))
            if index % 3 == 2:
                services.booking_cancel(booking_id=booking.pk, actor=researcher, reason="Samples not ready")
            made.append(booking.pk)
        return made

    return add


def test_my_bookings_page_query_count_does_not_grow(client, researcher, stranger, make_booking, grow,
                                                    django_assert_num_queries):  # fmt: skip
    def page():
        response = client.get(reverse("bookings:mine"))
        assert response.status_code == 200
        return response.text

    theirs = make_booking(user=stranger, days=20)
    client.force_login(researcher)
    made = grow(3)
    page()  # the session's first read is not part of the pinned count
    few, body = queries_of(page)
    assert ids_in(body, [reverse("bookings:detail", args=[pk]) for pk in made]) == []
    made = grow(6)
    with django_assert_num_queries(few):
        body = page()
    assert ids_in(body, [reverse("bookings:detail", args=[pk]) for pk in made]) == []
    assert reverse("bookings:detail", args=[theirs.pk]) not in body
    assert len(made) == 9


def test_my_bookings_api_query_count_does_not_grow(api_client, researcher, stranger, make_booking, grow,
                                                   django_assert_num_queries):  # fmt: skip
    def listed():
        response = api_client.get("/api/v1/bookings/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    make_booking(user=stranger, days=20)
    api_client.force_authenticate(researcher)
    made = grow(3)
    few, shown = queries_of(listed)
    assert shown == set(made)
    made = grow(6)
    with django_assert_num_queries(few):
        assert listed() == set(made)
    assert len(made) == 9
