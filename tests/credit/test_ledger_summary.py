"""The ledger summary (credit/scoring/summary.py, PostgreSQL): after every kind of write, its groups are the
ledger's own (ledger.py's grouped statement over the events), before and after the nightly fold; a subject it
cannot describe as of a moment is read from the ledger; kept with other parameters it is not read at all until
the nightly run rebuilds it; and two writers of one unit's facts never wait on each other for it."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from credit import params
from credit.models import CreditEvent, LedgerSummary, subject_key_for
from credit.recompute import recompute_all
from credit.scoring import summary
from credit.scoring.ledger import groups_postgres
from credit.scoring.sets import ledger_groups
from credit.services import credit_event_record, credit_event_reverse
from instruments.models import Membership, Unit
from tests.credit.factories import record
from tests.credit.test_set_based_scoring import _varied_ledger
from tests.factories import MembershipFactory, UnitFactory, UserFactory

K = CreditEvent.Kind

pytestmark = pytest.mark.postgres  # the summary is kept by PostgreSQL (deselected on SQLite runs)


def _sorted(groups):
    return sorted(groups, key=lambda g: (g.kind, g.polarity, g.severity))


def _assert_same_groups(found: dict, expected: dict) -> None:
    assert set(found) == set(expected)
    for key, groups in expected.items():
        mine = _sorted(found[key])
        theirs = _sorted(groups)
        assert [(g.kind, g.polarity, g.severity, g.count, g.first_day, g.last_day) for g in mine] == [
            (g.kind, g.polarity, g.severity, g.count, g.first_day, g.last_day) for g in theirs
        ], key
        for a, b in zip(mine, theirs, strict=True):
            for name in ("effective", "review_kept", "review_broken", "weight", "value_weight"):
                assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-12, abs=1e-12), (key, a.kind, name)


def _every_key() -> list[str]:
    return sorted(set(CreditEvent.objects.values_list("subject_key", flat=True)))


def _vouch(api_client, admin, unit, user):
    api_client.force_authenticate(admin)
    body = {"unit": unit.pk, "user": user.username, "display_name": "Wang Wu", "staff_number": "S-1001"}
    response = api_client.post("/api/v1/identity/vouches/", body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_the_summary_equals_the_ledger_after_every_kind_of_write(api_client):
    _varied_ledger(seed=5)  # bulk_create of every kind, reviews with odd stars and zero weights, 25 reversals
    unit, provider = UnitFactory(), UnitFactory()
    user = UserFactory()
    record(unit, K.SERVICE_DELIVERED, days_ago=3)
    record(unit, K.REVIEW_RECEIVED, days_ago=3, value=Decimal(4), weight=Decimal("1.5"))
    record(unit, K.REVIEW_RECEIVED, days_ago=3, value=Decimal(2), weight=Decimal(1))
    record(user, K.LATE_CHECK_IN, days_ago=400)
    # Weight 0: the counterparty cap (issue 18.3) from the cap's fact on.
    for n in range(params.COUNTERPARTY_CAP_FACTS + 2):
        record(user, K.BOOKING_FULFILLED, days_ago=10 - n, source_ref=f"cap:{n}", counterparty=provider)
    assert CreditEvent.objects.filter(subject_key=subject_key_for(user), weight=0).exists()
    # A reversal through the service, and the person mirror (issue 18.2): one person's two accounts.
    reversed_event = record(unit, K.RESPONSE_LATE, days_ago=2)
    credit_event_reverse(event=reversed_event, reason="test")
    employer = UnitFactory(status="verified")
    admin = MembershipFactory(unit=employer, role=Membership.Role.ADMIN).user
    first, second = MembershipFactory(unit=employer).user, MembershipFactory(unit=employer).user
    _vouch(api_client, admin, employer, first)
    _vouch(api_client, admin, employer, second)
    original = record(first, K.NO_SHOW, days_ago=1, source_ref="mirror-me")
    assert CreditEvent.objects.filter(subject_key=subject_key_for(second), source=CreditEvent.Source.PERSON).exists()
    credit_event_reverse(event=original, reason="mirrored reversal")

    keys = _every_key()
    as_of = timezone.now()
    expected = groups_postgres(keys, as_of)
    # Appended rows, not folded yet: the subjects with a new reversal are read from the ledger.
    assert LedgerSummary.objects.filter(folded=False).exists()
    found, stale = summary.summary_groups(keys, as_of)
    assert {subject_key_for(unit), subject_key_for(first), subject_key_for(second)} <= set(stale)
    _assert_same_groups(found, {key: groups for key, groups in expected.items() if key not in stale})
    _assert_same_groups(ledger_groups(keys, as_of), expected)
    # Folded: one row per group, nobody read from the ledger, the same groups.
    summary.fold()
    assert not LedgerSummary.objects.filter(folded=False).exists()
    found, stale = summary.summary_groups(keys, as_of)
    assert stale == []
    _assert_same_groups(found, expected)
    rows = list(LedgerSummary.objects.values_list("subject_key", "kind", "polarity", "severity", "day"))
    assert len(rows) == len(set(rows))
    # A rebuild from the ledger gives the same rows.
    folded = sorted(LedgerSummary.objects.values_list("subject_key", "kind", "polarity", "severity", "day", "n", "w"))
    summary.rebuild()
    assert (
        sorted(LedgerSummary.objects.values_list("subject_key", "kind", "polarity", "severity", "day", "n", "w"))
        == folded
    )
    _assert_same_groups(summary.summary_groups(keys, as_of)[0], expected)
    # Review days older than FOLD_LAG_DAYS were folded into one row per group, the recent ones kept per day.
    folded_reviews = LedgerSummary.objects.filter(kind=K.REVIEW_RECEIVED, day=summary.FOLDED_DAYS)
    assert folded_reviews.exists()
    assert LedgerSummary.objects.filter(kind=K.REVIEW_RECEIVED, day__gt=summary.FOLDED_DAYS).exists()
    # An event recorded after the fold is summed with the folded rows...
    record(unit, K.SERVICE_DELIVERED, days_ago=0)
    record(unit, K.REVIEW_RECEIVED, days_ago=0, value=Decimal(5), weight=Decimal(1))
    later = timezone.now()
    found, stale = summary.summary_groups(keys, later)
    assert stale == []
    _assert_same_groups(found, groups_postgres(keys, later))
    # ...but a review of a day already folded changes that day's stars share: read from the ledger until the next
    # fold rebuilds the subject.
    old_review_unit = folded_reviews.values_list("subject_key", flat=True).first()
    late = next(s for s in [*Unit.objects.all()] if subject_key_for(s) == old_review_unit)
    record(late, K.REVIEW_RECEIVED, days_ago=300, value=Decimal(1), weight=Decimal(2))
    later = timezone.now()
    assert old_review_unit in summary.summary_groups(keys, later)[1]
    _assert_same_groups(ledger_groups(keys, later), groups_postgres(keys, later))
    assert summary.fold()[1] >= 1
    found, stale = summary.summary_groups(keys, later)
    assert stale == []
    _assert_same_groups(found, groups_postgres(keys, later))


@pytest.mark.django_db
def test_a_moment_before_a_subjects_latest_fact_reads_that_subject_from_the_ledger():
    unit = UnitFactory()
    record(unit, K.SERVICE_DELIVERED, days_ago=30)
    between = timezone.now()
    record(unit, K.SERVICE_DELIVERED, days_ago=2)
    key = subject_key_for(unit)
    for moment in (between, timezone.now() - timedelta(days=7)):  # recorded after it; also occurred after it
        _found, stale = summary.summary_groups([key], moment)
        assert stale == [key]
        groups = ledger_groups([key], moment)
        _assert_same_groups(groups, groups_postgres([key], moment))
    assert ledger_groups([key], between)[key][0].count == 1  # the later fact is left out


@pytest.mark.django_db
def test_a_summary_kept_with_other_parameters_is_not_read_until_the_nightly_run_rebuilds_it(monkeypatch):
    unit = UnitFactory()
    for days in (1, 40, 300):
        record(unit, K.SERVICE_DELIVERED, days_ago=days)
    key = subject_key_for(unit)
    monkeypatch.setattr(params, "HALF_LIFE_DAYS", 90)
    assert not summary.state_matches()
    with pytest.raises(summary.SummaryUnavailableError):
        summary.summary_groups([key], timezone.now())
    as_of = timezone.now()
    _assert_same_groups(ledger_groups([key], as_of), groups_postgres([key], as_of))
    assert recompute_all().status == "done"
    assert summary.state_matches()
    found, stale = summary.summary_groups([key], as_of)
    assert stale == []
    _assert_same_groups(found, groups_postgres([key], as_of))


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_units_facts_do_not_wait_on_each_other():
    """The trigger only appends rows: a transaction that recorded a fact of a unit and is still open holds no
    lock that another transaction recording a fact of the same unit (same kind, same day) must wait for."""
    unit = UnitFactory()
    recorded, release, errors = threading.Event(), threading.Event(), []

    def first_writer():
        try:
            with transaction.atomic():
                credit_event_record(subject=unit, kind=K.SERVICE_DELIVERED, source="booking", source_ref="a")
                recorded.set()
                release.wait(10)
        except Exception as error:
            errors.append(error)
        finally:
            recorded.set()
            connections.close_all()

    thread = threading.Thread(target=first_writer)
    thread.start()
    try:
        assert recorded.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            credit_event_record(subject=unit, kind=K.SERVICE_DELIVERED, source="booking", source_ref="b")
    finally:
        release.set()
        thread.join(15)
    assert errors == []
    key = subject_key_for(unit)
    as_of = timezone.now()
    found, _stale = summary.summary_groups([key], as_of)
    _assert_same_groups(found, groups_postgres([key], as_of))
    assert found[key][0].count == 2


@pytest.mark.django_db
def test_the_command_folds_rebuilds_and_finds_a_summary_that_differs_from_the_ledger():
    _varied_ledger(seed=8)
    call_command("credit_ledger_summary")  # fold
    out = io.StringIO()
    call_command("credit_ledger_summary", "--check", stdout=out)
    assert "0 differ" in out.getvalue()
    row = LedgerSummary.objects.filter(kind=K.SERVICE_DELIVERED).first()
    LedgerSummary.objects.filter(pk=row.pk).update(n=row.n + 1)
    with pytest.raises(CommandError, match=row.subject_key):
        call_command("credit_ledger_summary", "--check", stdout=io.StringIO())
    call_command("credit_ledger_summary", "--rebuild", "--check", stdout=io.StringIO())
