"""Booking rules API: policy, opening hours, blackouts, qualifications (permission matrix, bad input)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Blackout, BookingPolicy, OpeningHours, Qualification
from tests.factories import InstrumentFactory, UserFactory
from tests.unchanged import nothing_changed

from .factories import local_slot, policy_set

pytestmark = pytest.mark.django_db

# (fixture name or None for anonymous, expected status of a write)
MATRIX = [
    (None, 401),
    ("user", 403),
    ("other_unit_manager", 403),
    ("unit_member", 403),
    ("unit_manager", "ok"),
    ("unit_admin", "ok"),
    ("platform_admin", "ok"),
]


def _as(request, api_client, who):
    if who is not None:
        api_client.force_authenticate(request.getfixturevalue(who))
    return api_client


def _ok(expected, response, ok_status):
    assert response.status_code == (ok_status if expected == "ok" else expected), response.content


def _iso(value):
    return timezone.localtime(value).isoformat()


# --- Booking policy ---------------------------------------------------------------------------


def test_policy_get_defaults_public(api_client, instrument):
    response = api_client.get(f"/api/v1/instruments/{instrument.pk}/booking-policy/")
    assert response.status_code == 200
    assert response.json()["min_notice_hours"] == 2
    assert response.json()["max_bookings_per_day"] is None
    assert not BookingPolicy.objects.exists()  # reading writes nothing
    assert api_client.get("/api/v1/instruments/999999/booking-policy/").status_code == 404


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_policy_patch_permission_matrix(request, api_client, instrument, who, expected):
    client = _as(request, api_client, who)
    response = client.patch(
        f"/api/v1/instruments/{instrument.pk}/booking-policy/",
        {"min_notice_hours": 12, "project_code_required": True},
        format="json",
    )
    _ok(expected, response, 200)
    policy = BookingPolicy.objects.filter(instrument=instrument).first()
    if expected == "ok":
        assert response.json()["min_notice_hours"] == 12
        assert policy.min_notice_hours == 12
        assert policy.project_code_required is True
        assert policy.max_duration_hours == 8  # untouched rules keep their values
    else:
        assert policy is None


def test_policy_put_needs_every_rule_and_sets_them(api_client, instrument, unit_manager):
    api_client.force_authenticate(unit_manager)
    url = f"/api/v1/instruments/{instrument.pk}/booking-policy/"
    full = api_client.get(url).json()
    full.pop("updated_at")
    with nothing_changed():  # no policy row written from a partial PUT
        assert api_client.put(url, {"min_notice_hours": 1}, format="json").status_code == 400
    full.update(horizon_days=30, max_bookings_per_day=2, quota_hours_per_week=10, qualification_lapse_days=180)
    response = api_client.put(url, full, format="json")
    assert response.status_code == 200
    policy = BookingPolicy.objects.get(instrument=instrument)
    assert (policy.horizon_days, policy.max_bookings_per_day, policy.quota_hours_per_week) == (30, 2, 10)
    # Clearing a limit: empty means no limit.
    assert api_client.patch(url, {"max_bookings_per_day": None}, format="json").status_code == 200
    policy.refresh_from_db()
    assert policy.max_bookings_per_day is None


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"min_notice_hours": -1}, "min_notice_hours", "negative"),
        ({"min_duration_minutes": 600, "max_duration_hours": 2}, "max_duration_hours", "shorter than the minimum"),
        ({"grace_period_minutes": 60, "no_show_threshold_minutes": 30}, "no_show_threshold_minutes", "grace"),
        ({"max_bookings_per_day": 0}, "max_bookings_per_day", "empty for no limit"),
        ({"horizon_days": 1, "min_notice_hours": 48}, "horizon_days", "nothing could ever be booked"),
        ({"quota_hours_per_week": 20, "quota_hours_per_month": 10}, "quota_hours_per_month", "weekly quota"),
        ({"max_duration_hours": 100000}, "max_duration_hours", "at most"),
        ({"min_duration_minutes": "abc"}, "min_duration_minutes", None),
        ({"min_duration_minutes": None}, "min_duration_minutes", None),
    ],
)
def test_policy_bad_input_refused_with_field(api_client, instrument, unit_manager, body, field, words):
    policy = policy_set(instrument, min_notice_hours=5)
    before = BookingPolicy.objects.filter(pk=policy.pk).values().get()
    api_client.force_authenticate(unit_manager)
    response = api_client.patch(f"/api/v1/instruments/{instrument.pk}/booking-policy/", body, format="json")
    assert response.status_code == 400
    payload = response.json()
    fields = {error.get("field") for error in payload.get("errors", [])} | {payload.get("field")} | set(payload)
    assert field in fields
    if words:
        assert words in str(payload)
    assert BookingPolicy.objects.filter(pk=policy.pk).values().get() == before


def test_policy_service_reports_every_problem_at_once(instrument, unit_manager):
    with pytest.raises(services.RulesValidationError) as caught:
        services.booking_policy_update(
            instrument=instrument,
            actor=unit_manager,
            values={"min_notice_hours": -3, "max_future_bookings": 0, "allow_overnight": "yes", "colour": 1},
        )
    fields = [error["field"] for error in caught.value.errors]
    assert fields == ["colour"]  # unknown names are refused before anything else
    with pytest.raises(services.RulesValidationError) as caught:
        services.booking_policy_update(
            instrument=instrument,
            actor=unit_manager,
            values={"min_notice_hours": -3, "max_future_bookings": 0, "allow_overnight": "yes"},
        )
    assert {error["field"] for error in caught.value.errors} == {
        "min_notice_hours",
        "max_future_bookings",
        "allow_overnight",
    }
    assert not BookingPolicy.objects.exists()


def test_policy_rules_take_effect_on_bookings(api_client, instrument, unit_manager, researcher):
    api_client.force_authenticate(unit_manager)
    url = f"/api/v1/instruments/{instrument.pk}/booking-policy/"
    assert api_client.patch(url, {"max_duration_hours": 1}, format="json").status_code == 200
    start, end = local_slot(hours=2)
    api_client.force_authenticate(researcher)
    with nothing_changed():
        response = api_client.post(
            "/api/v1/bookings/",
            {"instrument": instrument.pk, "start": _iso(start), "end": _iso(end), "purpose": "XRD"},
            format="json",
        )
    assert response.status_code == 400
    assert "Maximum duration" in response.json()["detail"]


# --- Opening hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_opening_hours_post_permission_matrix(request, api_client, instrument, who, expected):
    client = _as(request, api_client, who)
    url = f"/api/v1/instruments/{instrument.pk}/opening-hours/"
    response = client.post(url, {"weekday": 0, "opens": "09:00", "closes": "17:00"}, format="json")
    _ok(expected, response, 201)
    assert OpeningHours.objects.filter(instrument=instrument).count() == (1 if expected == "ok" else 0)


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_opening_hours_delete_permission_matrix(request, api_client, instrument, who, expected):
    row = OpeningHours.objects.create(instrument=instrument, weekday=1, opens=time(9), closes=time(12))
    client = _as(request, api_client, who)
    response = client.delete(f"/api/v1/instruments/{instrument.pk}/opening-hours/{row.pk}/")
    _ok(expected, response, 204)
    assert OpeningHours.objects.filter(pk=row.pk).exists() == (expected != "ok")


def test_opening_hours_list_public_and_ordered(api_client, instrument):
    OpeningHours.objects.create(instrument=instrument, weekday=2, opens=time(13), closes=time(17))
    OpeningHours.objects.create(instrument=instrument, weekday=0, opens=time(9), closes=time(12))
    response = api_client.get(f"/api/v1/instruments/{instrument.pk}/opening-hours/")
    assert response.status_code == 200
    assert [(row["weekday"], row["opens"]) for row in response.json()] == [(0, "09:00"), (2, "13:00")]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"weekday": 0, "opens": "17:00", "closes": "09:00"}, "closes", "after the opening time"),
        ({"weekday": 0, "opens": "09:00", "closes": "09:00"}, "closes", "after the opening time"),
        ({"weekday": 7, "opens": "09:00", "closes": "12:00"}, "weekday", None),
        ({"weekday": 0, "opens": "9 o'clock", "closes": "12:00"}, "opens", None),
        ({"weekday": 0, "opens": "11:00", "closes": "14:00"}, "opens", "overlaps the opening hours 10:00 to 12:00"),
    ],
)
def test_opening_hours_bad_input_refused(api_client, instrument, unit_manager, body, field, words):
    OpeningHours.objects.create(instrument=instrument, weekday=0, opens=time(10), closes=time(12))
    api_client.force_authenticate(unit_manager)
    response = api_client.post(f"/api/v1/instruments/{instrument.pk}/opening-hours/", body, format="json")
    assert response.status_code == 400
    payload = response.json()
    assert field in str(payload)
    if words:
        assert words in str(payload)
    assert OpeningHours.objects.filter(instrument=instrument).count() == 1


def test_opening_hours_put_replaces_week(api_client, instrument, unit_manager):
    OpeningHours.objects.create(instrument=instrument, weekday=0, opens=time(10), closes=time(12))
    api_client.force_authenticate(unit_manager)
    url = f"/api/v1/instruments/{instrument.pk}/opening-hours/"
    week = {"hours": [{"weekday": d, "opens": "08:30", "closes": "17:30"} for d in range(5)]}
    response = api_client.put(url, week, format="json")
    assert response.status_code == 200
    assert len(response.json()) == 5
    assert set(OpeningHours.objects.filter(instrument=instrument).values_list("opens", flat=True)) == {time(8, 30)}
    # Overlapping rows in one week: refused, the stored week stays as it was.
    bad = {
        "hours": [
            {"weekday": 1, "opens": "08:00", "closes": "12:00"},
            {"weekday": 1, "opens": "11:00", "closes": "13:00"},
        ]
    }
    response = api_client.put(url, bad, format="json")
    assert response.status_code == 400
    assert "overlaps" in response.json()["detail"]
    assert OpeningHours.objects.filter(instrument=instrument).count() == 5
    # An empty week means always open.
    assert api_client.put(url, {"hours": []}, format="json").status_code == 200
    assert not OpeningHours.objects.filter(instrument=instrument).exists()


def test_opening_hours_delete_other_instruments_row_is_404(api_client, instrument, unit_manager):
    other = InstrumentFactory()
    row = OpeningHours.objects.create(instrument=other, weekday=1, opens=time(9), closes=time(12))
    api_client.force_authenticate(unit_manager)
    assert api_client.delete(f"/api/v1/instruments/{instrument.pk}/opening-hours/{row.pk}/").status_code == 404
    assert OpeningHours.objects.filter(pk=row.pk).exists()


# --- Blackouts --------------------------------------------------------------------------------


def _blackout_body(days=3, hours=4, **extra):
    start, end = local_slot(days=days, hour=8, hours=hours)
    return {"start": _iso(start), "end": _iso(end), "reason": "Annual maintenance", **extra}


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_blackout_post_permission_matrix(request, api_client, instrument, who, expected):
    client = _as(request, api_client, who)
    response = client.post(f"/api/v1/instruments/{instrument.pk}/blackouts/", _blackout_body(), format="json")
    _ok(expected, response, 201)
    assert Blackout.objects.filter(instrument=instrument).count() == (1 if expected == "ok" else 0)


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_blackout_delete_permission_matrix(request, api_client, instrument, who, expected):
    start, end = local_slot(days=3)
    blackout = Blackout.objects.create(instrument=instrument, start=start, end=end)
    client = _as(request, api_client, who)
    response = client.delete(f"/api/v1/instruments/{instrument.pk}/blackouts/{blackout.pk}/")
    _ok(expected, response, 204)
    assert Blackout.objects.filter(pk=blackout.pk).exists() == (expected != "ok")


def test_blackout_blocks_the_calendar(api_client, instrument, unit_manager):
    api_client.force_authenticate(unit_manager)
    body = _blackout_body(days=3, hours=4)
    assert api_client.post(f"/api/v1/instruments/{instrument.pk}/blackouts/", body, format="json").status_code == 201
    api_client.force_authenticate(None)
    listed = api_client.get(f"/api/v1/instruments/{instrument.pk}/blackouts/").json()
    assert [row["reason"] for row in listed] == ["Annual maintenance"]
    slots = api_client.get(
        f"/api/v1/instruments/{instrument.pk}/availability/", {"start": body["start"], "end": body["end"]}
    ).json()["slots"]
    assert {slot["state"] for slot in slots} == {"blackout"}


def test_blackout_bad_input_refused(api_client, instrument, unit_manager):
    start, end = local_slot(days=3, hour=8, hours=4)
    Blackout.objects.create(instrument=instrument, start=start, end=end, reason="Training")
    api_client.force_authenticate(unit_manager)
    url = f"/api/v1/instruments/{instrument.pk}/blackouts/"
    naive = {"start": start.replace(tzinfo=None).isoformat(), "end": end.replace(tzinfo=None).isoformat()}
    past_start, past_end = local_slot(days=-3, hours=2)
    cases = [
        ({"start": _iso(end), "end": _iso(start)}, "end", "after the start"),
        ({"start": _iso(start), "end": _iso(start)}, "end", "after the start"),
        (naive, "start", "offset"),
        ({"start": _iso(start + timedelta(hours=1)), "end": _iso(end + timedelta(hours=1))}, "start", "Training"),
        ({"start": _iso(past_start), "end": _iso(past_end)}, "end", "already over"),
        ({"start": _iso(start + timedelta(days=10)), "end": _iso(start + timedelta(days=400))}, "end", "366 days"),
        (_blackout_body(days=20, reason="x" * 201), "reason", None),
    ]
    for body, field, words in cases:
        response = api_client.post(url, body, format="json")
        assert response.status_code == 400, body
        payload = response.json()
        assert field in str(payload), payload
        if words:
            assert words in str(payload), payload
    assert Blackout.objects.filter(instrument=instrument).count() == 1
    # Back to back with the existing one is fine (half-open periods).
    response = api_client.post(url, {"start": _iso(end), "end": _iso(end + timedelta(hours=1))}, format="json")
    assert response.status_code == 201


# --- Qualifications ---------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_qualification_grant_permission_matrix(request, api_client, instrument, researcher, who, expected):
    client = _as(request, api_client, who)
    response = client.post(
        f"/api/v1/instruments/{instrument.pk}/qualifications/", {"username": researcher.username}, format="json"
    )
    _ok(expected, response, 201)
    assert Qualification.objects.filter(instrument=instrument, user=researcher).exists() == (expected == "ok")
    if expected == "ok":
        assert response.json()["status"] == "valid"


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_qualification_revoke_permission_matrix(request, api_client, instrument, researcher, who, expected):
    qualification = Qualification.objects.create(instrument=instrument, user=researcher, granted_at=timezone.now())
    client = _as(request, api_client, who)
    response = client.delete(f"/api/v1/instruments/{instrument.pk}/qualifications/{qualification.pk}/")
    _ok(expected, response, 204)
    qualification.refresh_from_db()
    assert (qualification.revoked_at is not None) == (expected == "ok")


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_qualification_list_managers_only(request, api_client, instrument, researcher, who, expected):
    Qualification.objects.create(instrument=instrument, user=researcher, granted_at=timezone.now())
    response = _as(request, api_client, who).get(f"/api/v1/instruments/{instrument.pk}/qualifications/")
    _ok(expected, response, 200)
    if expected == "ok":
        assert [row["username"] for row in response.json()] == [researcher.username]


def test_qualification_unknown_user_and_states(api_client, instrument, unit_manager, researcher):
    api_client.force_authenticate(unit_manager)
    url = f"/api/v1/instruments/{instrument.pk}/qualifications/"
    for body in ({"username": "nobody-here"}, {"user": 999999}, {}, {"username": "  "}):
        response = api_client.post(url, body, format="json")
        assert response.status_code == 400, body
        assert "user" in str(response.json())
    inactive = UserFactory(is_active=False)
    assert api_client.post(url, {"user": inactive.pk}, format="json").status_code == 400
    assert not Qualification.objects.exists()
    # Granted by id; revoked; revoking again is a conflict; granting again renews it.
    response = api_client.post(url, {"user": researcher.pk}, format="json")
    assert response.status_code == 201
    item = f"{url}{response.json()['id']}/"
    assert api_client.delete(item).status_code == 204
    assert api_client.get(url).json()[0]["status"] == "revoked"
    with nothing_changed():  # revoked once: the first revocation's time and author stay
        assert api_client.delete(item).status_code == 409
    assert api_client.post(url, {"username": researcher.username}, format="json").status_code == 201
    assert api_client.get(url).json()[0]["status"] == "valid"
    with nothing_changed():
        assert api_client.delete(f"{url}999999/").status_code == 404


def test_qualification_lapsed_status(api_client, instrument, unit_manager, researcher):
    policy_set(instrument, qualification_lapse_days=30)
    Qualification.objects.create(instrument=instrument, user=researcher, granted_at=timezone.now() - timedelta(days=40))
    api_client.force_authenticate(unit_manager)
    assert api_client.get(f"/api/v1/instruments/{instrument.pk}/qualifications/").json()[0]["status"] == "lapsed"


def test_rules_lists_constant_queries(api_client, instrument, unit_manager, django_assert_max_num_queries):
    api_client.force_authenticate(unit_manager)
    urls = [f"/api/v1/instruments/{instrument.pk}/{name}/" for name in ("opening-hours", "blackouts", "qualifications")]
    counts = {}
    made = {url: set() for url in urls}

    def listed(url):
        response = api_client.get(url)
        assert response.status_code == 200
        return {row["id"] for row in response.json()}

    for url in urls:
        with django_assert_max_num_queries(10) as captured:
            assert listed(url) == set()
        counts[url] = len(captured)
    for day in range(5):
        rows = (
            OpeningHours.objects.create(instrument=instrument, weekday=day, opens=time(9), closes=time(17)),
            Blackout.objects.create(instrument=instrument, start=local_slot(days=day + 3)[0],
                                    end=local_slot(days=day + 3)[1], created_by=unit_manager),
            Qualification.objects.create(instrument=instrument, user=UserFactory(), granted_at=timezone.now()),
        )  # fmt: skip
        for url, row in zip(urls, rows, strict=True):
            made[url].add(row.pk)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert listed(url) == made[url]
