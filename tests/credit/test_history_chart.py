"""The score history chart on "my credit": several snapshots, a value axis, dated time axis, readable labels."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from credit.models import CreditEvent, CreditScore
from credit.recompute import recompute_subject
from tests.credit.factories import record
from tests.factories import UserFactory

K = CreditEvent.Kind
pytestmark = pytest.mark.django_db


def chart_of(body: str) -> str:
    match = re.search(r'<svg id="credit-history".*?</svg>', body, re.S)
    assert match, "no history chart on the page"
    return match.group(0)


def test_chart_shows_every_snapshot_on_a_dated_axis_with_a_value_axis(client):
    user = UserFactory()
    now = timezone.now()
    key = f"user:{user.pk}"
    # Five monthly snapshots: the first from a real recompute, the others as later recomputes leave them
    # (history rows are only ever added).
    record(user, K.BOOKING_FULFILLED, days_ago=130)
    first = recompute_subject(key, as_of=now - timedelta(days=120))
    for months_ago, score in ((3, 655), (2, 590), (1, 640), (0, 712)):
        later = CreditScore.objects.get(pk=first.pk)
        later.pk = None
        later.score = score
        later.as_of = now - timedelta(days=30 * months_ago)
        later.save()
    snapshots = list(CreditScore.objects.filter(subject_key=key).order_by("as_of"))
    assert len(snapshots) == 5
    client.force_login(user)

    svg = chart_of(client.get(reverse("credit:mine")).content.decode())

    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert len(circles) == 5
    xs = [float(x) for x, _y in circles]
    assert xs == sorted(xs)
    assert len(set(xs)) == 5
    # Dates on the time axis: the first and the last snapshot's, in order.
    dates = re.findall(r"<text[^>]*>(\d{4}-\d{2}-\d{2})</text>", svg)
    assert dates[0] == timezone.localtime(snapshots[0].as_of).strftime("%Y-%m-%d")
    assert dates[-1] == timezone.localtime(snapshots[-1].as_of).strftime("%Y-%m-%d")
    assert len(dates) == 5
    # A value axis: at least three numeric tick labels around the scores shown.
    ticks = [int(value) for value in re.findall(r'<text[^>]*text-anchor="end"[^>]*>(\d{3})</text>', svg)]
    assert len(ticks) >= 3
    scores = [snapshot.score for snapshot in snapshots]
    assert min(ticks) <= min(scores)
    assert max(ticks) >= max(scores)
    assert "Score" in svg
    # Labels of at least 11 px, everywhere in the chart.
    sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)"', svg)]
    assert sizes
    assert min(sizes) >= 11
    # Each point says its date and score.
    assert f"{timezone.localtime(snapshots[2].as_of):%Y-%m-%d}: {snapshots[2].score}</title>" in svg


def test_a_single_snapshot_gets_a_sentence_not_a_one_point_chart(client):
    user = UserFactory()
    record(user, K.BOOKING_FULFILLED, days_ago=1)
    recompute_subject(f"user:{user.pk}")
    client.force_login(user)

    body = client.get(reverse("credit:mine")).content.decode()

    assert '<svg id="credit-history"' not in body
    assert "Only one score so far" in body


def test_unit_admins_see_their_units_history_chart(client, unit, unit_admin):
    now = timezone.now()
    first = recompute_subject(f"unit:{unit.pk}", as_of=now - timedelta(days=90))
    for days_ago, score in ((60, first.score + 30), (30, first.score - 20), (0, first.score + 10)):
        later = CreditScore.objects.get(pk=first.pk)
        later.pk = None
        later.score = score
        later.as_of = now - timedelta(days=days_ago)
        later.save()
    client.force_login(unit_admin)

    svg = chart_of(client.get(reverse("credit:mine") + f"?unit={unit.pk}").content.decode())

    assert svg.count("<circle") == 4
