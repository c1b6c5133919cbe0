"""Who recorded or decided something stays on the record: deleting that user is refused.

``recorded_by`` (ledger), ``actor`` (booking history), ``moderator`` and ``decided_by`` (list entries,
objections, repairs) are PROTECT, so deleting the user never blanks them; the admin, where users are
deleted, answers with Django's refusal page naming the records that keep the account.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import BookingEvent
from credit import services as credit_services
from credit.models import CreditEvent, ListEntry, subject_key_for
from instruments.models import Membership
from tests.bookings.factories import local_slot, policy_set
from tests.credit.factories import record, violations_warned
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
K = CreditEvent.Kind


def test_recorded_by_user_who_recorded_a_ledger_event_cannot_be_deleted():
    recorder = AdminUserFactory()
    event = record(UserFactory(), K.NO_SHOW, recorded_by=recorder, source_ref="booking:1")

    with pytest.raises(ProtectedError):
        recorder.delete()

    event.refresh_from_db()
    assert event.recorded_by_id == recorder.pk
    assert get_user_model().objects.filter(pk=recorder.pk).exists()


def test_recorded_by_booking_actor_and_moderator_cannot_be_deleted():
    manager = MembershipFactory(role=Membership.Role.MANAGER).user
    instrument = InstrumentFactory(unit=manager.memberships.get().unit)
    policy_set(instrument, min_notice_hours=0)
    start, end = local_slot(days=3)
    booking = booking_services.booking_create(
        instrument=instrument, requester=UserFactory(), start=start, end=end, purpose="Powder diffraction"
    )
    booking_services.booking_approve(booking_id=booking.pk, actor=manager)
    moderator = AdminUserFactory()
    subject = UserFactory()
    violations_warned(subject, K.NO_SHOW)
    (entry,) = credit_services.list_entries_propose(subject_keys=[subject_key_for(subject)])
    credit_services.list_entry_reject(entry=entry, moderator=moderator, reason="Excused by the provider.")

    for user in (manager, moderator):
        with pytest.raises(ProtectedError):
            user.delete()

    assert BookingEvent.objects.filter(booking=booking, actor=manager).exists()
    assert ListEntry.objects.get(pk=entry.pk).moderator_id == moderator.pk


def test_recorded_by_admin_refuses_to_delete_the_recorder_and_says_why(client):
    admin = AdminUserFactory()
    recorder = AdminUserFactory()
    event = record(UserFactory(), K.DAMAGE_CONFIRMED, recorded_by=recorder, source_ref="incident:4")
    client.force_login(admin)
    url = reverse("admin:auth_user_delete", args=[recorder.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>Cannot delete user</h1>" in text
    assert "<li>credit event</li>" in text  # the records that keep the account
    assert get_user_model().objects.filter(pk=recorder.pk).exists()
    event.refresh_from_db()
    assert event.recorded_by_id == recorder.pk
    # A user who recorded nothing is deleted as before (the refusal is about history, not every user).
    idle = UserFactory()
    assert client.post(reverse("admin:auth_user_delete", args=[idle.pk]), {"post": "yes"}).status_code == 302
    assert not get_user_model().objects.filter(pk=idle.pk).exists()
