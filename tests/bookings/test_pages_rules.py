"""The booking-rules page through the Django test client: permission matrix, errors next to fields,
nothing changed on refusal, links from the desk, the rules shown read-only to bookers."""

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Blackout, BookingPolicy, OpeningHours, Qualification
from tests.factories import InstrumentFactory

from .factories import local_slot, policy_set

pytestmark = pytest.mark.django_db

# (fixture name or None for anonymous, expected status: "login", 403 or "ok")
MATRIX = [
    (None, "login"),
    ("user", 403),
    ("other_unit_manager", 403),
    ("unit_member", 403),
    ("unit_manager", "ok"),
    ("unit_admin", "ok"),
    ("platform_admin", "ok"),
]


def _login(request, client, who):
    if who is not None:
        client.force_login(request.getfixturevalue(who))
    return client


def _check(response, expected, ok_status):
    if expected == "login":
        assert response.status_code == 302
        assert "login" in response["Location"]
    elif expected == "ok":
        assert response.status_code == ok_status, response.content[:500]
    else:
        assert response.status_code == expected


def _policy_form(**overrides):
    values = {
        "min_notice_hours": 2,
        "horizon_days": 90,
        "min_duration_minutes": 30,
        "max_duration_hours": 8,
        "max_bookings_per_day": "",
        "max_future_bookings": "",
        "min_gap_minutes": 0,
        "quota_hours_per_week": "",
        "quota_hours_per_month": "",
        "allow_credit_auto_approval": "on",
        "cancellation_notice_hours": 24,
        "grace_period_minutes": 15,
        "no_show_threshold_minutes": 30,
        "qualification_lapse_days": "",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def _local_input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _save_url(instrument, section):
    return reverse("bookings:instrument-rules-save", args=[instrument.pk, section])


def _remove_url(instrument, section, pk):
    return reverse("bookings:instrument-rules-remove", args=[instrument.pk, section, pk])


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_rules_page_permission_matrix(request, client, instrument, who, expected):
    response = _login(request, client, who).get(reverse("bookings:instrument-rules", args=[instrument.pk]))
    _check(response, expected, 200)
    if expected == "ok":
        for anchor in ('id="policy"', 'id="opening-hours"', 'id="blackouts"', 'id="qualifications"'):
            assert anchor in response.text


def test_rules_page_unknown_instrument_404(client, unit_manager):
    client.force_login(unit_manager)
    assert client.get(reverse("bookings:instrument-rules", args=[999999])).status_code == 404
    assert client.post(_save_url(type("I", (), {"pk": 999999}), "policy"), _policy_form()).status_code == 404


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_rules_policy_save_permission_matrix(request, client, instrument, who, expected):
    response = _login(request, client, who).post(_save_url(instrument, "policy"), _policy_form(min_notice_hours=6))
    _check(response, expected, 302)
    policy = BookingPolicy.objects.filter(instrument=instrument).first()
    if expected == "ok":
        assert policy.min_notice_hours == 6
        assert policy.allow_overnight is False
        assert policy.allow_credit_auto_approval is True
    else:
        assert policy is None


def test_rules_policy_errors_next_to_fields_and_nothing_changed(client, instrument, unit_manager):
    policy = policy_set(instrument, min_notice_hours=4)
    before = BookingPolicy.objects.filter(pk=policy.pk).values().get()
    client.force_login(unit_manager)
    response = client.post(
        _save_url(instrument, "policy"),
        _policy_form(min_notice_hours=-2, min_duration_minutes=600, max_duration_hours=2, max_bookings_per_day=0),
    )
    assert response.status_code == 400
    text = response.text
    assert 'id="id_min_notice_hours_errors"' in text
    assert text.index('name="min_notice_hours"') < text.index("Cannot be negative.")
    assert 'id="id_max_bookings_per_day_errors"' in text
    assert "leave it empty for no limit" in text
    # The duration rule is judged once the numbers themselves are fine.
    response = client.post(
        _save_url(instrument, "policy"), _policy_form(min_duration_minutes=600, max_duration_hours=2)
    )
    assert response.status_code == 400
    text = response.text
    error_at = text.index("shorter than the minimum duration")
    assert text.index('name="max_duration_hours"') < error_at < text.index('name="allow_multi_day"')
    response = client.post(_save_url(instrument, "policy"), _policy_form(grace_period_minutes=45))
    assert response.status_code == 400
    assert 'id="id_no_show_threshold_minutes_errors"' in response.text
    assert BookingPolicy.objects.filter(pk=policy.pk).values().get() == before


def test_rules_opening_hours_add_remove_and_errors(client, instrument, unit_manager):
    client.force_login(unit_manager)
    url = _save_url(instrument, "opening-hours")
    response = client.post(url, {"weekday": 0, "opens": "09:00", "closes": "12:00"})
    assert response.status_code == 302
    row = OpeningHours.objects.get(instrument=instrument)
    page = client.get(reverse("bookings:instrument-rules", args=[instrument.pk])).text
    assert "Monday" in page
    assert "09:00" in page
    # Reversed, equal and overlapping hours: refused next to the field, nothing added.
    for body, words in (
        ({"weekday": 1, "opens": "17:00", "closes": "08:00"}, "must be after the opening time"),
        ({"weekday": 1, "opens": "08:00", "closes": "08:00"}, "must be after the opening time"),
        ({"weekday": 0, "opens": "11:00", "closes": "13:00"}, "overlaps the opening hours 09:00 to 12:00 on Monday"),
        ({"weekday": 9, "opens": "08:00", "closes": "09:00"}, "Select a valid choice"),
    ):
        response = client.post(url, body)
        assert response.status_code == 400
        assert words in response.text
        assert 'class="errorlist" id="id_' in response.text
    assert OpeningHours.objects.filter(instrument=instrument).count() == 1
    response = client.post(_remove_url(instrument, "opening-hours", row.pk))
    assert response.status_code == 302
    assert not OpeningHours.objects.exists()
    assert client.post(_remove_url(instrument, "opening-hours", row.pk)).status_code == 404


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_rules_opening_hours_remove_permission_matrix(request, client, instrument, who, expected):
    row = OpeningHours.objects.create(instrument=instrument, weekday=2, opens=time(9), closes=time(12))
    response = _login(request, client, who).post(_remove_url(instrument, "opening-hours", row.pk))
    _check(response, expected, 302)
    assert OpeningHours.objects.filter(pk=row.pk).exists() == (expected != "ok")


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_rules_blackout_add_permission_matrix(request, client, instrument, who, expected):
    start, end = local_slot(days=4, hour=8, hours=3)
    body = {"start": _local_input(start), "end": _local_input(end), "reason": "Service visit"}
    response = _login(request, client, who).post(_save_url(instrument, "blackouts"), body)
    _check(response, expected, 302)
    assert Blackout.objects.filter(instrument=instrument).count() == (1 if expected == "ok" else 0)
    if expected == "ok":
        assert Blackout.objects.get().start == start


def test_rules_blackout_errors_and_remove(client, instrument, unit_manager):
    start, end = local_slot(days=4, hour=8, hours=3)
    existing = Blackout.objects.create(instrument=instrument, start=start, end=end, reason="Calibration")
    client.force_login(unit_manager)
    url = _save_url(instrument, "blackouts")
    for body, field, words in (
        ({"start": _local_input(end), "end": _local_input(start)}, "end", "The end must be after the start."),
        ({"start": _local_input(start), "end": _local_input(end)}, "start", "overlaps the blackout"),
        ({"start": "tomorrow", "end": _local_input(end)}, "start", "Enter a valid date/time."),
    ):
        response = client.post(url, body)
        assert response.status_code == 400
        assert f'id="id_{field}_errors"' in response.text
        assert words in response.text
    assert Blackout.objects.count() == 1
    page = client.get(reverse("bookings:instrument-rules", args=[instrument.pk])).text
    assert "Calibration" in page
    assert client.post(_remove_url(instrument, "blackouts", existing.pk)).status_code == 302
    assert not Blackout.objects.exists()


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_rules_qualification_grant_permission_matrix(request, client, instrument, researcher, who, expected):
    response = _login(request, client, who).post(
        _save_url(instrument, "qualifications"), {"username": researcher.username}
    )
    _check(response, expected, 302)
    assert Qualification.objects.filter(user=researcher).exists() == (expected == "ok")


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_rules_qualification_revoke_permission_matrix(request, client, instrument, researcher, who, expected):
    qualification = Qualification.objects.create(instrument=instrument, user=researcher, granted_at=timezone.now())
    response = _login(request, client, who).post(_remove_url(instrument, "qualifications", qualification.pk))
    _check(response, expected, 302)
    qualification.refresh_from_db()
    assert (qualification.revoked_at is not None) == (expected == "ok")


def test_rules_qualification_unknown_user_next_to_field(client, instrument, unit_manager, researcher):
    client.force_login(unit_manager)
    response = client.post(_save_url(instrument, "qualifications"), {"username": "no-such-person"})
    assert response.status_code == 400
    text = response.text
    assert 'id="id_username_errors"' in text
    assert text.index('name="username"') < text.index("No active user with that name.")
    assert not Qualification.objects.exists()
    # Granted, listed as valid, revoked, listed as revoked; revoking again only shows a message.
    assert client.post(_save_url(instrument, "qualifications"), {"username": researcher.username}).status_code == 302
    qualification = Qualification.objects.get()
    page = client.get(reverse("bookings:instrument-rules", args=[instrument.pk])).text
    assert researcher.username in page
    assert _remove_url(instrument, "qualifications", qualification.pk) in page
    client.post(_remove_url(instrument, "qualifications", qualification.pk))
    page = client.get(reverse("bookings:instrument-rules", args=[instrument.pk])).text
    assert "revoked" in page
    assert _remove_url(instrument, "qualifications", qualification.pk) not in page
    response = client.post(_remove_url(instrument, "qualifications", qualification.pk), follow=True)
    assert "already revoked" in response.text


def test_rules_other_instruments_rows_are_404(client, instrument, unit_manager):
    other = InstrumentFactory()
    row = OpeningHours.objects.create(instrument=other, weekday=1, opens=time(9), closes=time(12))
    client.force_login(unit_manager)
    assert client.post(_remove_url(instrument, "opening-hours", row.pk)).status_code == 404
    assert client.post(_remove_url(instrument, "colours", row.pk)).status_code == 404
    assert client.post(_save_url(instrument, "colours"), {}).status_code == 404
    assert client.get(_save_url(instrument, "policy")).status_code == 405
    assert OpeningHours.objects.filter(pk=row.pk).exists()


def test_rules_reachable_from_desk(client, instrument, unit_manager, researcher):
    client.force_login(unit_manager)
    page = client.get(reverse("bookings:provider-queue")).text
    assert reverse("bookings:instrument-rules", args=[instrument.pk]) in page
    client.force_login(researcher)
    assert (
        reverse("bookings:instrument-rules", args=[instrument.pk])
        not in client.get(reverse("bookings:provider-queue")).text
    )


def test_rules_shown_read_only_to_bookers(client, instrument, researcher, unit_manager):
    policy_set(instrument, max_bookings_per_day=2, project_code_required=True)
    OpeningHours.objects.create(instrument=instrument, weekday=0, opens=time(9), closes=time(17))
    start, end = local_slot(days=5, hour=8, hours=3)
    Blackout.objects.create(instrument=instrument, start=start, end=end, reason="Vacuum service")
    rules_url = reverse("bookings:instrument-rules", args=[instrument.pk])
    client.force_login(researcher)
    for url in (
        reverse("bookings:create", args=[instrument.pk]),
        reverse("bookings:instrument-calendar", args=[instrument.pk]),
    ):
        text = client.get(url).text
        assert "At most 2 bookings per person per day." in text
        assert "Monday 09:00\u201317:00" in text
        assert "Vacuum service" in text
        assert rules_url not in text
    client.force_login(unit_manager)
    assert rules_url in client.get(reverse("bookings:instrument-calendar", args=[instrument.pk])).text


def test_rules_page_constant_queries(client, instrument, unit_manager, django_assert_max_num_queries):
    from tests.factories import UserFactory

    client.force_login(unit_manager)
    url = reverse("bookings:instrument-rules", args=[instrument.pk])
    with django_assert_max_num_queries(20) as captured:
        assert client.get(url).status_code == 200
    baseline = len(captured)
    rows = []
    for day in range(5):
        hours = OpeningHours.objects.create(instrument=instrument, weekday=day, opens=time(9), closes=time(17))
        start, end = local_slot(days=day + 3)
        blackout = Blackout.objects.create(instrument=instrument, start=start, end=end, created_by=unit_manager)
        granted = Qualification.objects.create(
            instrument=instrument, user=UserFactory(), granted_at=timezone.now(), granted_by=unit_manager
        )
        rows += [("opening-hours", hours.pk), ("blackouts", blackout.pk), ("qualifications", granted.pk)]
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert response.status_code == 200
    for kind, pk in rows:  # every row is listed, with its Remove (or Revoke) button
        assert reverse("bookings:instrument-rules-remove", args=[instrument.pk, kind, pk]) in response.text


def test_rules_blackout_warns_about_bookings_in_the_period(client, instrument, unit_manager, make_booking):
    booking = make_booking(days=4, hour=10, hours=2)
    client.force_login(unit_manager)
    body = {"start": _local_input(booking.start), "end": _local_input(booking.end), "reason": "Leak"}
    response = client.post(_save_url(instrument, "blackouts"), body, follow=True)
    assert "1 booking(s) already fall in this period" in response.text
    booking.refresh_from_db()
    assert booking.state == "requested"
