"""`manage.py seed_demo` writes a year of activity through the services: the demo opens on a working platform.

One seeding (at the scale the tests can afford) is checked through the pages and the API the people
trying the demo would use; a smaller one shows the history is deterministic and not written twice.
"""

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import Charge, Statement
from bookings.models import Booking, BookingState, ContestableFact, Dispute, Incident, Review
from credit.models import (
    Appeal,
    CreditEvent,
    CreditScore,
    CreditWarning,
    Endorsement,
    ExternalCreditReport,
    ListEntry,
    RepairRequest,
    TrustedProviderBadge,
)
from credit.params import TIERS
from credit.recompute import latest_snapshot_queryset
from credit.selectors import credit_standing_for_user
from instruments.models import Instrument, Unit
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

AS_OF = "2026-11-25T20:00:00+08:00"
TEST_SCALE = "0.2"


def seed(scale: str = TEST_SCALE) -> None:
    call_command("seed_demo", "--scale", scale, "--as-of", AS_OF)


def fingerprint() -> dict:
    return {
        "bookings": Counter(Booking.objects.values_list("state", flat=True)),
        "reviews": Review.objects.count(),
        "incidents": Counter(Incident.objects.values_list("state", flat=True)),
        "entries": Counter(ListEntry.objects.values_list("list_type", "status")),
        "events": CreditEvent.objects.count(),
        "scores": CreditScore.objects.count(),
        "statements": Statement.objects.count(),
        "charged": Charge.objects.aggregate(total=Sum("amount"))["total"],
        "users": get_user_model().objects.count(),
        "top": list(
            latest_snapshot_queryset()
            .order_by("-score", "subject_key")
            .values_list("subject_user__username", "subject_unit__credit_code", "score")[:20]
        ),
    }


def user(username):
    return get_user_model().objects.get(username=username)


def signed_in(username: str, password: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password=password)
    return client


def test_seed_demo_opens_on_a_year_of_activity(capsys):
    seed()
    out = capsys.readouterr().out
    assert "Demo history:" in out
    now = datetime.fromisoformat(AS_OF)

    # The catalogue is unchanged: 47 units, 945 instruments, 350M CNY.
    assert Unit.objects.count() == 47
    assert Instrument.objects.count() == 945
    assert Instrument.objects.aggregate(total=Sum("original_value"))["total"] == Decimal("350000000.00")

    # The whole lifecycle, through the services.
    states = Counter(Booking.objects.values_list("state", flat=True))
    assert states[BookingState.COMPLETED] >= 300
    for state in (BookingState.REFUSED, BookingState.CANCELLED, BookingState.NO_SHOW, BookingState.APPROVED):
        assert states[state] > 0, state
    assert Booking.objects.filter(state=BookingState.REFUSED).exclude(refusal_reason="").exists()
    assert Booking.objects.filter(cancellation_late=True).exists()
    assert Booking.objects.filter(operator_assisted=True, state=BookingState.COMPLETED).exists()
    assert Booking.objects.filter(state=BookingState.COMPLETED, actual_hours__gt=0).count() == states["completed"]
    assert CreditEvent.objects.filter(kind="usage_overrun").exists()
    assert Review.objects.filter(side="requester").exists()
    assert Review.objects.filter(side="provider").exists()
    incidents = Counter(Incident.objects.values_list("state", flat=True))
    assert incidents["confirmed"] > 0
    assert Dispute.objects.filter(state=Dispute.State.DECIDED).exists()
    assert Endorsement.objects.count() >= 20
    assert ExternalCreditReport.objects.count() >= 50
    first = Booking.objects.order_by("start").first()
    assert first.start < now - timedelta(days=330)
    assert first.created_at < first.start  # written at its own moment, not today

    # Scores spread over every tier (units and people), as the nightly run left them; `blacklisted`'s
    # scripted year puts it in "poor" whatever the draws on this database.
    tiers = Counter(latest_snapshot_queryset().values_list("tier", flat=True))
    scripted = latest_snapshot_queryset([f"user:{user('blacklisted').pk}"]).get()
    assert scripted.tier == "poor", (scripted.score, scripted.record, scripted.fulfilment, scripted.external)
    assert set(tiers) == {name for name, _floor in TIERS}, tiers

    # Lists: published red and black entries (confirmed with reasons), proposals waiting, an objection
    # waiting, an expired entry and a granted repair.
    published = ListEntry.objects.filter(status=ListEntry.Status.PUBLISHED)
    assert published.filter(list_type="red").exists()
    assert published.filter(list_type="black").exists()
    assert not published.filter(decision_reason="").exists()
    assert ListEntry.objects.filter(status=ListEntry.Status.PROPOSED).exists()
    assert ListEntry.objects.filter(status=ListEntry.Status.EXPIRED).exists()
    assert RepairRequest.objects.filter(status=RepairRequest.Status.GRANTED).exists()
    assert ListEntry.objects.filter(status=ListEntry.Status.REPAIRED).exists()
    assert Appeal.objects.filter(status=Appeal.Status.OPEN).count() == 1

    # The demo accounts.
    researcher = user("researcher")
    assert latest_snapshot_queryset([f"user:{researcher.pk}"]).get().tier in {"good", "excellent"}
    assert Booking.objects.filter(requester=researcher, state=BookingState.COMPLETED).count() >= 10
    # README: "an excellent score ... on the red list": never warned or black-listed, whatever the draws.
    researcher_entries = ListEntry.objects.filter(subject_user=researcher)
    assert not researcher_entries.filter(list_type=ListEntry.List.BLACK).exists()
    assert researcher_entries.filter(list_type=ListEntry.List.RED, status=ListEntry.Status.PUBLISHED).exists()
    assert not CreditWarning.objects.filter(subject_user=researcher).exists()
    blacklisted = user("blacklisted")
    assert credit_standing_for_user(blacklisted).blacklisted
    assert Appeal.objects.get(status=Appeal.Status.OPEN).entry.subject_user == blacklisted
    provider_unit = Unit.objects.get(memberships__user__username="provider")
    upcoming = Booking.objects.filter(instrument__unit=provider_unit, start__gt=now)
    assert upcoming.filter(state=BookingState.REQUESTED).exists()
    assert upcoming.filter(state=BookingState.APPROVED).exists()
    assert TrustedProviderBadge.objects.filter(unit=provider_unit, revoked_at=None, valid_until__gt=now).exists()
    assert Dispute.objects.filter(state=Dispute.State.OPEN).exists()
    # One-sided facts: every one whose window had passed by the end of the year is recorded (or decided); the
    # one left pending is `payer`'s no-show of two days ago, still in its window, shown on the booking page.
    assert not ContestableFact.objects.filter(state="pending", contestable_until__lte=now).exists()
    assert ContestableFact.objects.filter(state="recorded").count() >= 5
    pending = ContestableFact.objects.get(state="pending", booking__requester__username="payer")
    assert (pending.kind, pending.booking.instrument.unit) == ("no_show", provider_unit)
    assert pending.occurred_at < now < pending.contestable_until
    assert not CreditEvent.objects.filter(kind="no_show", subject_user=pending.booking.requester).exists()
    assert not Charge.objects.filter(booking=pending.booking).exists()  # not billed while pending
    page = signed_in("payer", "demo-2026").get(reverse("bookings:detail", args=[pending.booking_id]))
    assert f'data-testid="fact-{pending.pk}"' in page.content.decode()
    payer_unit = Unit.objects.get(memberships__user__username="payer")
    assert Statement.objects.filter(payer_unit=payer_unit).exists()
    assert Statement.objects.filter(status="paid").exists()

    # What the people trying the demo see.
    blacklisted_page = signed_in("blacklisted", "demo-2026").get(reverse("credit:mine"))
    assert blacklisted_page.status_code == 200
    entry = ListEntry.objects.get(subject_user=blacklisted, status=ListEntry.Status.PUBLISHED)
    assert entry.decision_reason.split(" ")[-1] in blacklisted_page.content.decode() or entry.reason in (
        blacklisted_page.content.decode()
    )
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert admin.login(username="admin", password="admin-demo-2026")
    assert admin.get(reverse("moderation")).status_code == 200

    # Analytics show real figures (the API the pages share).
    dashboard = admin.get(reverse("api-analytics-platform")).json()
    assert any(value > 0 for value in _numbers(dashboard)), dashboard
    evaluation = admin.get(reverse("api-analytics-unit-evaluation", args=[provider_unit.pk])).json()
    assert any(value > 0 for value in _numbers(evaluation)), evaluation
    idle = admin.get(reverse("api-analytics-idle")).json()
    assert _numbers(idle), idle
    busiest = (
        Booking.objects.filter(state=BookingState.COMPLETED)
        .values("instrument")
        .annotate(n=Sum("actual_hours"))
        .order_by("-n")
        .first()
    )
    hours = admin.get(reverse("api-analytics-instrument-hours", args=[busiest["instrument"]])).json()
    assert any(value > 0 for value in _numbers(hours)), hours
    category = Instrument.objects.get(pk=busiest["instrument"]).category.code
    before = admin.get(reverse("api-analytics-before-you-buy"), {"category": category}).json()
    assert any(value > 0 for value in _numbers(before)), before
    for name, args in (
        ("analytics:platform", []),
        ("analytics:idle", []),
        ("analytics:unit-evaluation", [provider_unit.pk]),
        ("analytics:instrument-hours", [busiest["instrument"]]),
    ):
        assert admin.get(reverse(name, args=args)).status_code == 200, name

    # A second run finds the history and writes nothing.
    before_again = fingerprint()
    seed()
    assert "already present" in capsys.readouterr().out
    assert fingerprint() == before_again


def _numbers(data) -> list[float]:
    """Every number in a JSON answer (figures, counts, hours), however nested."""
    found: list[float] = []
    if isinstance(data, bool):
        return found
    if isinstance(data, int | float):
        return [float(data)]
    if isinstance(data, str):
        try:
            return [float(data)]
        except ValueError:
            return found
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            found.extend(_numbers(item))
    return found


class UndoError(Exception):
    pass


def test_seed_demo_history_is_deterministic():
    try:
        with transaction.atomic():
            seed("0.05")
            first = fingerprint()
            raise UndoError
    except UndoError:
        pass
    assert not Booking.objects.exists()
    seed("0.05")
    assert fingerprint() == first
    assert first["bookings"]["completed"] > 0
    assert timezone.is_aware(Booking.objects.first().created_at)


def test_seed_demo_payer_contests_the_pending_no_show_on_the_booking_page():
    """Seeded as of now (as `scripts/demo.sh` does), `payer` finds the no-show of two days ago pending and
    contests it on the booking page; a reason is needed and nobody else may contest it."""
    call_command("seed_demo", "--scale", "0.05")
    fact = ContestableFact.objects.get(state="pending", booking__requester=user("payer"))
    url = reverse("bookings:detail", args=[fact.booking_id])
    client = signed_in("payer", "demo-2026")
    page = client.get(url).content.decode()
    assert reverse("bookings:fact-contest", args=[fact.pk]) in page
    contest = reverse("bookings:fact-contest", args=[fact.pk])
    with nothing_changed():
        assert client.post(contest, {f"fact-{fact.pk}-reason": ""}).status_code == 400
        assert signed_in("blacklisted", "demo-2026").post(contest, {f"fact-{fact.pk}-reason": "x"}).status_code == 404
    response = client.post(contest, {f"fact-{fact.pk}-reason": "I was in the lab; the logbook shows it"})
    assert response.status_code == 302
    fact.refresh_from_db()
    assert fact.state == "contested"
    assert Dispute.objects.get(fact=fact).state == Dispute.State.OPEN
