from datetime import timedelta

import pytest
from django.utils import timezone

from credit.models import CreditEvent, LedgerIsAppendOnlyError
from credit.services import credit_event_record, credit_event_reverse
from tests.factories import UnitFactory, UserFactory


@pytest.mark.django_db
def test_credit_event_record_sets_subject_key_and_default_polarity():
    user = UserFactory()
    event = credit_event_record(subject=user, kind=CreditEvent.Kind.NO_SHOW, source=CreditEvent.Source.BOOKING)
    assert event.subject_key == f"user:{user.pk}"
    assert event.polarity == -1
    unit = UnitFactory()
    unit_event = credit_event_record(
        subject=unit, kind=CreditEvent.Kind.SERVICE_DELIVERED, source=CreditEvent.Source.BOOKING
    )
    assert unit_event.subject_key == f"unit:{unit.pk}"
    assert unit_event.polarity == 1


@pytest.mark.django_db
def test_credit_event_record_is_idempotent_per_fact():
    user = UserFactory()
    first = credit_event_record(
        subject=user, kind=CreditEvent.Kind.NO_SHOW, source=CreditEvent.Source.BOOKING, source_ref="booking:1"
    )
    again = credit_event_record(
        subject=user, kind=CreditEvent.Kind.NO_SHOW, source=CreditEvent.Source.BOOKING, source_ref="booking:1"
    )
    assert first.pk == again.pk
    assert CreditEvent.objects.count() == 1


@pytest.mark.django_db
def test_credit_event_ledger_refuses_update_and_delete():
    event = credit_event_record(subject=UserFactory(), kind=CreditEvent.Kind.NO_SHOW, source=CreditEvent.Source.BOOKING)
    event.weight = 5
    with pytest.raises(LedgerIsAppendOnlyError):
        event.save()
    with pytest.raises(LedgerIsAppendOnlyError):
        event.delete()
    with pytest.raises(LedgerIsAppendOnlyError):
        CreditEvent.objects.filter(pk=event.pk).update(weight=3)
    with pytest.raises(LedgerIsAppendOnlyError):
        CreditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.weight == 1


@pytest.mark.django_db
def test_credit_event_reverse_appends_mirror_event():
    event = credit_event_record(
        subject=UserFactory(), kind=CreditEvent.Kind.NO_SHOW, source=CreditEvent.Source.BOOKING, source_ref="b:9"
    )
    reversal = credit_event_reverse(event=event, reason="recorded by mistake")
    assert reversal.polarity == 1
    assert reversal.details["reverses"] == event.pk
    assert CreditEvent.objects.count() == 2


@pytest.mark.django_db
def test_credit_event_record_refuses_naive_time():
    with pytest.raises(ValueError, match="aware"):
        credit_event_record(
            subject=UserFactory(),
            kind=CreditEvent.Kind.NO_SHOW,
            source=CreditEvent.Source.BOOKING,
            occurred_at=(timezone.now() - timedelta(days=1)).replace(tzinfo=None),
        )
    assert CreditEvent.objects.count() == 0
