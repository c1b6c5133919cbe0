"""Admin: external credit reports are added through the service; the ledger is read-only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from credit.models import CreditEvent, ExternalCreditReport
from credit.services import credit_event_record


def _form_datetime(moment):
    local = timezone.localtime(moment)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


@pytest.mark.django_db
def test_admin_external_report_add_normalises_and_records_on_ledger(client, platform_admin, unit):
    client.force_login(platform_admin)
    reported, expires = timezone.now() - timedelta(days=3), timezone.now() + timedelta(days=300)
    data = {
        "subject_unit": unit.pk,
        "source": "City credit bureau",
        "score": "720",
        "range_min": "300",
        "range_max": "900",
        "reference": "R-1",
        **{f"reported_at_{k}": v for k, v in _form_datetime(reported).items()},
        **{f"expires_at_{k}": v for k, v in _form_datetime(expires).items()},
    }
    response = client.post(reverse("admin:credit_externalcreditreport_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = ExternalCreditReport.objects.get()
    assert report.subject_key == f"unit:{unit.pk}"
    event = CreditEvent.objects.get(kind=CreditEvent.Kind.EXTERNAL_REPORT)
    assert event.value == Decimal("0.7000")
    assert event.source_ref == f"external:{report.pk}"
    bad = {**data, "score": "950"}
    response = client.post(reverse("admin:credit_externalcreditreport_add"), bad)
    assert response.status_code == 200
    assert ExternalCreditReport.objects.count() == 1


@pytest.mark.django_db
def test_admin_credit_event_is_read_only(client, platform_admin, user):
    event = credit_event_record(subject=user, kind=CreditEvent.Kind.NO_SHOW, source="booking")
    client.force_login(platform_admin)
    assert client.get(reverse("admin:credit_creditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:credit_creditevent_add")).status_code == 403
    assert client.post(reverse("admin:credit_creditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert CreditEvent.objects.filter(pk=event.pk).exists()
