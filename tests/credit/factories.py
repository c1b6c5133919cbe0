"""Factories and helpers for credit tests."""

from datetime import timedelta

import factory
from django.utils import timezone

from credit.models import CreditEvent, Endorsement, ExternalCreditReport, ListEntry, subject_key_for
from credit.services import credit_event_record, list_entries_propose
from tests.factories import UnitFactory, UserFactory


def record(subject, kind, *, days_ago=1, as_of=None, **kwargs):
    """Record one ledger event `days_ago` days before as_of (default now)."""
    moment = (as_of or timezone.now()) - timedelta(days=days_ago)
    return credit_event_record(
        subject=subject, kind=kind, source=kwargs.pop("source", "booking"), occurred_at=moment, **kwargs
    )


class EndorsementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endorsement

    endorser = factory.SubFactory(UnitFactory)
    endorsed = factory.SubFactory(UnitFactory)
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))


class ExternalCreditReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalCreditReport
        exclude = ("subject",)

    subject = factory.SubFactory(UnitFactory)
    subject_unit = factory.LazyAttribute(lambda o: o.subject if hasattr(o.subject, "credit_code") else None)
    subject_user = factory.LazyAttribute(lambda o: None if hasattr(o.subject, "credit_code") else o.subject)
    subject_key = factory.LazyAttribute(lambda o: subject_key_for(o.subject))
    source = "Bureau"
    score = 80
    range_min = 0
    range_max = 100
    reported_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=300))


class ListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListEntry
        exclude = ("subject",)

    subject = factory.SubFactory(UserFactory)
    subject_unit = factory.LazyAttribute(lambda o: o.subject if hasattr(o.subject, "credit_code") else None)
    subject_user = factory.LazyAttribute(lambda o: None if hasattr(o.subject, "credit_code") else o.subject)
    subject_key = factory.LazyAttribute(lambda o: subject_key_for(o.subject))
    list_type = ListEntry.List.BLACK
    severity = ListEntry.Severity.GENERAL
    rule = "violations"
    reason = "3 violations in 12 months"
    listing_authority = "Platform"


def violations_warned(subject, kind=CreditEvent.Kind.NO_SHOW, *, days_ago=(40, 33, 12, 4), **kwargs) -> None:
    """Violations that the warn-first rule (issue 18.8) proposes at the next run: the first two, the nightly run
    that warns (as of a day after the second), then the rest. The caller's own proposal run proposes them."""
    first, second, *rest = days_ago
    record(subject, kind, days_ago=first, **kwargs)
    record(subject, kind, days_ago=second, **kwargs)
    list_entries_propose(as_of=timezone.now() - timedelta(days=second - 1), subject_keys=[subject_key_for(subject)])
    for days in rest:
        record(subject, kind, days_ago=days, **kwargs)
