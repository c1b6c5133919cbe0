"""Reviews (blind, once per side), incidents (report, confirm, contest) and disputes decided by admins."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Dispute, Incident, Review
from credit.models import CreditEvent
from tests.unchanged import nothing_changed

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


def _facts(kind, key):
    return list(CreditEvent.objects.filter(kind=kind, subject_key=key))


# --- Reviews --------------------------------------------------------------------------------


def test_review_each_side_once_and_facts(api_client, completed, researcher, unit_manager):
    url = f"/api/v1/bookings/{completed.pk}/reviews/"
    api_client.force_authenticate(researcher)
    response = api_client.post(url, {"stars": 4, "tags": ["helpful"], "text": "Good"}, format="json")
    assert response.status_code == 201
    assert response.json()["side"] == "requester"
    with nothing_changed():  # a second review of the same side: no row, no second fact
        assert api_client.post(url, {"stars": 5}, format="json").status_code == 409
    received = _facts("review_received", f"unit:{completed.instrument.unit_id}")
    assert len(received) == 1
    assert received[0].value == 4
    assert len(_facts("review_given", f"user:{researcher.pk}")) == 1
    api_client.force_authenticate(unit_manager)
    assert api_client.post(url, {"stars": 2}, format="json").status_code == 201
    assert _facts("review_received", f"user:{researcher.pk}")[0].value == 2


def test_review_blind_until_both_or_14_days(api_client, completed, researcher, unit_manager):
    url = f"/api/v1/bookings/{completed.pk}/reviews/"
    services.review_create(booking_id=completed.pk, author=researcher, stars=5)
    api_client.force_authenticate(unit_manager)
    assert api_client.get(url).json() == []
    api_client.force_authenticate(researcher)
    assert len(api_client.get(url).json()) == 1  # the author sees their own
    Booking.objects.filter(pk=completed.pk).update(checked_out_at=timezone.now() - timedelta(days=15))
    api_client.force_authenticate(unit_manager)
    assert len(api_client.get(url).json()) == 1


@pytest.mark.parametrize("stars", [0, 6, "x"])
def test_review_bad_stars_400(api_client, completed, researcher, stars):
    api_client.force_authenticate(researcher)
    response = api_client.post(f"/api/v1/bookings/{completed.pk}/reviews/", {"stars": stars}, format="json")
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_review_before_completion_409_and_outsider_404(api_client, make_booking, researcher, stranger):
    booking = make_booking()
    api_client.force_authenticate(researcher)
    response = api_client.post(f"/api/v1/bookings/{booking.pk}/reviews/", {"stars": 3}, format="json")
    assert response.status_code == 409
    assert "requested" in response.json()["detail"]
    api_client.force_authenticate(stranger)
    assert api_client.post(f"/api/v1/bookings/{booking.pk}/reviews/", {"stars": 3}, format="json").status_code == 404
    assert not Review.objects.exists()


# --- Incidents ------------------------------------------------------------------------------


def _report(api_client, booking, user, **extra):
    api_client.force_authenticate(user)
    body = {"kind": "damage", "severity": "general", "estimated_loss": "5000", "description": "Cracked stage", **extra}
    return api_client.post(f"/api/v1/bookings/{booking.pk}/incidents/", body, format="multipart")


def test_incident_report_with_attachment_and_confirm_forfeits(api_client, in_use, unit_manager, researcher, settings,
                                                              tmp_path):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("stage.jpg", b"\xff\xd8jpeg", content_type="image/jpeg")
    response = _report(api_client, in_use, unit_manager, attachments=[photo])
    assert response.status_code == 201, response.json()
    incident = response.json()
    assert incident["reporter_side"] == "provider"
    assert len(incident["attachments"]) == 1
    # The reporter cannot confirm their own report.
    with nothing_changed():
        assert api_client.post(f"/api/v1/incidents/{incident['id']}/confirm/").status_code == 403
    # Completing with an open damage report keeps the deposit held.
    booking = services.booking_check_out(booking_id=in_use.pk, actor=researcher)
    assert booking.deposit_state == "held"
    api_client.force_authenticate(researcher)
    response = api_client.post(f"/api/v1/incidents/{incident['id']}/confirm/")
    assert response.status_code == 200
    assert response.json()["state"] == "confirmed"
    damage = _facts("damage_confirmed", f"user:{researcher.pk}")
    assert len(damage) == 1
    assert damage[0].severity == "general"
    booking.refresh_from_db()
    assert booking.deposit_state == "forfeited"
    with nothing_changed():  # confirmed once: no second damage fact
        assert api_client.post(f"/api/v1/incidents/{incident['id']}/confirm/").status_code == 409


def test_incident_contest_dispute_decided_by_admin(api_client, in_use, unit_manager, researcher, platform_admin):
    incident_id = _report(api_client, in_use, unit_manager, kind="misuse").json()["id"]
    api_client.force_authenticate(researcher)
    with nothing_changed():  # no dispute without a reason
        assert api_client.post(f"/api/v1/incidents/{incident_id}/contest/", {}, format="json").status_code == 400
    response = api_client.post(f"/api/v1/incidents/{incident_id}/contest/", {"reason": "Not me"}, format="json")
    assert response.status_code == 201
    dispute_id = response.json()["id"]
    decide = f"/api/v1/disputes/{dispute_id}/decide/"
    body = {"decision": "dismissed", "reason": "Logs show normal use"}
    for user in (researcher, unit_manager):
        api_client.force_authenticate(user)
        with nothing_changed():
            assert api_client.post(decide, body, format="json").status_code == 403
    assert Dispute.objects.get(pk=dispute_id).state == "open"
    api_client.force_authenticate(platform_admin)
    assert api_client.get("/api/v1/disputes/").json()["results"][0]["id"] == dispute_id
    response = api_client.post(decide, body, format="json")
    assert response.status_code == 200
    assert response.json()["decision"] == "dismissed"
    assert Incident.objects.get(pk=incident_id).state == "dismissed"
    assert len(_facts("dispute_won", f"user:{researcher.pk}")) == 1
    assert len(_facts("dispute_lost", f"unit:{in_use.instrument.unit_id}")) == 1
    assert not _facts("misuse_confirmed", f"user:{researcher.pk}")
    with nothing_changed():  # decided once: no second pair of facts
        assert api_client.post(decide, body, format="json").status_code == 409


def test_incident_dispute_upheld_records_misuse(api_client, in_use, unit_manager, researcher, platform_admin):
    incident = services.incident_report(
        booking_id=in_use.pk, reporter=unit_manager, kind="misuse", severity="serious", description="Wrong gas"
    )
    dispute = services.incident_contest(incident_id=incident.pk, actor=researcher, reason="No")
    services.dispute_decide(dispute_id=dispute.pk, actor=platform_admin, decision="upheld", reason="Evidence")
    misuse = _facts("misuse_confirmed", f"user:{researcher.pk}")
    assert len(misuse) == 1
    assert misuse[0].severity == "serious"
    assert len(_facts("dispute_won", f"unit:{in_use.instrument.unit_id}")) == 1
    assert len(_facts("dispute_lost", f"user:{researcher.pk}")) == 1


def test_incident_by_requester_against_provider(api_client, in_use, researcher, unit_manager):
    incident_id = _report(api_client, in_use, researcher, severity="minor").json()["id"]
    api_client.force_authenticate(unit_manager)
    assert api_client.post(f"/api/v1/incidents/{incident_id}/confirm/").status_code == 200
    assert len(_facts("instrument_fault", f"unit:{in_use.instrument.unit_id}")) == 1


def test_incident_refused_writes_change_nothing(api_client, make_booking, in_use, stranger, researcher):
    requested = make_booking(days=6)
    assert _report(api_client, requested, researcher).status_code == 409
    assert _report(api_client, in_use, stranger).status_code == 404
    assert _report(api_client, in_use, researcher, severity="catastrophic").status_code == 400
    assert _report(api_client, in_use, researcher, estimated_loss="-1").status_code == 400
    assert not Incident.objects.exists()


def test_dispute_decide_unknown_404(api_client, platform_admin):
    api_client.force_authenticate(platform_admin)
    with nothing_changed():
        response = api_client.post("/api/v1/disputes/999/decide/", {"decision": "upheld", "reason": "x"}, format="json")
    assert response.status_code == 404
