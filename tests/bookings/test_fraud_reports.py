"""Fraud reports (issue 18, item 7): the production path of the FRAUD_CONFIRMED fact.

A party of the booking reports fraud; nobody confirms it (not the accused, not the provider): it opens a
dispute at once and only a platform admin's decision upholds it, as FRAUD_CONFIRMED against the accused
side, which the real recompute turns into a lower score. Dismissed, nothing is recorded against the
accused. Through the API and the pages; refused attempts change nothing.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from bookings import services
from bookings.models import Dispute, Incident
from credit.models import CreditEvent, subject_key_for
from credit.recompute import recompute_subject
from tests.credit.factories import record
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

K = CreditEvent.Kind


@pytest.fixture
def completed(make_booking, unit_manager, researcher):
    booking = make_booking(hours=2)
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start)
    return services.booking_check_out(booking_id=booking.pk, actor=researcher, now=booking.start + timedelta(hours=2))


@pytest.fixture
def with_history(researcher):
    """A few kept bookings on the researcher's record, so a score exists to be lowered."""
    for n in range(3):
        for kind in (K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.PAYMENT_ON_TIME):
            record(researcher, kind, days_ago=n + 10, source_ref=f"history:{n}")
    return researcher


def _score(subject) -> int:
    return recompute_subject(subject_key_for(subject)).score


def _fraud_facts():
    return list(CreditEvent.objects.filter(kind=K.FRAUD_CONFIRMED))


def _report(api_client, booking, user, **extra):
    api_client.force_authenticate(user)
    body = {"kind": "fraud", "severity": "serious", "description": "The samples sent were not the ones declared"}
    return api_client.post(f"/api/v1/bookings/{booking.pk}/incidents/", {**body, **extra}, format="multipart")


# --- API --------------------------------------------------------------------------------------


def test_api_fraud_upheld_by_admin_records_fraud_confirmed_and_lowers_score(
    api_client, completed, with_history, researcher, unit_manager, platform_admin
):
    before = _score(researcher)
    response = _report(api_client, completed, unit_manager)
    assert response.status_code == 201, response.json()
    incident_id = response.json()["id"]
    assert (response.json()["kind"], response.json()["state"]) == ("fraud", "reported")
    dispute = Dispute.objects.get(incident_id=incident_id)  # waiting for an admin at once
    assert dispute.state == "open"
    confirm = f"/api/v1/incidents/{incident_id}/confirm/"
    for user in (researcher, unit_manager):  # the accused, then the provider who reported it
        api_client.force_authenticate(user)
        with nothing_changed():
            response = api_client.post(confirm)
        assert response.status_code == 403
        assert "only a platform administrator decides" in response.json()["detail"]
    with nothing_changed():  # one open fraud report per booking
        response = _report(api_client, completed, unit_manager)
    assert response.status_code == 409
    assert response.json()["code"] == "already_reported"
    # The accused answers before the decision: the same dispute, with their answer.
    api_client.force_authenticate(researcher)
    response = api_client.post(f"/api/v1/incidents/{incident_id}/contest/", {"reason": "I sent the declared ones"})
    assert response.status_code == 201
    assert response.json()["id"] == dispute.pk
    assert Dispute.objects.count() == 1
    assert not _fraud_facts()
    api_client.force_authenticate(platform_admin)
    assert dispute.pk in [row["id"] for row in api_client.get("/api/v1/disputes/").json()["results"]]
    decide = f"/api/v1/disputes/{dispute.pk}/decide/"
    response = api_client.post(decide, {"decision": "upheld", "reason": "Lab analysis of the samples"}, format="json")
    assert response.status_code == 200
    assert Incident.objects.get(pk=incident_id).state == "upheld"
    (fraud,) = _fraud_facts()
    assert (fraud.subject_key, fraud.severity, fraud.source_ref) == (
        f"user:{researcher.pk}",
        "serious",
        f"incident:{incident_id}",
    )
    assert _score(researcher) < before
    with nothing_changed():  # decided once: no second fact
        assert api_client.post(decide, {"decision": "upheld", "reason": "again"}, format="json").status_code == 409


def test_api_fraud_dismissed_records_nothing_against_the_accused(
    api_client, completed, researcher, unit_manager, platform_admin
):
    unit = completed.instrument.unit
    incident_id = _report(api_client, completed, researcher, severity="general").json()["id"]
    dispute = Dispute.objects.get(incident_id=incident_id)
    api_client.force_authenticate(platform_admin)
    body = {"decision": "dismissed", "reason": "The data delivered match the raw files"}
    assert api_client.post(f"/api/v1/disputes/{dispute.pk}/decide/", body, format="json").status_code == 200
    assert Incident.objects.get(pk=incident_id).state == "dismissed"
    assert not _fraud_facts()
    against_unit = CreditEvent.objects.filter(subject_key=f"unit:{unit.pk}", polarity=-1)
    assert not against_unit.exists()
    # Decided: a new fraud report on the booking may be filed.
    assert _report(api_client, completed, researcher).status_code == 201


def test_api_fraud_by_requester_upheld_is_against_the_unit(api_client, completed, researcher, platform_admin):
    unit = completed.instrument.unit
    incident_id = _report(api_client, completed, researcher, description="Results were falsified").json()["id"]
    dispute = Dispute.objects.get(incident_id=incident_id)
    services.dispute_decide(dispute_id=dispute.pk, actor=platform_admin, decision="upheld", reason="Raw files")
    (fraud,) = _fraud_facts()
    assert fraud.subject_key == f"unit:{unit.pk}"


def test_api_fraud_refused_for_non_parties(api_client, completed, stranger, platform_admin):
    with nothing_changed():
        assert _report(api_client, completed, stranger).status_code == 404  # cannot see the booking
        response = _report(api_client, completed, platform_admin)  # sees it, decides fraud, is no party
    assert response.status_code == 403
    assert "Only the parties to this booking can report fraud" in response.json()["detail"]


def test_api_fraud_confirm_refused_to_admin_too(api_client, completed, researcher, platform_admin):
    incident_id = _report(api_client, completed, researcher).json()["id"]
    api_client.force_authenticate(platform_admin)
    with nothing_changed():  # the admin decides it as a dispute, with reasons
        assert api_client.post(f"/api/v1/incidents/{incident_id}/confirm/").status_code == 403


def test_api_schema_offers_fraud(api_client, db):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    enums = [schema.get("enum", []) for schema in response.json()["components"]["schemas"].values()]
    assert ["damage", "misuse", "fraud"] in enums


def test_database_refuses_a_second_open_fraud_report(completed, researcher, unit_manager):
    services.incident_report(
        booking_id=completed.pk, reporter=researcher, kind="fraud", severity="serious", description="Falsified data"
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # the constraint, past the service's check
        Incident.objects.create(
            booking=completed, reported_by=unit_manager, reporter_side="provider", kind="fraud", severity="minor",
            description="Wrong identity",
        )  # fmt: skip
    assert Incident.objects.count() == 1


# --- Pages ------------------------------------------------------------------------------------


def test_page_fraud_report_upheld_on_the_disputes_page(client, completed, with_history, researcher, unit_manager,
                                                       platform_admin):  # fmt: skip
    before = _score(researcher)
    client.force_login(unit_manager)
    detail = client.get(reverse("bookings:detail", args=[completed.pk])).text
    assert 'value="fraud"' in detail
    body = {"kind": "fraud", "severity": "serious", "description": "Misrepresented purpose"}
    response = client.post(reverse("bookings:incident-report", args=[completed.pk]), body, follow=True)
    assert "a platform administrator will decide it" in response.text
    incident = Incident.objects.get(kind="fraud")
    confirm = reverse("bookings:incident-confirm", args=[incident.pk])
    for user in (researcher, unit_manager):
        client.force_login(user)
        assert confirm not in client.get(reverse("bookings:detail", args=[completed.pk])).text
        with nothing_changed():
            response = client.post(confirm)
        assert response.status_code == 403
        assert "only a platform administrator decides" in response.text
    with nothing_changed():
        response = client.post(reverse("bookings:incident-report", args=[completed.pk]), body, follow=True)
    assert "already waiting for an administrator" in response.text
    dispute = Dispute.objects.get(incident=incident)
    client.force_login(platform_admin)
    page = client.get(reverse("bookings:disputes")).text
    assert f"dispute-{dispute.pk}" in page
    assert "Misrepresented purpose" in page
    assert "nothing is recorded against them" in page
    decision = {f"dispute-{dispute.pk}-decision": "upheld", f"dispute-{dispute.pk}-reason": "Purpose checked"}
    assert client.post(reverse("bookings:dispute-decide", args=[dispute.pk]), decision).status_code == 302
    (fraud,) = _fraud_facts()
    assert fraud.subject_key == f"user:{researcher.pk}"
    assert _score(researcher) < before


def test_page_fraud_dismissed_records_nothing(client, completed, researcher, unit_manager, platform_admin):
    client.force_login(researcher)
    body = {"kind": "fraud", "severity": "general", "description": "Invoice for hours not used"}
    assert client.post(reverse("bookings:incident-report", args=[completed.pk]), body).status_code == 302
    dispute = Dispute.objects.get()
    client.force_login(platform_admin)
    decision = {f"dispute-{dispute.pk}-decision": "dismissed", f"dispute-{dispute.pk}-reason": "Hours match"}
    assert client.post(reverse("bookings:dispute-decide", args=[dispute.pk]), decision).status_code == 302
    assert Incident.objects.get().state == "dismissed"
    assert not _fraud_facts()
    assert not CreditEvent.objects.filter(subject_key=f"unit:{completed.instrument.unit_id}", polarity=-1).exists()


def test_page_fraud_report_refused_for_a_platform_admin(client, completed, platform_admin):
    client.force_login(platform_admin)
    body = {"kind": "fraud", "severity": "serious", "description": "?"}
    with nothing_changed():
        response = client.post(reverse("bookings:incident-report", args=[completed.pk]), body)
    assert response.status_code == 403
