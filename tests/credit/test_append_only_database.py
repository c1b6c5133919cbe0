"""The ledger, score history, booking history and decisions hold below the ORM.

Raw SQL, ``_base_manager.update()`` and ``_raw_delete`` bypass the ORM's refusals; on PostgreSQL the
triggers of credit 0004 / bookings 0003 refuse them for every role, the owner this test connects as
included. After each refusal the row is read back unchanged.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from bookings import services as booking_services
from bookings.models import BookingEvent
from credit import services as credit_services
from credit.models import Appeal, CreditEvent, CreditScore, ListEntry, RepairRequest, subject_key_for
from credit.recompute import recompute_subject
from instruments.models import Membership
from sharing_platform.database.append_only import FLUSH_SETTING
from tests.bookings.factories import local_slot, policy_set
from tests.credit.factories import violations_warned
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

APPEND_ONLY = ["credit_creditevent", "credit_creditscore", "credit_listentry_basis_events", "bookings_bookingevent"]
DECISIONS = ["credit_listentry", "credit_appeal", "credit_repairrequest"]
K = CreditEvent.Kind


@pytest.fixture
def history():
    """A researcher with three no-shows, a published black-list entry (with its basis events), a decided
    objection and a refused repair request, a score snapshot, and a booking with its event history."""
    admin = AdminUserFactory()
    researcher = MembershipFactory(role=Membership.Role.MEMBER).user
    violations_warned(researcher, K.NO_SHOW, recorded_by=admin)  # four no-shows, warned after the second
    (entry,) = credit_services.list_entries_propose(subject_keys=[subject_key_for(researcher)])
    credit_services.list_entry_confirm(entry=entry, moderator=admin, reason="Three no-shows confirmed.")
    appeal = credit_services.appeal_submit(entry=entry, user=researcher, reason="One was a power cut.")
    credit_services.appeal_decide(appeal=appeal, admin=admin, upheld=False, reason="No evidence of a power cut.")
    repair = RepairRequest.objects.create(
        entry=entry, submitted_by=researcher, proof_text="Trained again.", commitment_signed=True
    )
    credit_services.repair_request_decide(repair=repair, admin=admin, granted=False, reason="Too early.")
    recompute_subject(subject_key_for(researcher))
    instrument = InstrumentFactory()
    policy_set(instrument, min_notice_hours=0)
    start, end = local_slot(days=3)
    booking = booking_services.booking_create(
        instrument=instrument, requester=UserFactory(), start=start, end=end, purpose="XRD of thin films"
    )
    assert BookingEvent.objects.filter(booking=booking).exists()
    assert CreditScore.objects.filter(subject_key=subject_key_for(researcher)).exists()
    entry.refresh_from_db()
    assert entry.status == ListEntry.Status.PUBLISHED
    with connection.cursor() as cursor:  # run the deferred foreign-key checks now: TRUNCATE refuses to run
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # while they are pending, before any trigger fires
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return {"admin": admin, "researcher": researcher, "entry": entry, "appeal": appeal, "repair": repair}


def _table_snapshot(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 - our own table names
        return cursor.fetchall()


def _refused(sql: str, params=None) -> str:
    """Run sql in a savepoint; it must be refused by the database. Returns the error text."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refusal.value)


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_raw_update_delete_truncate_refused(history, table):
    before = _table_snapshot(table)
    assert before, table
    column = "id" if table != "credit_listentry_basis_events" else "creditevent_id"
    assert "append-only" in _refused(f"UPDATE {table} SET {column} = {column}")  # noqa: S608
    assert "append-only" in _refused(f"DELETE FROM {table}")  # noqa: S608
    assert "append-only" in _refused(f"TRUNCATE {table} CASCADE")
    assert _table_snapshot(table) == before


@pytest.mark.parametrize("table", DECISIONS)
def test_decisions_raw_delete_and_truncate_refused(history, table):
    before = _table_snapshot(table)
    assert before, table
    assert "append-only" in _refused(f"DELETE FROM {table}")  # noqa: S608
    assert "append-only" in _refused(f"TRUNCATE {table} CASCADE")
    assert _table_snapshot(table) == before


def test_decisions_decided_rows_cannot_be_rewritten(history):
    before = {table: _table_snapshot(table) for table in DECISIONS}
    entry, appeal, repair = history["entry"], history["appeal"], history["repair"]
    message = _refused("UPDATE credit_listentry SET decision_reason = 'edited' WHERE id = %s", [entry.pk])
    assert "decision is final" in message
    _refused("UPDATE credit_listentry SET moderator_id = NULL WHERE id = %s", [entry.pk])
    _refused("UPDATE credit_listentry SET expires_at = expires_at + interval '1 year' WHERE id = %s", [entry.pk])
    _refused("UPDATE credit_appeal SET status = 'upheld' WHERE id = %s", [appeal.pk])
    _refused("UPDATE credit_repairrequest SET decided_by_id = NULL WHERE id = %s", [repair.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        ListEntry._base_manager.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        Appeal._base_manager.filter(pk=appeal.pk).update(decision_reason="rewritten")
    assert {table: _table_snapshot(table) for table in DECISIONS} == before


def test_decisions_open_rows_change_and_published_entries_end_once(history):
    """What the services do still works: a proposed entry is moderated, a published one ends; then it is final."""
    other = UserFactory()
    violations_warned(other, K.LATE_CANCELLATION)
    (proposed,) = credit_services.list_entries_propose(subject_keys=[subject_key_for(other)])
    credit_services.list_entry_reject(entry=proposed, moderator=history["admin"], reason="Excused.")
    _refused("UPDATE credit_listentry SET status = 'proposed' WHERE id = %s", [proposed.pk])

    entry, researcher = history["entry"], history["researcher"]
    appeal = credit_services.appeal_submit(entry=entry, user=researcher, reason="The instrument was broken.")
    credit_services.appeal_decide(appeal=appeal, admin=history["admin"], upheld=True, reason="Fault log confirms.")
    entry.refresh_from_db()
    assert (entry.status, entry.ended_at is not None) == (ListEntry.Status.REVOKED, True)
    _refused("UPDATE credit_listentry SET status = 'published', ended_at = NULL WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.status == ListEntry.Status.REVOKED


def test_append_only_orm_bypasses_refused(history):
    event = CreditEvent.objects.filter(subject_key=subject_key_for(history["researcher"])).first()
    booking_event = BookingEvent.objects.first()
    score = CreditScore.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CreditEvent._base_manager.filter(pk=event.pk).update(weight=3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CreditEvent._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        BookingEvent._base_manager.filter(pk=booking_event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        BookingEvent.objects.filter(pk=booking_event.pk)._raw_delete(connection.alias)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CreditScore._base_manager.filter(pk=score.pk).update(score=950)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CreditScore.objects.filter(pk=score.pk).delete()
    event.refresh_from_db()
    booking_event.refresh_from_db()
    score.refresh_from_db()
    assert (event.weight, booking_event.reason != "rewritten", score.score != 950) == (1, True, True)


def test_append_only_flush_setting_lets_only_the_owner_truncate(history):
    """The test runner's flush: TRUNCATE by the owner with the session setting on (here in a savepoint
    that is rolled back). Without the setting the same statement is refused (above)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {FLUSH_SETTING} = 'on'")
            cursor.execute("TRUNCATE credit_creditevent CASCADE")
            cursor.execute("SELECT count(*) FROM credit_creditevent")
            assert cursor.fetchone()[0] == 0
        transaction.set_rollback(True)
    assert CreditEvent.objects.exists()
