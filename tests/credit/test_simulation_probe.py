"""The simulator's "bad events until black-list candidate" probe evaluates the list rules when production does.

Production proposes at the nightly run, so a person warned at their second violation whose third violation falls
inside the warning's notice (WARNING_NOTICE_DAYS) is proposed the night the notice ends, at three bad events. Up to
2026.12-6 the probe evaluated the rules only at bad events and counted the fourth (issue 18.9, "careless users
reach the floor in a median of 3 bad events").
"""

from datetime import timedelta

import pytest

from bench.credit_sim import SIM_START, SimConfig
from bench.credit_sim.simulation import Simulation
from bench.credit_sim.world import BAD_USER_KINDS, Actor
from credit import params
from credit.models import CreditEvent
from credit.scoring.trust import trust_scores
from tests.factories import UserFactory

K = CreditEvent.Kind


def _probe(no_show_days: list[float], *, months: int = 6) -> dict:
    """events_until for a person with a kept booking every 4 days and no-shows on the given days (the rules'
    facts come from the log; the score comes from the ledger, empty here, so only the rules decide)."""
    sim = Simulation(SimConfig(seed=3, users=50, providers=10, months=months, recompute_days=30, real_share=0))
    sim.severities = {}
    user = UserFactory()
    actor = Actor(index=0, side="user", type="careless", initial_type="careless", pk=user.pk)
    log = [(SIM_START + timedelta(days=day), K.BOOKING_FULFILLED, 1, None, 1.0) for day in range(1, 90, 4)]
    log += [(SIM_START + timedelta(days=day), K.NO_SHOW, -1, None, 1.0) for day in no_show_days]
    actor.log = sorted(log, key=lambda entry: entry[0])
    trust = trust_scores(SIM_START)
    return sim.events_until(actor, BAD_USER_KINDS, lambda _day: trust)


@pytest.mark.django_db
def test_a_third_violation_inside_the_notice_is_proposed_when_the_notice_ends():
    # Warned at the second no-show (day 10); the third (day 15) falls inside the 14-day notice; the fourth comes
    # on day 60. The nightly run of day 24 proposes: 3 violations in 9 bookings, one after the warning.
    assert params.WARNING_NOTICE_DAYS == 14
    found = _probe([5, 10.5, 15.5, 60.5])
    assert found["candidate"] == 3, found


@pytest.mark.django_db
def test_a_third_violation_after_the_notice_is_proposed_at_once():
    found = _probe([5, 10.5, 30.5, 60.5])
    assert found["candidate"] == 3, found


@pytest.mark.django_db
def test_the_notice_ending_after_the_last_bad_event_still_proposes_within_the_run():
    found = _probe([5, 10.5, 15.5])
    assert found["candidate"] == 3, found


@pytest.mark.django_db
def test_no_proposal_without_a_violation_after_the_warning():
    # Two no-shows bring the warning; nothing follows it, so neither the notice's end nor the run proposes.
    found = _probe([5, 10.5])
    assert found["candidate"] is None, found
