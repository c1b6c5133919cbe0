"""A person verified by their institution counts in the identity dimension of credit (credit reads
identity.selectors); the first verification queues their recompute."""

from __future__ import annotations

import pytest

from credit.recompute import recompute_subject
from credit.scoring.reasons import reasons_with_text
from identity.models import IdentityProvider
from identity.protocols import ExternalProfile
from identity.selectors import users_verified_by_institution
from identity.services import external_sign_in
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def provider(**fields) -> IdentityProvider:
    values = {
        "unit": UnitFactory(),
        "display_name": "CAS",
        "protocol": "cas",
        "server_url": "https://cas.example.edu.cn/cas/",
        "auto_membership": False,  # so the membership of a verified unit does not count instead
    }
    return IdentityProvider.objects.create(**(values | fields))


def test_credit_identity_counts_a_person_verified_by_their_institution(django_capture_on_commit_callbacks):
    source = provider()
    stranger = UserFactory(email="")  # neither has an e-mail on the account: only verification differs
    with django_capture_on_commit_callbacks(execute=True):
        outcome = external_sign_in(provider=source, profile=ExternalProfile(external_id="li.si", email="l@x.edu.cn"))
    verified = outcome.user
    assert users_verified_by_institution([verified.pk, stranger.pk]) == {verified.pk: source.pk}

    # The signal after commit queued the recompute (tasks run in-process here): a snapshot exists already.
    from credit.models import CreditScore

    assert CreditScore.objects.filter(subject_key=f"user:{verified.pk}").exists()
    verified_score = recompute_subject(f"user:{verified.pk}")
    stranger_score = recompute_subject(f"user:{stranger.pk}")
    assert verified_score.identity > stranger_score.identity
    texts = [reason["text"] for reason in reasons_with_text(verified_score.reasons)]
    assert "Verified by their institution's sign-on" in texts

    # A provider that is disabled vouches for nobody any more.
    IdentityProvider.objects.filter(pk=source.pk).update(enabled=False)
    assert users_verified_by_institution([verified.pk]) == {}
    assert recompute_subject(f"user:{verified.pk}").identity == stranger_score.identity


def test_credit_identity_selector_takes_one_query(django_assert_num_queries):
    source = provider()
    users = [external_sign_in(provider=source, profile=ExternalProfile(external_id=f"p{i}")).user for i in range(5)]
    with django_assert_num_queries(1):
        assert len(users_verified_by_institution([user.pk for user in users])) == 5
