"""The trust vector's fingerprint on PostgreSQL (issue 14.4): one row that triggers renew whenever the endorsement
graph or the verified units change, never reused after a rollback, untouched by the recompute's own writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from credit.models import Endorsement
from credit.recompute import recompute_subject
from credit.scoring import trust
from instruments.models import Unit
from tests.credit.factories import EndorsementFactory
from tests.factories import UnitFactory

pytestmark = pytest.mark.postgres  # the generation is kept by PostgreSQL (deselected on SQLite runs)


@pytest.mark.django_db
def test_every_change_of_the_graph_or_of_the_seeds_renews_the_fingerprint():
    endorser, endorsed = UnitFactory(status="verified"), UnitFactory()
    seen = [trust._fingerprint()]
    endorsement = EndorsementFactory(endorser=endorser, endorsed=endorsed)
    seen.append(trust._fingerprint())
    Endorsement.objects.filter(pk=endorsement.pk).update(revoked_at=timezone.now() - timedelta(minutes=1))
    seen.append(trust._fingerprint())
    endorsed.status = Unit.Status.SUSPENDED
    endorsed.save()
    seen.append(trust._fingerprint())
    UnitFactory()
    seen.append(trust._fingerprint())
    assert None not in seen
    assert len(set(seen)) == len(seen)
    # The recompute's own write of the units' cached score columns is not a change of the graph.
    recompute_subject(f"unit:{endorser.pk}")
    assert trust._fingerprint() == seen[-1]


@pytest.mark.django_db
def test_a_rolled_back_change_never_lends_its_fingerprint_to_a_later_one():
    a, b, c = UnitFactory(status="verified"), UnitFactory(), UnitFactory()
    before = trust._fingerprint()
    with transaction.atomic():
        EndorsementFactory(endorser=a, endorsed=b)
        rolled_back = trust._fingerprint()
        transaction.set_rollback(True)
    assert trust._fingerprint() == before
    EndorsementFactory(endorser=a, endorsed=c)
    assert trust._fingerprint() not in {before, rolled_back}


@pytest.mark.django_db
def test_an_endorsement_starting_later_turns_the_cache_off():
    EndorsementFactory(created_at=timezone.now() + timedelta(days=1))
    assert trust._fingerprint() is None
