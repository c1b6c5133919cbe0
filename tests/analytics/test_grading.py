"""The proposed grade: boundaries and parts (pure rules)."""

import pytest

from analytics import indicators


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "excellent"),
        (85.0, "excellent"),
        (84.9, "good"),
        (70.0, "good"),
        (69.9, "pass"),
        (60.0, "pass"),
        (59.9, "poor"),
        (0, "poor"),
    ],
)
def test_grade_for_boundaries(score, grade):
    assert indicators.grade_for(score) == grade


def test_grade_propose_full_marks_at_the_reference_points():
    proposal = indicators.grade_propose(
        avg_effective_hours_per_year=800, avg_external_hours_per_year=273, average_stars=5, credit_tier="excellent"
    )

    assert proposal.score == 100.0
    assert proposal.grade == "excellent"


def test_grade_propose_parts_are_capped_and_neutral_without_reviews():
    proposal = indicators.grade_propose(
        avg_effective_hours_per_year=1600, avg_external_hours_per_year=0, average_stars=None, credit_tier=""
    )

    assert (proposal.operation, proposal.sharing, proposal.satisfaction, proposal.management) == (40, 0, 7.5, 10)
    assert proposal.score == 57.5
    assert proposal.grade == "poor"


def test_grade_propose_just_at_good():
    # 40 + 25 x 136.5/273 (12.5) + 15 x 0.5 (7.5) + 20 x 0.5 (10) = 70.
    proposal = indicators.grade_propose(
        avg_effective_hours_per_year=800, avg_external_hours_per_year=136.5, average_stars=3, credit_tier=""
    )

    assert proposal.score == 70.0
    assert proposal.grade == "good"


def test_income_rate_weights_external_income():
    from decimal import Decimal

    assert (
        indicators.income_rate(
            internal_income=Decimal("600"), external_income=Decimal("800"), original_value=Decimal("100000")
        )
        == 0.018
    )
    assert indicators.income_rate(internal_income=Decimal("1"), external_income=Decimal("1"), original_value=0) is None
