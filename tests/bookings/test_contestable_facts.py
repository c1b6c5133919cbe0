"""One-sided facts become contestable (issue 18.1), through the real services, the HTTP API and the pages.

The attacks replayed: (a) a provider states 1 of 4 used hours on three bookings: before, three overruns
were recorded against the user at once and the black-list rule proposed them; now the correction needs a
reason the user sees, the overruns stay pending for the window to contest, and a contested one won by the
user never reaches the ledger. (b) A reporter picks "serious" for damage an admin upholds: before, the
serious cap (549) and a black-list proposal followed at once; now the admin may uphold it at "minor" (and since
issue 18.8 item 8 a serious damage upheld as such warns first: it proposes only with a further fault).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from bookings import services
from bookings.contest_policy import CONTEST_WINDOW_WORKING_DAYS, contestable_until
from bookings.models import ContestableFact, Dispute
from credit.models import CreditEvent, CreditWarning, ListEntry, subject_key_for
from credit.recompute import recompute_subject
from credit.services import list_entries_propose
from instruments.models import Membership
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db
K = CreditEvent.Kind
URL = "/api/v1/bookings/"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # the per-recipient "sent" markers of the mails
    yield
    cache.clear()


@pytest.fixture
def provider():
    unit = UnitFactory()
    return {
        "unit": unit,
        "manager": MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "instrument": InstrumentFactory(unit=unit),
    }


@pytest.fixture
def user():
    """A member of another unit (not an internal booking)."""
    return MembershipFactory(role=Membership.Role.MEMBER).user


def _past_booking(provider, user, *, days_ago: int, hours: int = 4, check_in: bool = True):
    """A booking that started `days_ago` days ago at 10:00 local time, approved, and checked in at its start."""
    today = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days_ago)
    booking = services.booking_create(
        instrument=provider["instrument"],
        requester=user,
        start=start,
        end=start + timedelta(hours=hours),
        purpose="XRD",
        now=start - timedelta(days=3),
    )
    if booking.state == "requested":
        services.booking_approve(booking_id=booking.pk, actor=provider["manager"], now=start - timedelta(days=2))
    if check_in:
        services.booking_check_in(booking_id=booking.pk, actor=user, now=start)
    return booking


def _ledger(user, kind) -> list[CreditEvent]:
    return list(CreditEvent.objects.filter(subject_key=subject_key_for(user), kind=kind))


def _black_proposals(subject, *, as_of):
    list_entries_propose(as_of=as_of, subject_keys=[subject_key_for(subject)])
    return ListEntry.objects.filter(subject_key=subject_key_for(subject), list_type="black")


def _complete(api_client, provider, booking, **payload):
    api_client.force_authenticate(provider["manager"])
    return api_client.post(f"{URL}{booking.pk}/complete/", payload, format="json")


# --- (a) the provider states 1 of 4 used hours ----------------------------------------------------


def test_attack_provider_understates_hours_three_times_moves_nothing_before_the_window(
    api_client, provider, user, django_capture_on_commit_callbacks
):
    bookings = [_past_booking(provider, user, days_ago=3 + n) for n in range(3)]
    for booking in bookings:
        with django_capture_on_commit_callbacks(execute=True):
            response = _complete(api_client, provider, booking, actual_hours="1", reason="The user left after an hour")
        assert response.status_code == 200, response.content
        assert Decimal(response.json()["actual_hours"]) == Decimal("1.00")
    # Nothing in the ledger against the user, and so no proposal, however the rule counts.
    assert _ledger(user, K.USAGE_OVERRUN) == []
    now = timezone.now()
    assert not _black_proposals(user, as_of=now).exists()
    # Three pending facts, each with the provider's reason and the hours check-in to check-out measured.
    pending = ContestableFact.objects.filter(booking__requester=user).order_by("booking_id")
    assert [(f.kind, f.state, f.reason) for f in pending] == [
        ("usage_overrun", "pending", "The user left after an hour")
    ] * 3
    assert {(f.details["actual_hours"], f.details["booked_hours"], f.details["measured_hours"]) for f in pending} == {
        ("1.00", "4.00", "4.00")
    }
    # The user sees each one, with the reason, through the API, and is told by mail.
    api_client.force_authenticate(user)
    listed = api_client.get(f"{URL}{bookings[0].pk}/facts/").json()
    assert [(row["kind"], row["state"], row["reason"]) for row in listed] == [
        ("usage_overrun", "pending", "The user left after an hour")
    ]
    hours = ("actual_hours", "booked_hours", "measured_hours")
    assert tuple(listed[0][name] for name in hours) == ("1.00", "4.00", "4.00")
    assert len(mail.outbox) == 3
    assert {message.to[0] for message in mail.outbox} == {user.email}
    assert "The user left after an hour" in mail.outbox[0].body
    assert "contest" in mail.outbox[0].body


def test_attack_provider_understates_hours_contested_and_won_is_never_recorded(
    api_client, provider, user, platform_admin
):
    bookings = [_past_booking(provider, user, days_ago=3 + n) for n in range(3)]
    for booking in bookings:
        assert _complete(api_client, provider, booking, actual_hours="1", reason="Left early").status_code == 200
    api_client.force_authenticate(user)
    disputes = []
    for fact in ContestableFact.objects.filter(booking__requester=user):
        response = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", {"reason": "I used all 4 hours"}, format="json")
        assert response.status_code == 201, response.content
        disputes.append(response.json()["id"])
    api_client.force_authenticate(platform_admin)
    for dispute_id in disputes:
        response = api_client.post(
            f"/api/v1/disputes/{dispute_id}/decide/",
            {"decision": "dismissed", "reason": "The logs show four hours of use"},
            format="json",
        )
        assert response.status_code == 200, response.content
    # Long after the window, the sweep records nothing of them; no proposal; the user won three disputes.
    later = timezone.now() + timedelta(days=30)
    assert services.contestable_facts_record_due(now=later) == []
    assert _ledger(user, K.USAGE_OVERRUN) == []
    assert not _black_proposals(user, as_of=later).exists()
    assert len(_ledger(user, K.DISPUTE_WON)) == 3
    assert set(ContestableFact.objects.values_list("state", flat=True)) == {"dismissed"}


def test_overrun_uncontested_is_recorded_when_the_window_has_passed(api_client, provider, user):
    booking = _past_booking(provider, user, days_ago=3)
    assert _complete(api_client, provider, booking, actual_hours="1", reason="Left early").status_code == 200
    fact = ContestableFact.objects.get(booking=booking)
    assert fact.contestable_until == contestable_until(fact.occurred_at)
    assert services.contestable_facts_record_due(now=fact.contestable_until - timedelta(minutes=1)) == []
    assert _ledger(user, K.USAGE_OVERRUN) == []
    assert services.contestable_facts_record_due(now=fact.contestable_until) == [fact.pk]
    (overrun,) = _ledger(user, K.USAGE_OVERRUN)
    assert overrun.occurred_at == fact.occurred_at  # when it happened, not when the window closed
    assert overrun.details["actual_hours"] == "1.00"
    fact.refresh_from_db()
    assert (fact.state, fact.recorded_at) == ("recorded", fact.contestable_until)
    # Idempotent: a second sweep records nothing more.
    assert services.contestable_facts_record_due(now=fact.contestable_until + timedelta(days=1)) == []
    assert len(_ledger(user, K.USAGE_OVERRUN)) == 1


def test_contest_window_counts_working_days():
    friday = timezone.make_aware(timezone.datetime(2026, 11, 20, 15, 30))
    assert CONTEST_WINDOW_WORKING_DAYS == 5
    assert timezone.localtime(contestable_until(friday)).date() == timezone.datetime(2026, 11, 27).date()


def test_requester_states_own_hours_without_a_reason(api_client, provider, user):
    """The requester's own statement needs no reason; the overrun it makes is still contestable (pending)."""
    booking = _past_booking(provider, user, days_ago=3)
    api_client.force_authenticate(user)
    response = api_client.post(f"{URL}{booking.pk}/check-out/", {"actual_hours": "1"}, format="json")
    assert response.status_code == 200, response.content
    assert ContestableFact.objects.get(booking=booking).state == "pending"


def test_provider_hours_as_measured_need_no_reason(api_client, provider, user):
    booking = _past_booking(provider, user, days_ago=3)
    response = _complete(api_client, provider, booking, actual_hours="4")
    assert response.status_code == 200, response.content
    assert not ContestableFact.objects.exists()
    assert len(_ledger(user, K.BOOKING_FULFILLED)) == 1


# --- bad input: a correction without a reason, contests refused ----------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_hours_correction_without_a_reason_is_refused(api_client, provider, user, reason):
    booking = _past_booking(provider, user, days_ago=3)
    with nothing_changed():
        response = _complete(api_client, provider, booking, actual_hours="1", reason=reason)
    assert response.status_code == 400
    body = response.json()
    assert "say why the hours used were 1.00" in body["detail"]
    assert "4.00" in body["detail"]


def test_hours_correction_at_check_out_by_the_provider_needs_a_reason(api_client, provider, user):
    booking = _past_booking(provider, user, days_ago=3)
    api_client.force_authenticate(provider["manager"])
    with nothing_changed():
        response = api_client.post(f"{URL}{booking.pk}/check-out/", {"actual_hours": "0.5"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"


def _pending_fact(api_client, provider, user):
    booking = _past_booking(provider, user, days_ago=3)
    assert _complete(api_client, provider, booking, actual_hours="1", reason="Left early").status_code == 200
    return ContestableFact.objects.get(booking=booking)


def test_contesting_twice_is_refused(api_client, provider, user):
    fact = _pending_fact(api_client, provider, user)
    api_client.force_authenticate(user)
    url = f"/api/v1/facts/{fact.pk}/contest/"
    assert api_client.post(url, {"reason": "Wrong"}, format="json").status_code == 201
    with nothing_changed():
        response = api_client.post(url, {"reason": "Still wrong"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_contested"
    assert "cannot be contested again" in response.json()["detail"]


def test_contesting_after_the_window_is_refused(api_client, provider, user):
    fact = _pending_fact(api_client, provider, user)
    with nothing_changed(), pytest.raises(Exception, match="window to contest this fact closed") as refused:
        services.fact_contest(fact_id=fact.pk, actor=user, reason="Late", now=fact.contestable_until)
    assert refused.value.code == "contest_window_closed"
    # Over HTTP, once the window passed (the fact is still pending: the sweep has not run yet).
    ContestableFact.objects.filter(pk=fact.pk).update(
        occurred_at=fact.occurred_at - timedelta(days=30), contestable_until=timezone.now() - timedelta(minutes=1)
    )
    api_client.force_authenticate(user)
    with nothing_changed():
        response = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", {"reason": "Late"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "contest_window_closed"


def test_contesting_by_someone_not_a_party_is_refused(api_client, provider, user):
    fact = _pending_fact(api_client, provider, user)
    url = f"/api/v1/facts/{fact.pk}/contest/"
    # The provider is a party but not the one the fact is about.
    api_client.force_authenticate(provider["manager"])
    with nothing_changed():
        response = api_client.post(url, {"reason": "On their behalf"}, format="json")
    assert response.status_code == 403
    assert "Only the requester" in response.json()["detail"]
    # A stranger does not even see it.
    api_client.force_authenticate(MembershipFactory().user)
    with nothing_changed():
        response = api_client.post(url, {"reason": "Me too"}, format="json")
    assert response.status_code == 404


def test_contesting_without_a_reason_is_refused(api_client, provider, user):
    fact = _pending_fact(api_client, provider, user)
    api_client.force_authenticate(user)
    with nothing_changed():
        response = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", {"reason": " "}, format="json")
    assert response.status_code == 400


# --- no-shows ----------------------------------------------------------------------------------


def test_no_show_is_pending_then_contested_and_upheld(api_client, provider, user, platform_admin):
    booking = _past_booking(provider, user, days_ago=2, check_in=False)
    api_client.force_authenticate(provider["manager"])
    assert api_client.post(f"{URL}{booking.pk}/no-show/").status_code == 200
    assert _ledger(user, K.NO_SHOW) == []
    fact = ContestableFact.objects.get(booking=booking, kind="no_show")
    api_client.force_authenticate(user)
    response = api_client.post(f"/api/v1/facts/{fact.pk}/contest/", {"reason": "I was there"}, format="json")
    assert response.status_code == 201
    dispute = Dispute.objects.get(pk=response.json()["id"])
    assert (dispute.fact_id, dispute.incident_id) == (fact.pk, None)
    # A contested fact is not recorded by the sweep either, window or not.
    assert services.contestable_facts_record_due(now=timezone.now() + timedelta(days=30)) == []
    api_client.force_authenticate(platform_admin)
    response = api_client.post(
        f"/api/v1/disputes/{dispute.pk}/decide/", {"decision": "upheld", "reason": "Badge logs"}, format="json"
    )
    assert response.status_code == 200, response.content
    (no_show,) = _ledger(user, K.NO_SHOW)
    assert no_show.occurred_at == fact.occurred_at
    assert len(_ledger(user, K.DISPUTE_LOST)) == 1
    assert CreditEvent.objects.filter(subject_key=subject_key_for(provider["unit"]), kind=K.DISPUTE_WON).count() == 1


def test_no_show_sweep_is_pending_and_a_fact_has_no_severity(provider, user, platform_admin):
    booking = _past_booking(provider, user, days_ago=2, check_in=False)
    assert services.bookings_mark_no_shows(now=booking.start + timedelta(hours=1)) == [booking.pk]
    fact = ContestableFact.objects.get(booking=booking)
    assert fact.asserted_by is None
    dispute = services.fact_contest(
        fact_id=fact.pk, actor=user, reason="I was there", now=fact.occurred_at + timedelta(hours=1)
    )
    with nothing_changed(), pytest.raises(Exception, match="no severity"):
        services.dispute_decide(
            dispute_id=dispute.pk, actor=platform_admin, decision="upheld", reason="Logs", severity="minor"
        )
    services.dispute_decide(dispute_id=dispute.pk, actor=platform_admin, decision="dismissed", reason="Logs")
    # The sweep asserted it, not the provider: the provider loses no dispute over it.
    assert (
        not CreditEvent.objects.filter(subject_key=subject_key_for(provider["unit"]))
        .filter(kind=K.DISPUTE_LOST)
        .exists()
    )
    assert len(_ledger(user, K.DISPUTE_WON)) == 1
    assert _ledger(user, K.NO_SHOW) == []


def test_record_sweep_is_a_beat_task():
    task = PeriodicTask.objects.get(task="bookings.tasks.record_uncontested_facts")
    assert task.enabled


# --- the page ----------------------------------------------------------------------------------


def test_page_shows_the_pending_fact_with_the_reason_and_contests_it(client, api_client, provider, user):
    fact = _pending_fact(api_client, provider, user)
    client.force_login(user)
    page = client.get(f"/bookings/{fact.booking_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-testid="fact-{fact.pk}"' in html
    assert "Left early" in html
    assert f"/bookings/facts/{fact.pk}/contest/" in html
    # An empty reason: the form again, with the error, nothing changed.
    with nothing_changed():
        refused = client.post(f"/bookings/facts/{fact.pk}/contest/", {f"fact-{fact.pk}-reason": ""})
    assert refused.status_code == 400
    response = client.post(f"/bookings/facts/{fact.pk}/contest/", {f"fact-{fact.pk}-reason": "I was there"})
    assert response.status_code == 302
    fact.refresh_from_db()
    assert (fact.state, fact.contest_reason) == ("contested", "I was there")
    # The provider sees it but has no contest button.
    client.force_login(provider["manager"])
    html = client.get(f"/bookings/{fact.booking_id}/").content.decode()
    assert "I was there" in html
    assert f"/bookings/facts/{fact.pk}/contest/" not in html


def test_page_hours_correction_needs_a_reason(client, provider, user):
    booking = _past_booking(provider, user, days_ago=3)
    client.force_login(provider["manager"])
    assert 'name="reason"' in client.get(f"/bookings/{booking.pk}/").content.decode()
    with nothing_changed():
        refused = client.post(f"/bookings/{booking.pk}/complete/", {"actual_hours": "1"}, follow=True)
    assert "say why the hours used were 1.00" in refused.content.decode()
    response = client.post(f"/bookings/{booking.pk}/complete/", {"actual_hours": "1", "reason": "Left early"})
    assert response.status_code == 302
    assert ContestableFact.objects.get(booking=booking).reason == "Left early"
    # The requester sees the reason in the booking's history and with the pending fact.
    client.force_login(user)
    assert client.get(f"/bookings/{booking.pk}/").content.decode().count("Left early") == 2


def test_disputes_page_lists_a_contested_fact(client, api_client, provider, user, platform_admin):
    fact = _pending_fact(api_client, provider, user)
    dispute = services.fact_contest(fact_id=fact.pk, actor=user, reason="I used four hours")
    client.force_login(platform_admin)
    html = client.get("/bookings/disputes/").content.decode()
    assert f'id="dispute-{dispute.pk}"' in html
    assert "I used four hours" in html
    assert "Left early" in html
    response = client.post(
        f"/bookings/disputes/{dispute.pk}/decide/",
        {f"dispute-{dispute.pk}-decision": "dismissed", f"dispute-{dispute.pk}-reason": "Logs"},
    )
    assert response.status_code == 302
    fact.refresh_from_db()
    assert fact.state == "dismissed"


# --- (b) an incident upheld at another severity -------------------------------------------------


def _serious_damage_disputed(api_client, provider, user):
    booking = _past_booking(provider, user, days_ago=3)
    services.booking_check_out(booking_id=booking.pk, actor=user, now=booking.end)
    api_client.force_authenticate(provider["manager"])
    response = api_client.post(
        f"{URL}{booking.pk}/incidents/",
        {"kind": "damage", "severity": "serious", "description": "A scratch on the stage"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    api_client.force_authenticate(user)
    contested = api_client.post(
        f"/api/v1/incidents/{response.json()['id']}/contest/", {"reason": "A scratch is not serious"}, format="json"
    )
    assert contested.status_code == 201
    return contested.json()["id"]


def test_attack_serious_damage_upheld_at_minor_severity(api_client, provider, user, platform_admin):
    dispute_id = _serious_damage_disputed(api_client, provider, user)
    api_client.force_authenticate(platform_admin)
    response = api_client.post(
        f"/api/v1/disputes/{dispute_id}/decide/",
        {"decision": "upheld", "reason": "Cosmetic damage only", "severity": "minor"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["severity"] == "minor"
    (damage,) = _ledger(user, K.DAMAGE_CONFIRMED)
    assert (damage.severity, damage.details["reported_severity"]) == ("minor", "serious")
    assert not _black_proposals(user, as_of=timezone.now() + timedelta(minutes=1)).exists()
    assert recompute_subject(subject_key_for(user)).score > 549


def test_serious_damage_upheld_as_reported_still_caps_and_warns(api_client, provider, user, platform_admin):
    """The control: upheld without another severity, the reporter's "serious" stands: the 549 cap and a warning.
    An accident, even serious, proposes only with a further fault after the warning (issue 18.8)."""
    dispute_id = _serious_damage_disputed(api_client, provider, user)
    api_client.force_authenticate(platform_admin)
    response = api_client.post(
        f"/api/v1/disputes/{dispute_id}/decide/", {"decision": "upheld", "reason": "Broken stage"}, format="json"
    )
    assert response.status_code == 200
    assert _ledger(user, K.DAMAGE_CONFIRMED)[0].severity == "serious"
    assert recompute_subject(subject_key_for(user)).score <= 549
    assert not _black_proposals(user, as_of=timezone.now() + timedelta(minutes=1)).exists()
    warning = CreditWarning.objects.get(subject_key=subject_key_for(user))
    assert (warning.status, warning.reason.startswith("Confirmed serious damage")) == ("open", True)


def test_severity_with_a_dismissal_is_refused(api_client, provider, user, platform_admin):
    dispute_id = _serious_damage_disputed(api_client, provider, user)
    api_client.force_authenticate(platform_admin)
    with nothing_changed():
        response = api_client.post(
            f"/api/v1/disputes/{dispute_id}/decide/",
            {"decision": "dismissed", "reason": "No damage", "severity": "minor"},
            format="json",
        )
    assert response.status_code == 400
    assert "only when the report is upheld" in response.json()["detail"]


def test_admin_decides_severity_on_the_disputes_page(client, api_client, provider, user):
    dispute_id = _serious_damage_disputed(api_client, provider, user)
    admin = AdminUserFactory()
    client.force_login(admin)
    assert f'name="dispute-{dispute_id}-severity"' in client.get("/bookings/disputes/").content.decode()
    response = client.post(
        f"/bookings/disputes/{dispute_id}/decide/",
        {
            f"dispute-{dispute_id}-decision": "upheld",
            f"dispute-{dispute_id}-reason": "Cosmetic",
            f"dispute-{dispute_id}-severity": "general",
        },
    )
    assert response.status_code == 302
    assert _ledger(user, K.DAMAGE_CONFIRMED)[0].severity == "general"
