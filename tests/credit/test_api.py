"""Credit API: moderation (admins only), public lists, objections and repair, subject credit views."""

from datetime import timedelta

import pytest
from django.utils import timezone

from credit.models import Appeal, CreditEvent, ListEntry, RepairRequest
from credit.recompute import recompute_subject
from tests.credit.factories import ListEntryFactory, record
from tests.factories import MembershipFactory, UserFactory
from tests.unchanged import nothing_changed

K = CreditEvent.Kind


def _published(subject, **kwargs):
    now = timezone.now()
    defaults = {"status": "published", "published_at": now - timedelta(days=1), "expires_at": now + timedelta(days=90)}
    return ListEntryFactory(subject=subject, **{**defaults, **kwargs})


def _entry_state(entry):
    entry.refresh_from_db()
    return (entry.status, entry.published_at, entry.expires_at, entry.moderator_id, entry.decision_reason)


# --- moderation -----------------------------------------------------------------------------


@pytest.fixture
def actors(user, unit_admin, unit_manager, other_unit_manager, platform_admin):
    return {
        "anonymous": (None, 401),
        "plain user": (user, 403),
        "other unit's manager": (other_unit_manager, 403),
        "unit manager": (unit_manager, 403),
        "unit admin": (unit_admin, 403),
        "platform admin": (platform_admin, 200),
    }


@pytest.mark.django_db
def test_api_entry_confirm_permission_matrix(api_client, actors, unit):
    entry = ListEntryFactory(subject=unit, status="proposed")
    for label, (actor, expected) in actors.items():
        api_client.force_authenticate(actor)
        before = _entry_state(entry)
        response = api_client.post(
            f"/api/v1/credit/entries/{entry.pk}/confirm/", {"reason": "confirmed"}, format="json"
        )
        assert response.status_code == expected, (label, response.content)
        if expected != 200:
            assert _entry_state(entry) == before, label
    entry.refresh_from_db()
    assert entry.status == "published"
    assert entry.expires_at - entry.published_at == timedelta(days=182)  # general: the default period


@pytest.mark.django_db
def test_api_entry_reject_permission_matrix(api_client, actors, unit):
    entry = ListEntryFactory(subject=unit, status="proposed")
    for label, (actor, expected) in actors.items():
        api_client.force_authenticate(actor)
        before = _entry_state(entry)
        response = api_client.post(f"/api/v1/credit/entries/{entry.pk}/reject/", {"reason": "no"}, format="json")
        assert response.status_code == expected, label
        if expected != 200:
            assert _entry_state(entry) == before
    assert _entry_state(entry)[0] == "rejected"


@pytest.mark.django_db
def test_api_entry_confirm_requires_reason_and_expiry_within_bounds(api_client, platform_admin):
    entry = ListEntryFactory(status="proposed", severity="serious")
    api_client.force_authenticate(platform_admin)
    url = f"/api/v1/credit/entries/{entry.pk}/confirm/"
    before = _entry_state(entry)
    assert api_client.post(url, {"reason": ""}, format="json").status_code == 400
    too_short = (timezone.now() + timedelta(days=100)).isoformat()
    response = api_client.post(url, {"reason": "ok", "expires_at": too_short}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "expires_at"
    too_long = (timezone.now() + timedelta(days=4 * 365)).isoformat()
    assert api_client.post(url, {"reason": "ok", "expires_at": too_long}, format="json").status_code == 400
    assert _entry_state(entry) == before
    fine = timezone.now() + timedelta(days=500)
    response = api_client.post(url, {"reason": "ok", "expires_at": fine.isoformat()}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    # Confirmed once: a second decision is a conflict and changes nothing.
    before = _entry_state(entry)
    assert api_client.post(url, {"reason": "again"}, format="json").status_code == 409
    assert (
        api_client.post(f"/api/v1/credit/entries/{entry.pk}/reject/", {"reason": "x"}, format="json").status_code == 409
    )
    assert _entry_state(entry) == before


@pytest.mark.django_db
def test_api_entry_confirm_minor_severity_at_most_three_months(api_client, platform_admin):
    entry = ListEntryFactory(status="proposed", severity="general")
    api_client.force_authenticate(platform_admin)
    url = f"/api/v1/credit/entries/{entry.pk}/confirm/"
    with nothing_changed():  # still proposed, its severity untouched, no ledger event
        response = api_client.post(
            url,
            {"reason": "ok", "severity": "minor", "expires_at": (timezone.now() + timedelta(days=120)).isoformat()},
            format="json",
        )
    assert response.status_code == 400
    assert _entry_state(entry)[0] == "proposed"
    response = api_client.post(url, {"reason": "ok", "severity": "minor"}, format="json")
    assert response.status_code == 200
    assert response.json()["severity"] == "minor"


@pytest.mark.django_db
def test_api_entry_list_by_status_admin_only_fixed_queries(api_client, platform_admin, user, django_assert_num_queries):
    proposed = {ListEntryFactory(status="proposed").pk for _ in range(3)}
    ListEntryFactory(status="rejected")
    assert api_client.get("/api/v1/credit/entries/?status=proposed").status_code == 401
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/credit/entries/?status=proposed").status_code == 403
    api_client.force_authenticate(platform_admin)
    with django_assert_num_queries(1):
        response = api_client.get("/api/v1/credit/entries/?status=proposed")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == proposed
    proposed |= {ListEntryFactory(status="proposed").pk for _ in range(5)}
    with django_assert_num_queries(1):
        response = api_client.get("/api/v1/credit/entries/?status=proposed")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == proposed
    assert len(proposed) == 8
    assert api_client.get("/api/v1/credit/entries/?status=nonsense").status_code == 400


# --- public lists ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_public_lists_show_published_only(api_client, unit, django_assert_num_queries):
    now = timezone.now()
    shown = _published(
        unit, reason="3 violations", evidence=[{"event": 1, "kind": "no_show", "occurred_at": now.isoformat()}]
    )
    ListEntryFactory(subject=UserFactory(), status="proposed")
    ListEntryFactory(subject=UserFactory(), status="rejected")
    _published(UserFactory(), published_at=now - timedelta(days=100), expires_at=now - timedelta(days=1))
    _published(UserFactory(), list_type="red", rule="top_tier", severity="")
    with django_assert_num_queries(1):
        response = api_client.get("/api/v1/credit/lists/black/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == shown.pk
    assert row["subject"]["credit_code"] == unit.credit_code
    assert row["subject"]["name"] == unit.display_name
    for field in (
        "reason",
        "rule",
        "rule_label",
        "evidence_summary",
        "listing_authority",
        "published_at",
        "expires_at",
        "how_to_object",
    ):
        assert row[field], field
    assert "No-show" in row["evidence_summary"]
    assert "status" not in row
    assert "evidence" not in row
    for _ in range(4):
        _published(UserFactory())
    with django_assert_num_queries(1):
        assert len(api_client.get("/api/v1/credit/lists/black/").json()["results"]) == 5
    red = api_client.get("/api/v1/credit/lists/red/").json()["results"]
    assert [r["list"] for r in red] == ["red"]


# --- objections -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_appeal_by_subject_only_and_decision_revokes(api_client, user, platform_admin):
    entry = _published(user)
    stranger = UserFactory()
    api_client.force_authenticate(stranger)
    url = f"/api/v1/credit/entries/{entry.pk}/appeals/"
    assert api_client.post(url, {"reason": "not me"}, format="json").status_code == 403
    assert not Appeal.objects.exists()
    api_client.force_authenticate(user)
    with nothing_changed():
        assert api_client.post(url, {"reason": ""}, format="json").status_code == 400
    response = api_client.post(url, {"reason": "The no-show was the provider's closure."}, format="json")
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.due_on > timezone.localdate()
    assert appeal.due_on.weekday() < 5
    decide = f"/api/v1/credit/appeals/{appeal.pk}/decide/"
    with nothing_changed():  # one open objection per entry; the subject cannot decide their own
        assert api_client.post(url, {"reason": "again"}, format="json").status_code == 409
        assert api_client.post(decide, {"upheld": True, "reason": "mine"}, format="json").status_code == 403
    api_client.force_authenticate(platform_admin)
    assert api_client.get("/api/v1/credit/appeals/").json()["results"][0]["id"] == appeal.pk
    with nothing_changed():  # the entry stays published, the appeal open, no decision on the ledger
        assert api_client.post(decide, {"upheld": True, "reason": ""}, format="json").status_code == 400
    response = api_client.post(decide, {"upheld": True, "reason": "Provider closure confirmed."}, format="json")
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == "revoked"
    event = CreditEvent.objects.get(kind=K.APPEAL_UPHELD)
    assert (event.subject_key, event.source_ref, event.polarity) == (f"user:{user.pk}", f"appeal:{appeal.pk}", 1)
    assert api_client.get("/api/v1/credit/lists/black/").json()["results"] == []


@pytest.mark.django_db
def test_api_appeal_dismissed_keeps_entry_and_records_decision(api_client, user, platform_admin):
    entry = _published(user)
    appeal = Appeal.objects.create(entry=entry, submitted_by=user, reason="x", due_on=timezone.localdate())
    api_client.force_authenticate(platform_admin)
    response = api_client.post(
        f"/api/v1/credit/appeals/{appeal.pk}/decide/", {"upheld": False, "reason": "Evidence holds."}, format="json"
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == "published"
    assert CreditEvent.objects.get(kind=K.ADMIN_DECISION).details["outcome"] == "dismissed"


@pytest.mark.django_db
def test_api_appeal_unit_entry_by_unit_admin_not_manager(api_client, unit, unit_admin, unit_manager):
    entry = _published(unit)
    url = f"/api/v1/credit/entries/{entry.pk}/appeals/"
    api_client.force_authenticate(unit_manager)
    with nothing_changed():
        assert api_client.post(url, {"reason": "x"}, format="json").status_code == 403
    api_client.force_authenticate(unit_admin)
    assert api_client.post(url, {"reason": "x"}, format="json").status_code == 201


# --- repair ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_repair_only_after_minimum_period_with_commitment(api_client, user, platform_admin):
    now = timezone.now()
    early = _published(
        user, severity="general", published_at=now - timedelta(days=10), expires_at=now + timedelta(days=170)
    )
    api_client.force_authenticate(user)
    body = {"proof_text": "Damage paid on 3 March.", "commitment_signed": True}
    response = api_client.post(f"/api/v1/credit/entries/{early.pk}/repairs/", body, format="multipart")
    assert response.status_code == 409
    assert not RepairRequest.objects.exists()
    ready = _published(
        UserFactory(), severity="general", published_at=now - timedelta(days=100), expires_at=now + timedelta(days=80)
    )
    api_client.force_authenticate(ready.subject_user)
    url = f"/api/v1/credit/entries/{ready.pk}/repairs/"
    assert api_client.post(url, {**body, "commitment_signed": False}, format="multipart").status_code == 400
    assert not RepairRequest.objects.exists()
    response = api_client.post(url, body, format="multipart")
    assert response.status_code == 201, response.content
    repair = RepairRequest.objects.get()
    api_client.force_authenticate(platform_admin)
    assert api_client.get("/api/v1/credit/repairs/").json()["results"][0]["id"] == repair.pk
    before = recompute_subject(ready.subject_key).score
    response = api_client.post(
        f"/api/v1/credit/repairs/{repair.pk}/decide/", {"granted": True, "reason": "Proof checked."}, format="json"
    )
    assert response.status_code == 200
    ready.refresh_from_db()
    assert ready.status == "repaired"
    assert CreditEvent.objects.filter(kind=K.REPAIR_GRANTED, source_ref=f"repair:{repair.pk}").exists()
    assert recompute_subject(ready.subject_key).score >= before


@pytest.mark.django_db
def test_api_repair_decide_admin_only(api_client, user):
    now = timezone.now()
    entry = _published(user, published_at=now - timedelta(days=100), expires_at=now + timedelta(days=80))
    repair = RepairRequest.objects.create(entry=entry, submitted_by=user, proof_text="x", commitment_signed=True)
    api_client.force_authenticate(user)
    with nothing_changed():  # nor a repair event on the ledger
        response = api_client.post(
            f"/api/v1/credit/repairs/{repair.pk}/decide/", {"granted": True, "reason": "me"}, format="json"
        )
    assert response.status_code == 403
    repair.refresh_from_db()
    entry.refresh_from_db()
    assert (repair.status, entry.status) == ("pending", "published")


# --- subject credit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_user_credit_public_and_private_parts(api_client, user, platform_admin):
    record(user, K.NO_SHOW, days_ago=3)
    record(user, K.NO_SHOW, days_ago=10)
    recompute_subject(f"user:{user.pk}")
    ListEntryFactory(subject=user, status="proposed")
    url = f"/api/v1/credit/users/{user.pk}/"
    # Nothing published: a person's credit is not public at all (404, as for an unknown id).
    assert api_client.get(url).status_code == 404
    api_client.force_authenticate(UserFactory())
    assert api_client.get(url).status_code == 404
    # Once an entry is published, the public sees that entry, but not the score or tier.
    published = _published(user, list_type="red")
    for viewer in (None, UserFactory()):
        api_client.force_authenticate(viewer)
        public = api_client.get(url).json()
        assert (public["visibility"], public["score"], public["tier"]) == ("public", None, "")
        assert [row["id"] for row in public["published_entries"]] == [published.pk]
        assert "private" not in public
    for viewer in (user, platform_admin):
        api_client.force_authenticate(viewer)
        body = api_client.get(url).json()
        assert body["visibility"] == "full"
        assert body["score"] is not None
        assert body["tier"]
        private = body["private"]
        assert private["snapshot"]["reasons"][0]["text"] == "2 no-shows in the last 90 days"
        assert set(private["snapshot"]) >= {"record", "fulfilment", "external", "identity", "relationships"}
        assert len(private["history"]) == 1
        assert sorted(e["status"] for e in private["entries"]) == ["proposed", "published"]


@pytest.mark.django_db
def test_api_unit_credit_private_for_unit_admins_only(api_client, unit, unit_admin, unit_member):
    recompute_subject(f"unit:{unit.pk}")
    _published(unit)
    url = f"/api/v1/credit/units/{unit.pk}/"
    api_client.force_authenticate(unit_member)
    body = api_client.get(url).json()
    assert "private" not in body
    assert len(body["published_entries"]) == 1
    assert body["subject"]["credit_code"] == unit.credit_code
    api_client.force_authenticate(unit_admin)
    assert "private" in api_client.get(url).json()
    assert api_client.get("/api/v1/credit/units/999999/").status_code == 404


@pytest.mark.django_db
def test_api_endorsement_by_endorser_admin_only(api_client, unit, unit_admin, unit_manager, other_unit):
    body = {"endorser": unit.pk, "endorsed": other_unit.pk}
    api_client.force_authenticate(unit_manager)
    with nothing_changed():
        assert api_client.post("/api/v1/credit/endorsements/", body, format="json").status_code == 403
    api_client.force_authenticate(unit_admin)
    assert api_client.post("/api/v1/credit/endorsements/", body, format="json").status_code == 201
    event = CreditEvent.objects.get(kind=K.ENDORSEMENT_RECEIVED)
    assert (event.subject_key, event.counterparty_key) == (f"unit:{other_unit.pk}", f"unit:{unit.pk}")
    with nothing_changed():  # one endorsement, one ledger event
        assert api_client.post("/api/v1/credit/endorsements/", body, format="json").status_code == 409
    MembershipFactory(user=unit_admin, unit=other_unit, role="admin")
    self_body = {"endorser": unit.pk, "endorsed": unit.pk}
    with nothing_changed():
        assert api_client.post("/api/v1/credit/endorsements/", self_body, format="json").status_code == 400


@pytest.mark.django_db
def test_api_proposed_entries_are_not_visible_to_strangers(api_client, user):
    entry = ListEntryFactory(subject=user, status="proposed")
    api_client.force_authenticate(UserFactory())
    with nothing_changed():
        response = api_client.post(f"/api/v1/credit/entries/{entry.pk}/appeals/", {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert ListEntry.objects.get(pk=entry.pk).appeals.count() == 0


@pytest.mark.django_db
def test_api_user_credit_fixed_query_count(api_client, user, django_assert_max_num_queries):
    for d in range(1, 4):
        record(user, K.BOOKING_FULFILLED, days_ago=d)
        recompute_subject(f"user:{user.pk}", as_of=timezone.now() - timedelta(minutes=10 - d))
    _published(user)
    api_client.force_authenticate(user)
    with django_assert_max_num_queries(9) as few:  # 9: the warnings (issue 18.8), one query whatever their number
        first = api_client.get(f"/api/v1/credit/users/{user.pk}/")
    assert first.status_code == 200
    assert first.json()["private"]["history"]
    _published(user, list_type="red")
    for d in range(4, 10):
        record(user, K.BOOKING_FULFILLED, days_ago=d)
        recompute_subject(f"user:{user.pk}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.get(f"/api/v1/credit/users/{user.pk}/")
    assert response.status_code == 200
    assert len(response.json()["private"]["history"]) > 3
