"""Credit pages: public lists, my credit (chart, reasons, forms), the moderation queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from credit.models import Appeal, CreditEvent, ListEntry, RepairRequest
from credit.recompute import recompute_subject
from tests.credit.factories import ListEntryFactory, record
from tests.factories import UserFactory
from tests.unchanged import nothing_changed

K = CreditEvent.Kind


def _published(subject, **kwargs):
    now = timezone.now()
    defaults = {"status": "published", "published_at": now - timedelta(days=1), "expires_at": now + timedelta(days=90)}
    return ListEntryFactory(subject=subject, **{**defaults, **kwargs})


@pytest.mark.django_db
def test_page_lists_shows_published_black_entries_with_credit_code(client, unit, django_assert_max_num_queries):
    _published(unit, reason="Three violations in 12 months")
    ListEntryFactory(subject=UserFactory(), status="proposed", reason="secret proposal")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("credit:lists"))
    body = response.content.decode()
    assert response.status_code == 200
    assert unit.credit_code in body
    assert "Three violations in 12 months" in body
    assert "secret proposal" not in body
    assert "How to object" in body
    assert client.get(reverse("credit:lists") + "?list=red").status_code == 200


@pytest.mark.django_db
def test_page_mine_shows_score_reasons_chart_and_entries(client, user):
    record(user, K.NO_SHOW, days_ago=2)
    record(user, K.NO_SHOW, days_ago=9)
    recompute_subject(f"user:{user.pk}", as_of=timezone.now() - timedelta(minutes=1))
    record(user, K.BOOKING_FULFILLED, days_ago=0)
    snapshot = recompute_subject(f"user:{user.pk}")
    entry = _published(user)
    assert client.get(reverse("credit:mine")).status_code == 302  # login required
    client.force_login(user)
    body = client.get(reverse("credit:mine")).content.decode()
    assert f'href="{reverse("credit:mine")}">My credit<' in body  # linked from the navigation
    assert f'id="credit-score">{snapshot.score}<' in body
    assert "2 no-shows in the last 90 days" in body
    assert '<svg id="credit-history"' in body
    assert body.count("<circle") == 2
    assert f'id="entry-{entry.pk}"' in body
    assert reverse("credit:appeal-create", args=[entry.pk]) in body


@pytest.mark.django_db
def test_page_mine_unit_view_for_unit_admins_only(client, unit, unit_admin, unit_manager):
    recompute_subject(f"unit:{unit.pk}")
    client.force_login(unit_manager)
    response = client.get(reverse("credit:mine") + f"?unit={unit.pk}")
    assert response.status_code == 302
    client.force_login(unit_admin)
    response = client.get(reverse("credit:mine") + f"?unit={unit.pk}")
    assert response.status_code == 200
    assert unit.display_name in response.content.decode()


@pytest.mark.django_db
def test_page_appeal_and_repair_forms(client, user):
    entry = _published(
        user, published_at=timezone.now() - timedelta(days=100), expires_at=timezone.now() + timedelta(days=80)
    )
    stranger = UserFactory()
    client.force_login(stranger)
    with nothing_changed():
        refused = client.post(reverse("credit:appeal-create", args=[entry.pk]), {"reason": "not mine"})
    assert refused.status_code == 403
    assert not Appeal.objects.exists()
    client.force_login(user)
    response = client.post(reverse("credit:appeal-create", args=[entry.pk]), {"reason": "Provider closed"})
    assert response.status_code == 302
    assert Appeal.objects.get().entry == entry
    with nothing_changed():  # no commitment signed: back to "my credit" with the question asked
        refused = client.post(reverse("credit:repair-create", args=[entry.pk]), {"proof_text": "Paid"}, follow=True)
    assert refused.redirect_chain == [(reverse("credit:mine"), 302)]
    assert "sign the credit commitment" in refused.content.decode()
    assert not RepairRequest.objects.exists()
    client.post(reverse("credit:repair-create", args=[entry.pk]), {"proof_text": "Paid", "commitment_signed": "on"})
    assert RepairRequest.objects.get().commitment_signed


@pytest.mark.django_db
def test_page_moderation_staff_only_and_decisions(client, user, platform_admin):
    proposal = ListEntryFactory(subject=UserFactory(), status="proposed", reason="three no-shows")
    client.force_login(user)
    assert client.get(reverse("moderation")).status_code == 302
    with nothing_changed():  # a plain user is sent to the admin sign-in; the proposal stays proposed
        refused = client.post(reverse("credit:entry-confirm", args=[proposal.pk]), {"reason": "ok"})
    assert refused.status_code == 302
    assert refused["Location"].startswith("/admin/login/")
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    client.force_login(platform_admin)
    body = client.get(reverse("moderation")).content.decode()
    assert "three no-shows" in body
    with nothing_changed():  # no reason: not published, no ledger event
        refused = client.post(reverse("credit:entry-confirm", args=[proposal.pk]), {"reason": ""}, follow=True)
    assert refused.redirect_chain == [(reverse("moderation"), 302)]
    assert "A reason is required." in refused.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    client.post(reverse("credit:entry-confirm", args=[proposal.pk]), {"reason": "Evidence checked"})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason, proposal.moderator) == (
        "published",
        "Evidence checked",
        platform_admin,
    )
    other = ListEntryFactory(subject=UserFactory(), status="proposed")
    client.post(reverse("credit:entry-reject", args=[other.pk]), {"reason": "Insufficient evidence"})
    assert ListEntry.objects.get(pk=other.pk).status == "rejected"
    appeal = Appeal.objects.create(
        entry=proposal, submitted_by=proposal.subject_user, reason="x", due_on=timezone.localdate()
    )
    client.post(reverse("credit:appeal-decide", args=[appeal.pk]), {"decision": "yes", "reason": "Upheld"})
    proposal.refresh_from_db()
    assert proposal.status == "revoked"
