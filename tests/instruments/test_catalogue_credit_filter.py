"""Filtering the catalogue by provider credit (API and page share one FilterSet).

The catalogue reads Unit.credit_score / credit_tier, the columns the credit layer keeps current;
the first test fills them through the real ledger and recompute, the others set them directly.
"""

import pytest
from django.test import Client
from django.urls import reverse

from credit.models import CreditEvent
from credit.recompute import recompute_subject
from tests.credit.factories import record
from tests.errors import error_messages
from tests.factories import InstrumentFactory, UnitFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/instruments/"
K = CreditEvent.Kind


def ids(response) -> list[int]:
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.data["results"]]


@pytest.fixture
def providers(db):
    """Instruments of an excellent, a good, a fair and a not yet scored provider."""
    rows = {}
    for name, score, tier in (("excellent", 860, "excellent"), ("good", 720, "good"), ("fair", 640, "fair")):
        rows[name] = InstrumentFactory(name_en=f"{name} SEM", unit=UnitFactory(credit_score=score, credit_tier=tier))
    rows["unscored"] = InstrumentFactory(name_en="unscored SEM", unit=UnitFactory(credit_score=None, credit_tier=""))
    return rows


def test_catalogue_min_provider_credit_with_real_recompute(api_client):
    trusted, careless = UnitFactory(accreditations=["CMA", "CNAS"]), UnitFactory()
    for n in range(15):
        for kind in (K.SERVICE_DELIVERED, K.APPROVED_ON_TIME):
            record(trusted, kind, days_ago=n + 1, source_ref=f"booking:{n}")
        record(careless, K.PROVIDER_CANCELLATION, days_ago=n + 1, source_ref=f"booking:{100 + n}")
    high = recompute_subject(f"unit:{trusted.pk}")
    low = recompute_subject(f"unit:{careless.pk}")
    assert high.score > low.score
    trusted.refresh_from_db()
    assert (trusted.credit_score, trusted.credit_tier) == (high.score, high.tier)  # kept current by credit
    good, poor = InstrumentFactory(unit=trusted), InstrumentFactory(unit=careless)

    assert ids(api_client.get(URL, {"min_provider_credit": high.score})) == [good.pk]
    assert sorted(ids(api_client.get(URL, {"min_provider_credit": low.score}))) == sorted([good.pk, poor.pk])
    assert ids(api_client.get(URL, {"provider_tier": high.tier})) == [good.pk]
    assert ids(api_client.get(URL, {"ordering": "-unit__credit_score"})) == [good.pk, poor.pk]


def test_catalogue_min_provider_credit_leaves_out_lower_and_unscored(api_client, providers):
    response = api_client.get(URL, {"min_provider_credit": 700, "ordering": "-unit__credit_score"})
    assert ids(response) == [providers["excellent"].pk, providers["good"].pk]
    assert set(ids(api_client.get(URL, {"min_provider_credit": 350}))) == {
        providers[name].pk for name in ("excellent", "good", "fair")
    }
    assert ids(api_client.get(URL, {"min_provider_credit": 950})) == []


def test_catalogue_min_provider_credit_bound_is_inclusive(api_client, providers):
    got = set(ids(api_client.get(URL, {"min_provider_credit": 720})))
    assert got == {providers["excellent"].pk, providers["good"].pk}
    assert set(ids(api_client.get(URL, {"min_provider_credit": 721}))) == {providers["excellent"].pk}


@pytest.mark.parametrize("tier", ["excellent", "good", "fair"])
def test_catalogue_provider_tier_filter(api_client, providers, tier):
    assert ids(api_client.get(URL, {"provider_tier": tier})) == [providers[tier].pk]


def test_catalogue_provider_tier_and_credit_combine_with_other_filters(api_client, providers):
    params = {"provider_tier": "good", "min_provider_credit": 700, "q": "SEM", "status": "available"}
    assert ids(api_client.get(URL, params)) == [providers["good"].pk]
    assert ids(api_client.get(URL, {"provider_tier": "good", "min_provider_credit": 800})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_provider_credit": "349"}, "min_provider_credit"),
        ({"min_provider_credit": "951"}, "min_provider_credit"),
        ({"min_provider_credit": "-1"}, "min_provider_credit"),
        ({"min_provider_credit": "high"}, "min_provider_credit"),
        ({"min_provider_credit": "700.5"}, "min_provider_credit"),
        ({"provider_tier": "platinum"}, "provider_tier"),
        ({"provider_tier": "EXCELLENT"}, "provider_tier"),
    ],
)
def test_catalogue_bad_provider_credit_filter_is_400_with_message(api_client, providers, params, field):
    response = api_client.get(URL, params)
    assert response.status_code == 400, response.data
    assert response.data["field"] == field
    assert response.data["detail"].startswith(f"{field}: ")
    assert error_messages(response.data, field)
    if field == "min_provider_credit":
        assert "350 to 950" in response.data["detail"]
    else:
        assert "excellent, good, fair, poor or bad" in response.data["detail"]


@pytest.mark.parametrize("rows", [5, 60])
def test_catalogue_provider_credit_filter_query_count_is_fixed(api_client, django_assert_num_queries, rows):
    unit = UnitFactory(credit_score=820, credit_tier="excellent")
    made = {InstrumentFactory(unit=unit).pk for _ in range(rows)}
    InstrumentFactory(unit=UnitFactory(credit_score=600, credit_tier="fair"))  # below the filter
    params = {"min_provider_credit": 700, "provider_tier": "excellent", "ordering": "-unit__credit_score"}
    with django_assert_num_queries(1):
        response = api_client.get(URL, {**params, "page_size": 50})
    assert response.status_code == 200
    shown = {row["id"] for row in response.data["results"]}
    assert len(shown) == min(rows, 50)
    assert shown <= made


# --- The catalogue page ------------------------------------------------------------------------


def test_catalogue_page_filters_by_provider_credit(providers):
    response = Client().get(
        reverse("catalogue"), {"min_provider_credit": "700", "provider_tier": "excellent"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.context["instruments"]] == [providers["excellent"].pk]
    body = response.content.decode()
    assert "Provider credit from" in body
    assert 'name="min_provider_credit"' in body
    assert 'min="350"' in body
    assert 'max="950"' in body
    assert 'name="provider_tier"' in body
    assert "Excellent (800 and above)" in body
    assert response.context["filtering"] is True


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_provider_credit": "1000"}, "Provider credit must be a whole number from 350 to 950."),
        ({"provider_tier": "platinum"}, "Provider tier must be one of excellent, good, fair, poor or bad."),
    ],
)
def test_catalogue_page_bad_provider_credit_shows_message(providers, params, message):
    response = Client().get(reverse("catalogue"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["instruments"] == []


def test_catalogue_default_order_ranks_the_better_provider_first(api_client, providers, django_assert_num_queries):
    """Issue 18.6: by provider credit, not by name ("excellent" < "fair" < "good" < "unscored" by name)."""
    expected = [providers[name].pk for name in ("excellent", "good", "fair", "unscored")]
    with django_assert_num_queries(1):
        assert ids(api_client.get(URL)) == expected
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("catalogue"))
    body = page.content.decode()
    assert [body.index(f"{name} SEM") for name in ("excellent", "good", "fair", "unscored")] == sorted(
        body.index(f"{name} SEM") for name in ("excellent", "good", "fair", "unscored")
    )
    # An explicit order still wins.
    assert ids(api_client.get(URL, {"ordering": "name"})) == [
        providers[name].pk for name in ("excellent", "fair", "good", "unscored")
    ]


def test_catalogue_default_order_among_equally_named_follows_provider_credit(api_client):
    better = UnitFactory(credit_score=820, credit_tier="excellent")
    worse = UnitFactory(credit_score=610, credit_tier="fair")
    first = InstrumentFactory(unit=worse, name="共聚焦显微镜", name_en="Confocal microscope")
    second = InstrumentFactory(unit=better, name="共聚焦显微镜", name_en="Confocal microscope")
    assert ids(api_client.get(URL)) == [second.pk, first.pk]
    # Equally relevant to a search: the better provider's first (on PostgreSQL by trigram rank, elsewhere by filter).
    assert ids(api_client.get(URL, {"q": "confocal microscope"})) == [second.pk, first.pk]


def test_catalogue_default_order_follows_a_recomputed_score_at_once(api_client):
    """The catalogue's cached answer is dropped when credit rewrites a unit's score (a new generation)."""
    rising = UnitFactory(credit_score=560, credit_tier="poor", accreditations=["CMA", "CNAS"])
    steady = UnitFactory(credit_score=650, credit_tier="fair")
    low = InstrumentFactory(unit=rising, name_en="A spectrometer")
    high = InstrumentFactory(unit=steady, name_en="B spectrometer")
    assert ids(api_client.get(URL)) == [high.pk, low.pk]
    for n in range(15):
        for kind in (K.SERVICE_DELIVERED, K.APPROVED_ON_TIME):
            record(rising, kind, days_ago=n + 1, source_ref=f"booking:{n}")
    assert recompute_subject(f"unit:{rising.pk}").score > 650
    assert ids(api_client.get(URL)) == [low.pk, high.pk]
