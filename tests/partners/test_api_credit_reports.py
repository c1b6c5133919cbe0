"""External credit reports: POST /api/v1/credit/reports/ with scope credit:report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit.models import CreditEvent, CreditScore, ExternalCreditReport
from partners.models import PartnerCreditReport, Scope

from .conftest import key_client
from .factories import user_body

URL = "/api/v1/credit/reports/"


@pytest.fixture
def bureau_api(issue_key):
    _key, raw = issue_key([Scope.CREDIT_REPORT, Scope.BOOKINGS_WRITE])
    return key_client(raw)


def report_body(**subject) -> dict:
    now = timezone.now()
    return {
        **subject,
        "source": "National Credit Bureau",
        "score": "855",
        "range_min": "300",
        "range_max": "900",
        "reported_at": (now - timedelta(days=3)).isoformat(),
        "expires_at": (now + timedelta(days=365)).isoformat(),
        "reference": "NCB-1",
    }


def nothing_recorded() -> bool:
    return not (
        ExternalCreditReport.objects.exists()
        or PartnerCreditReport.objects.exists()
        or CreditEvent.objects.filter(kind=CreditEvent.Kind.EXTERNAL_REPORT).exists()
    )


def test_report_for_unit_is_normalised_and_recomputed(bureau_api, unit, partner, django_capture_on_commit_callbacks):
    # The code as people type it (lower case, spaces) still finds the unit.
    code = " ".join([unit.credit_code[:6].lower(), unit.credit_code[6:]])
    with django_capture_on_commit_callbacks(execute=True):
        response = bureau_api.post(URL, report_body(unit_credit_code=code), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == f"unit:{unit.pk}"
    assert body["normalised"] == pytest.approx(555 / 600)
    report = ExternalCreditReport.objects.get(pk=body["id"])
    assert report.subject_unit == unit
    assert PartnerCreditReport.objects.get(report=report).partner == partner
    event = CreditEvent.objects.get(kind=CreditEvent.Kind.EXTERNAL_REPORT, subject_key=f"unit:{unit.pk}")
    assert event.value == Decimal(str(round(555 / 600, 4)))
    snapshot = CreditScore.objects.filter(subject_key=f"unit:{unit.pk}").latest("as_of")
    assert snapshot.external > Decimal("0.5")  # above the neutral prior of a subject without reports


def test_report_for_partner_user_by_external_id(bureau_api, django_capture_on_commit_callbacks):
    user_id = bureau_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json").json()["user_id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = bureau_api.post(URL, report_body(user_external_id="stu-1"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == f"user:{user_id}"
    assert CreditScore.objects.filter(subject_key=f"user:{user_id}").exists()


def test_report_for_user_by_id(bureau_api, user):
    response = bureau_api.post(URL, report_body(user_id=user.pk), format="json")
    assert response.status_code == 201
    assert response.json()["subject"] == f"user:{user.pk}"


def _bad(**changes) -> dict:
    return changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (_bad(score="950"), "score"),
        (_bad(score="299.99"), "score"),
        (_bad(range_min="900", range_max="300"), "range_max"),
        (_bad(range_min="300", range_max="300", score="300"), "range_max"),
        (_bad(expires_at="2020-01-01T00:00:00+08:00"), "expires_at"),
        (_bad(score="abc"), "score"),
        (_bad(reported_at="2026-01-01T00:00:00"), "reported_at"),  # naive
        (_bad(source=""), "source"),
    ],
)
def test_report_bad_values_are_400(bureau_api, unit, changes, field):
    body = {**report_body(unit_credit_code=unit.credit_code), **changes}
    response = bureau_api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload.get("field") == field or field in payload
    assert nothing_recorded()


def test_report_expiry_before_date_is_400(bureau_api, unit):
    body = report_body(unit_credit_code=unit.credit_code)
    body["expires_at"], body["reported_at"] = body["reported_at"], (timezone.now() - timedelta(days=1)).isoformat()
    response = bureau_api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "expires_at"
    assert nothing_recorded()


def test_report_in_the_future_is_400(bureau_api, unit):
    body = report_body(unit_credit_code=unit.credit_code)
    body["reported_at"] = (timezone.now() + timedelta(days=2)).isoformat()
    assert bureau_api.post(URL, body, format="json").status_code == 400
    assert nothing_recorded()


@pytest.mark.parametrize(
    "subject",
    [
        {"unit_credit_code": "91310000MA1FL0000X"},
        {"user_id": 999999},
        {"user_external_id": "nobody"},
        {},
        {"unit_credit_code": "X", "user_id": 1},
    ],
)
def test_report_unknown_or_ambiguous_subject_is_400(bureau_api, subject):
    response = bureau_api.post(URL, report_body(**subject), format="json")
    assert response.status_code == 400
    assert nothing_recorded()


def test_report_other_partners_user_is_unknown(bureau_api, other_partner_api):
    other_partner_api.post("/api/v1/partner/users/", user_body("stu-9"), format="json")
    response = bureau_api.post(URL, report_body(user_external_id="stu-9"), format="json")
    assert response.status_code == 400
    assert nothing_recorded()


def test_report_idempotent_retry_records_once(bureau_api, unit):
    body = report_body(unit_credit_code=unit.credit_code)
    first = bureau_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = bureau_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert ExternalCreditReport.objects.count() == 1
    changed = bureau_api.post(URL, {**body, "score": "400"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert changed.status_code == 409
    assert ExternalCreditReport.objects.count() == 1
