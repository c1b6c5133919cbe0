# ruff: noqa: RUF001 - the Chinese text uses full-width punctuation on purpose
"""A thin file is not "good" (issue 18.4): a deposit waiver, automatic approval and a full review weight need a
minimum history of kept bookings with distinct providers, whatever the tier; the credit page and the API say
what is still missing. Through HTTP, with real scores from ledger facts and the real recompute."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from bookings import services
from credit import params
from credit.models import CreditEvent, subject_key_for
from credit.recompute import recompute_subject
from tests.credit.factories import record
from tests.factories import MembershipFactory, UnitFactory

from .factories import local_slot, policy_set

URL = "/api/v1/bookings/"
K = CreditEvent.Kind

pytestmark = pytest.mark.django_db


def _history(user, providers, *, extra_positive: int = 0) -> str:
    """One kept booking (fulfilled, punctual, paid) per provider in `providers`, and `extra_positive` punctual
    and paid facts without a kept booking; recomputes and returns the tier."""
    for n, provider in enumerate(providers):
        for kind in (K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.PAYMENT_ON_TIME):
            record(user, kind, days_ago=n + 1, source_ref=f"history:{n}", counterparty=provider)
    for n in range(extra_positive):
        for kind in (K.PUNCTUAL_CHECK_IN, K.PAYMENT_ON_TIME):
            record(user, kind, days_ago=n + 1, source_ref=f"extra:{n}", counterparty=providers[0])
    return recompute_subject(subject_key_for(user)).tier


def _post(api_client, user, instrument, days=2):
    start, end = local_slot(days=days, hour=10, hours=2)
    api_client.force_authenticate(user)
    body = {"instrument": instrument.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "XRD"}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["deposit_state"], response.json()["state"]


def test_thin_file_good_tier_with_one_kept_booking_pays_the_deposit(api_client, instrument):
    """The attack: a fresh account (a member of a verified unit) with one kept booking reaches "good" (since model
    2026.12-6, where the record weighs more, "excellent"): a tier that waives the deposit, on its own."""
    policy_set(instrument, allow_credit_auto_approval=True)
    user = MembershipFactory().user
    assert _history(user, [UnitFactory()], extra_positive=3) in params.DEPOSIT_WAIVED_TIERS
    assert _post(api_client, user, instrument) == ("required", "requested")


def test_thin_file_excellent_tier_with_one_provider_is_not_auto_approved(api_client, instrument):
    policy_set(instrument, allow_credit_auto_approval=True)
    user, provider = MembershipFactory().user, UnitFactory()
    assert _history(user, [provider] * 20) == "excellent"
    assert _post(api_client, user, instrument) == ("required", "requested")
    # One kept booking with a second provider completes the history: waived and approved at once.
    record(user, K.BOOKING_FULFILLED, days_ago=1, source_ref="history:second", counterparty=UnitFactory())
    recompute_subject(subject_key_for(user))
    assert _post(api_client, user, instrument, days=3) == ("waived", "approved")


def test_thin_file_three_kept_bookings_with_two_providers_waive_the_deposit(api_client, instrument):
    user, first, second = MembershipFactory().user, UnitFactory(), UnitFactory()
    assert _history(user, [first, first]) in params.DEPOSIT_WAIVED_TIERS  # the tier alone would waive it
    assert _post(api_client, user, instrument)[0] == "required"
    assert _history(user, [first, first, second]) in params.DEPOSIT_WAIVED_TIERS
    # Waived now; approved at once too if the tier is excellent (2026.12-6) and the instrument allows it.
    assert _post(api_client, user, instrument, days=3)[0] == "waived"


def test_thin_file_credit_page_and_api_say_what_is_missing(client, api_client):
    user = MembershipFactory().user
    assert _history(user, [UnitFactory()], extra_positive=3) in params.DEPOSIT_WAIVED_TIERS
    client.force_login(user)
    body = client.get(reverse("credit:mine")).content.decode()
    assert "Standard deposits apply." in body
    assert "Still missing: 2 more kept bookings, with at least 1 more provider." in body
    chinese = client.get(reverse("credit:mine"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "尚缺：再履约 2 次预约，其中至少涉及 1 家新的服务单位。" in chinese
    api_client.force_authenticate(user)
    standing = api_client.get(f"/api/v1/credit/users/{user.pk}/").json()["private"]["standing"]
    assert standing == {
        "blacklisted": False,
        "deposit_waived": False,
        "auto_approval_eligible": False,
        "history": {
            "kept_bookings": 1,
            "distinct_providers": 1,
            "required_kept_bookings": params.MIN_KEPT_BOOKINGS,
            "required_providers": params.MIN_DISTINCT_PROVIDERS,
            "missing_kept_bookings": 2,
            "missing_providers": 1,
            "sufficient": False,
            "missing": "2 more kept bookings, with at least 1 more provider",
        },
    }


def test_thin_file_established_user_sees_nothing_missing(client, api_client):
    user = MembershipFactory().user
    assert _history(user, [UnitFactory(), UnitFactory(), UnitFactory()]) in params.DEPOSIT_WAIVED_TIERS
    client.force_login(user)
    body = client.get(reverse("credit:mine")).content.decode()
    assert "Deposits are waived." in body
    assert "Still missing" not in body
    api_client.force_authenticate(user)
    standing = api_client.get(f"/api/v1/credit/users/{user.pk}/").json()["private"]["standing"]
    assert (standing["deposit_waived"], standing["history"]["sufficient"], standing["history"]["missing"]) == (
        True,
        True,
        "",
    )


def _complete(booking, *, manager, user):
    if booking.state == "requested":  # an established excellent requester is approved at once
        services.booking_approve(booking_id=booking.pk, actor=manager)
    services.booking_check_in(booking_id=booking.pk, actor=user, now=booking.start)
    return services.booking_check_out(booking_id=booking.pk, actor=user, now=booking.start + timedelta(hours=2))


def _review_weight_given(api_client, booking, user) -> Decimal:
    api_client.force_authenticate(user)
    response = api_client.post(f"/api/v1/bookings/{booking.pk}/reviews/", {"stars": 5}, format="json")
    assert response.status_code == 201, response.json()
    received = CreditEvent.objects.get(kind=K.REVIEW_RECEIVED, source_ref=f"review:{response.json()['id']}")
    return received.weight


def test_thin_file_reviewer_weighs_less(api_client, make_booking, instrument, unit_manager, researcher):
    # Excellent, but every kept booking with one provider: a thin file.
    assert _history(researcher, [instrument.unit] * 20) == "excellent"
    first = _complete(make_booking(days=2), manager=unit_manager, user=researcher)
    score = recompute_subject(subject_key_for(researcher)).score
    thin = _review_weight_given(api_client, first, researcher)
    assert thin == Decimal(str(params.review_weight(score, thin_file=True)))
    # A kept booking with a second provider: the same reviewer now weighs in full.
    record(researcher, K.BOOKING_FULFILLED, days_ago=1, source_ref="history:second", counterparty=UnitFactory())
    second = _complete(make_booking(days=3), manager=unit_manager, user=researcher)
    score = recompute_subject(subject_key_for(researcher)).score
    full = _review_weight_given(api_client, second, researcher)
    assert full == Decimal(str(params.review_weight(score)))
    assert thin < full
