"""Page forms for moving a booking, reviews, incidents (report, confirm, contest) and the disputes page,
through the Django test client: buttons only for the person allowed, errors next to fields, and
refused attempts change nothing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Dispute, Incident, Review
from tests.unchanged import nothing_changed

from .factories import local_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(make_booking, unit_manager, researcher):
    booking = make_booking(hours=2)
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start)
    return services.booking_check_out(booking_id=booking.pk, actor=researcher, now=booking.start + timedelta(hours=2))


@pytest.fixture
def in_use(make_booking, unit_manager, researcher):
    booking = make_booking(hours=2, days=3)
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    return services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start)


@pytest.fixture
def reported(in_use, researcher):
    """A damage report by the requester against the provider, unanswered."""
    return services.incident_report(
        booking_id=in_use.pk, reporter=researcher, kind="damage", severity="minor", description="Stage was loose"
    )


@pytest.fixture
def dispute(reported, unit_manager):
    return services.incident_contest(incident_id=reported.pk, actor=unit_manager, reason="It was fine before")


def _input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _detail(client, booking):
    return client.get(reverse("bookings:detail", args=[booking.pk]))


# --- Move -------------------------------------------------------------------------------------


def test_move_link_for_requester_and_form_prefilled(client, make_booking, researcher):
    booking = make_booking()
    client.force_login(researcher)
    move_url = reverse("bookings:move", args=[booking.pk])
    assert move_url in _detail(client, booking).text
    response = client.get(move_url)
    assert response.status_code == 200
    assert f'value="{_input(booking.start)}"' in response.text


def test_move_creates_linked_booking(client, make_booking, researcher):
    booking = make_booking()
    start, end = local_slot(days=4, hour=14, hours=2)
    client.force_login(researcher)
    response = client.post(reverse("bookings:move", args=[booking.pk]), {"start": _input(start), "end": _input(end)})
    booking.refresh_from_db()
    assert booking.state == "cancelled"
    assert booking.moved_to is not None
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:detail", args=[booking.moved_to.pk])
    assert (booking.moved_to.start, booking.moved_to.end) == (start, end)


def test_move_errors_next_to_fields_and_nothing_changed(client, make_booking, researcher):
    booking = make_booking()
    client.force_login(researcher)
    url = reverse("bookings:move", args=[booking.pk])
    start, _end = local_slot(days=4, hour=8)
    for body, field, words in (
        ({"start": _input(start), "end": _input(start + timedelta(hours=12))}, "end", "Maximum duration"),
        ({"start": _input(start), "end": "not a time"}, "end", "Enter a valid date/time."),
        ({"start": "", "end": _input(start)}, "start", "This field is required."),
    ):
        response = client.post(url, body)
        assert response.status_code == 400
        text = response.text
        assert f'id="id_{field}_errors"' in text
        assert text.index(f'name="{field}"') < text.index(words)
    booking.refresh_from_db()
    assert booking.state == "requested"
    assert Booking.objects.count() == 1
    assert booking.events.count() == 1


def test_move_refused_for_others_and_wrong_state(client, make_booking, researcher, stranger, unit_member):
    booking = make_booking()
    start, end = local_slot(days=4, hour=14)
    body = {"start": _input(start), "end": _input(end)}
    url = reverse("bookings:move", args=[booking.pk])
    response = client.post(url, body)
    assert response.status_code == 302
    assert "login" in response["Location"]
    for person in (stranger, unit_member):
        client.force_login(person)
        with nothing_changed():
            assert client.post(url, body).status_code == 404
        assert client.get(url).status_code == 404
    services.booking_cancel(booking_id=booking.pk, actor=researcher)
    client.force_login(researcher)
    assert url not in _detail(client, booking).text
    with nothing_changed():  # a cancelled booking is not moved (nor a successor made)
        assert client.post(url, body).status_code == 403
    assert Booking.objects.count() == 1


# --- Reviews ----------------------------------------------------------------------------------


def test_review_form_for_both_sides_once(client, completed, researcher, unit_manager):
    url = reverse("bookings:review", args=[completed.pk])
    client.force_login(researcher)
    assert url in _detail(client, completed).text
    response = client.post(url, {"stars": 4, "tags": "helpful, tidy", "text": "Good support"})
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.side, review.stars, review.tags) == ("requester", 4, ["helpful", "tidy"])
    assert url not in _detail(client, completed).text  # their side has reviewed
    response = client.post(url, {"stars": 5}, follow=True)
    assert "already reviewed" in response.text
    assert Review.objects.count() == 1
    client.force_login(unit_manager)
    assert url in _detail(client, completed).text
    assert client.post(url, {"stars": 3}).status_code == 302
    assert Review.objects.count() == 2


def test_review_errors_next_to_fields(client, completed, researcher):
    client.force_login(researcher)
    url = reverse("bookings:review", args=[completed.pk])
    response = client.post(url, {"stars": 9, "text": "x"})
    assert response.status_code == 400
    assert 'id="id_stars_errors"' in response.text
    response = client.post(url, {"stars": 3, "tags": ",".join(f"t{i}" for i in range(11))})
    assert response.status_code == 400
    assert response.text.index('name="tags"') < response.text.index("Up to 10 tags")
    assert not Review.objects.exists()


def test_review_refused_before_completion_and_for_others(client, make_booking, completed, researcher, stranger):
    pending = make_booking(days=5)
    client.force_login(researcher)
    url = reverse("bookings:review", args=[pending.pk])
    assert url not in _detail(client, pending).text
    response = client.post(url, {"stars": 4}, follow=True)
    assert "cannot be reviewed now" in response.text
    client.force_login(stranger)
    assert client.post(reverse("bookings:review", args=[completed.pk]), {"stars": 1}).status_code == 404
    assert client.get(reverse("bookings:review", args=[completed.pk])).status_code == 405
    assert not Review.objects.exists()


# --- Incidents --------------------------------------------------------------------------------


def test_incident_report_by_either_side(client, in_use, researcher, unit_manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("bookings:incident-report", args=[in_use.pk])
    client.force_login(unit_manager)
    assert url in _detail(client, in_use).text
    photo = SimpleUploadedFile("scratch.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    body = {"kind": "misuse", "severity": "general", "estimated_loss": "120.50", "description": "Wrong solvent"}
    response = client.post(url, {**body, "attachment": photo})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.reporter_side, incident.estimated_loss, incident.attachments.count()) == ("provider", 120.5, 1)
    client.force_login(researcher)
    assert client.post(url, {**body, "estimated_loss": ""}).status_code == 302
    assert Incident.objects.filter(reporter_side="requester").exists()


def test_incident_report_errors_next_to_fields(client, in_use, researcher):
    client.force_login(researcher)
    url = reverse("bookings:incident-report", args=[in_use.pk])
    response = client.post(url, {"kind": "damage", "severity": "minor", "estimated_loss": "-5", "description": ""})
    assert response.status_code == 400
    text = response.text
    assert 'id="id_description_errors"' in text
    assert 'id="id_estimated_loss_errors"' in text
    response = client.post(url, {"kind": "theft", "severity": "minor", "description": "?"})
    assert response.status_code == 400
    assert 'id="id_kind_errors"' in response.text
    assert not Incident.objects.exists()


def test_incident_report_refused_for_others_and_wrong_state(client, make_booking, in_use, researcher, stranger):
    body = {"kind": "damage", "severity": "minor", "description": "Broken"}
    client.force_login(stranger)
    assert client.post(reverse("bookings:incident-report", args=[in_use.pk]), body).status_code == 404
    pending = make_booking(days=6)
    client.force_login(researcher)
    url = reverse("bookings:incident-report", args=[pending.pk])
    assert url not in _detail(client, pending).text
    response = client.post(url, body, follow=True)
    assert "cannot be the subject of an incident report" in response.text
    assert not Incident.objects.exists()


def test_incident_buttons_only_for_the_other_side(client, reported, researcher, unit_manager, unit_member):
    confirm = reverse("bookings:incident-confirm", args=[reported.pk])
    contest = reverse("bookings:incident-contest", args=[reported.pk])
    client.force_login(researcher)  # the reporter
    text = _detail(client, reported.booking).text
    assert confirm not in text
    assert contest not in text
    with nothing_changed():  # no confirmation, no damage fact, no dispute
        assert client.post(confirm).status_code == 403
        assert client.post(contest, {f"contest-{reported.pk}-reason": "no"}).status_code == 403
        client.force_login(unit_member)
        assert client.post(confirm).status_code == 404
    reported.refresh_from_db()
    assert reported.state == "reported"
    assert not Dispute.objects.exists()
    client.force_login(unit_manager)
    text = _detail(client, reported.booking).text
    assert confirm in text
    assert contest in text


def test_incident_confirm_by_other_side(client, reported, unit_manager):
    client.force_login(unit_manager)
    response = client.post(reverse("bookings:incident-confirm", args=[reported.pk]))
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.state == "confirmed"
    response = client.post(reverse("bookings:incident-confirm", args=[reported.pk]), follow=True)
    assert "cannot be confirmed" in response.text


def test_incident_contest_needs_reason_then_opens_dispute(client, reported, unit_manager):
    client.force_login(unit_manager)
    url = reverse("bookings:incident-contest", args=[reported.pk])
    response = client.post(url, {f"contest-{reported.pk}-reason": ""})
    assert response.status_code == 400
    text = response.text
    field_id = f"id_contest-{reported.pk}-reason"
    assert f'id="{field_id}_errors"' in text
    assert text.index(f'id="{field_id}"') < text.index(f'id="{field_id}_errors"')
    reported.refresh_from_db()
    assert reported.state == "reported"
    assert not Dispute.objects.exists()
    assert client.post(url, {f"contest-{reported.pk}-reason": "It was loose before"}).status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.reason == "It was loose before"


# --- Disputes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, "login"),
        ("user", 403),
        ("other_unit_manager", 403),
        ("unit_member", 403),
        ("unit_manager", 403),
        ("unit_admin", 403),
        ("platform_admin", 200),
    ],
)
def test_disputes_page_permission_matrix(request, client, dispute, who, expected):
    if who is not None:
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("bookings:disputes"))
    body = {f"dispute-{dispute.pk}-decision": "upheld", f"dispute-{dispute.pk}-reason": "Photos show damage"}
    decide = client.post(reverse("bookings:dispute-decide", args=[dispute.pk]), body)
    if expected == "login":
        assert response.status_code == 302
        assert decide.status_code == 302
        assert "login" in decide["Location"]
    elif expected == 403:
        assert response.status_code == 403
        assert decide.status_code == 403
    else:
        assert response.status_code == 200
        assert "It was fine before" in response.text
        assert decide.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == ("decided" if expected == 200 else "open")


def test_disputes_decide_errors_next_to_fields(client, dispute, platform_admin):
    client.force_login(platform_admin)
    url = reverse("bookings:dispute-decide", args=[dispute.pk])
    response = client.post(url, {f"dispute-{dispute.pk}-decision": "upheld", f"dispute-{dispute.pk}-reason": ""})
    assert response.status_code == 400
    assert f'id="id_dispute-{dispute.pk}-reason_errors"' in response.text
    response = client.post(url, {f"dispute-{dispute.pk}-decision": "maybe", f"dispute-{dispute.pk}-reason": "x"})
    assert response.status_code == 400
    assert f'id="id_dispute-{dispute.pk}-decision_errors"' in response.text
    dispute.refresh_from_db()
    assert dispute.state == "open"
    body = {f"dispute-{dispute.pk}-decision": "dismissed", f"dispute-{dispute.pk}-reason": "No evidence"}
    assert client.post(url, body).status_code == 302
    dispute.refresh_from_db()
    assert (dispute.state, dispute.decision) == ("decided", "dismissed")
    assert "No disputes are waiting" in client.get(reverse("bookings:disputes")).text
    response = client.post(url, body, follow=True)
    assert "already decided" in response.text
    assert client.post(reverse("bookings:dispute-decide", args=[999999]), body).status_code == 404


def test_disputes_page_constant_queries(
    client, make_booking, unit_manager, researcher, platform_admin, django_assert_max_num_queries
):
    def open_dispute(days):
        booking = make_booking(days=days, hours=1)
        services.booking_approve(booking_id=booking.pk, actor=unit_manager)
        services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start)
        incident = services.incident_report(
            booking_id=booking.pk, reporter=unit_manager, kind="misuse", severity="minor", description="Left dirty"
        )
        services.incident_contest(incident_id=incident.pk, actor=researcher, reason="It was clean")

    open_dispute(3)
    client.force_login(platform_admin)
    with django_assert_max_num_queries(12) as captured:
        response = client.get(reverse("bookings:disputes"))
    assert response.status_code == 200
    assert response.text.count("It was clean") == 1
    baseline = len(captured)
    for days in range(4, 8):
        open_dispute(days)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("bookings:disputes"))
    assert response.status_code == 200
    assert response.text.count("It was clean") == 5


def test_disputes_link_on_desk_for_platform_admins(client, platform_admin, unit_manager):
    client.force_login(platform_admin)
    assert reverse("bookings:disputes") in client.get(reverse("bookings:provider-queue")).text
    client.force_login(unit_manager)
    assert reverse("bookings:disputes") not in client.get(reverse("bookings:provider-queue")).text
