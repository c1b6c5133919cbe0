"""A small but varied world for the contract tests: every kind of object an API answer can carry, and
the awkward states among them (never used, revoked, undecided, refused, blank, null), so that checking
answers against the schema meets them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone
from PIL import Image

from billing import services as billing_services
from billing.models import Charge
from bookings import services as booking_services
from bookings.models import Booking
from credit import services as credit_services
from credit.models import CreditEvent, subject_key_for
from credit.recompute import recompute_subject
from identity.models import IdentityProvider
from instruments.services.photos import instrument_photo_add
from partners import services as partner_services
from partners import signals as partner_signals
from partners.models import Partner, Scope, WebhookEvent
from tests.analytics.factories import used_booking
from tests.bookings.factories import local_slot
from tests.credit.factories import EndorsementFactory, ExternalCreditReportFactory, ListEntryFactory, record
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory


@dataclass
class World:
    admin: object  # a platform admin who is also the admin of the provider unit
    booker: object
    raw_key: str  # a partner key with every scope
    ids: dict[str, int] = field(default_factory=dict)  # one seeded id per kind of path parameter

    @property
    def all_ids(self) -> list[int]:
        return sorted(set(self.ids.values()))


def contract_world() -> World:
    now = timezone.now()
    unit = UnitFactory(accreditations=["CMA", "CNAS"])
    other_unit = UnitFactory()
    admin = MembershipFactory(unit=unit, role="admin").user
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    booker = UserFactory()
    MembershipFactory(unit=other_unit, user=booker, role="member")
    instruments = [InstrumentFactory(unit=unit, requires_approval=False) for _ in range(2)]
    instrument = instruments[0]

    # Booking rules: hours, a blackout, qualifications (one never used, one revoked).
    booking_services.opening_hours_replace(
        instrument=instrument,
        actor=admin,
        rows=[{"weekday": day, "opens": time(0, 0), "closes": time(23, 59)} for day in range(7)],
    )
    blackout = booking_services.blackout_create(
        instrument=instrument, actor=admin, start=now + timedelta(days=40), end=now + timedelta(days=41), reason=""
    )
    qualification = booking_services.qualification_grant_to(instrument=instrument, actor=admin, user_id=booker.pk)
    revoked = booking_services.qualification_grant_to(instrument=instrument, actor=admin, user_id=UserFactory().pk)
    booking_services.qualification_revoke(instrument=instrument, actor=admin, qualification_id=revoked.pk)

    # Bookings in every state a list can show.
    bookings = []
    for days, target in enumerate(instruments, start=2):
        start, end = local_slot(days=days, hour=10)
        bookings.append(
            booking_services.booking_create(instrument=target, requester=booker, start=start, end=end, purpose="XRD")
        )
        start, end = local_slot(days=days, hour=14)
        bookings.append(
            booking_services.booking_create(instrument=target, requester=admin, start=start, end=end, purpose="SEM")
        )
    start, end = local_slot(days=6, hour=9)
    refused = booking_services.booking_create(
        instrument=instruments[1], requester=booker, start=start, end=end, purpose="AFM"
    )
    Booking.objects.filter(pk=refused.pk).update(state=Booking.State.REQUESTED)
    booking_services.booking_refuse(booking_id=refused.pk, actor=admin, reason="Under maintenance that week.")
    start, end = local_slot(days=7, hour=9)
    cancelled = booking_services.booking_create(
        instrument=instrument, requester=booker, start=start, end=end, purpose="FTIR"
    )
    booking_services.booking_cancel(booking_id=cancelled.pk, actor=booker, reason="")

    # A completed booking with a review, an incident contested into an undecided dispute.
    completed = used_booking(
        instrument, start=now - timedelta(days=3), hours=2, requester=booker, requester_unit=other_unit
    )
    booking_services.review_create(booking_id=completed.pk, author=booker, stars=4, tags=["helpful"], text="")
    incident = booking_services.incident_report(
        booking_id=completed.pk,
        reporter=admin,
        kind="damage",
        severity="minor",
        estimated_loss=Decimal("100.00"),
        description="Scratched sample stage.",
        files=[],
    )
    dispute = booking_services.incident_contest(
        incident_id=incident.pk, actor=booker, reason="It was scratched before."
    )

    # Institutional sign-on: the provider unit's CAS server.
    identity_provider = IdentityProvider.objects.create(
        unit=unit, display_name="CAS", protocol="cas", server_url="https://cas.example.edu.cn/cas/"
    )

    # Credit: ledger events (one without a severity), a snapshot with reasons, entries, an endorsement.
    record(booker, CreditEvent.Kind.NO_SHOW, source_ref="booking:seed")
    record(unit, CreditEvent.Kind.SERVICE_DELIVERED, source_ref="booking:seed")
    EndorsementFactory(endorser=other_unit, endorsed=unit)
    ExternalCreditReportFactory(subject=unit)
    recompute_subject(subject_key_for(unit))
    recompute_subject(subject_key_for(booker))
    published = ListEntryFactory(
        subject=booker, status="published", published_at=now - timedelta(days=100), expires_at=now + timedelta(days=90)
    )
    ListEntryFactory(subject=UserFactory(), status="proposed", severity="", published_at=None, expires_at=None)
    credit_services.appeal_submit(entry=published, user=booker, reason="Two of the no-shows were the provider's.")

    # A partner with its own user, a webhook endpoint, and a booking that sent it a delivery.
    partner = Partner.objects.create(name="Contract Partner")
    _key, raw_key = partner_services.partner_key_issue(
        partner=partner, name="contract", scopes=list(Scope.values), expires_at=None
    )
    endpoint = partner_services.webhook_endpoint_create(
        partner=partner, url="https://portal.example.edu/hooks", events=list(WebhookEvent.values), description=""
    )
    partner_user, _created = partner_services.partner_user_upsert(
        partner=partner, external_id="stu-1", email="stu1@example.edu", name="Stu"
    )
    start, end = local_slot(days=5, hour=9)
    partner_booking = partner_services.partner_booking_create(
        partner=partner, external_id="stu-1", instrument_id=instrument.pk, start=start, end=end, purpose="AFM"
    )
    # The webhook fan-out runs after commit, which a test transaction never reaches: run it here.
    partner_signals.on_booking_changed(sender=Booking, booking_id=partner_booking.pk, action="requested")

    # A photo of the instrument (the catalogue row's thumbnail_url, the photo list).
    photo_file = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(photo_file, "PNG")
    photo = instrument_photo_add(actor=admin, instrument=instrument, content=photo_file.getvalue())
    # Billing: the completed bookings' charges (one of the partner's user), billed on a statement that is partly paid.
    charge = billing_services.charge_for_booking(booking=completed, kind=Charge.Kind.USAGE, at=completed.end)
    partner_used = used_booking(
        instrument, start=now - timedelta(days=4), hours=1, requester=partner_user.user, requester_unit=other_unit
    )
    billing_services.charge_for_booking(booking=partner_used, kind=Charge.Kind.USAGE, at=partner_used.end)
    statement = billing_services.statement_issue(
        provider_unit=unit, payer_unit=other_unit, period_end=timezone.localdate(), actor=admin
    )

    payment = billing_services.payment_record(
        statement_id=statement.pk,
        actor=admin,
        amount=(statement.total / 2).quantize(Decimal("0.01")),
        paid_on=timezone.localdate(),
        reference="ICBC 2026112012345",
    )

    ids = {
        "unit": unit.pk,
        "instrument": instrument.pk,
        "booking": bookings[0].pk,
        "refused_booking": refused.pk,
        "completed_booking": completed.pk,
        "user": booker.pk,
        "admin": admin.pk,
        "entry": published.pk,
        "incident": incident.pk,
        "dispute": dispute.pk,
        "qualification": qualification.pk,
        "blackout": blackout.pk,
        "partner_booking": partner_booking.pk,
        "endpoint": endpoint.pk,
        "charge": charge.pk,
        "statement": statement.pk,
        "payment": payment.pk,
        "identity_provider": identity_provider.pk,
        "photo": photo.pk,
    }
    return World(admin=admin, booker=booker, raw_key=raw_key, ids=ids)
