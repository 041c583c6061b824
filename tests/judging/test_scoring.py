"""Score aggregation: hand-computed cases and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grants.judging import scoring


def test_worked_example_from_the_docstring():
    totals = [78, 85, 90, 92, 60]
    assert scoring.mean(totals) == 81
    assert scoring.trimmed_mean(totals) == Fraction(253, 3)
    assert scoring.trimmed_mean([78, 85, 90]) == Fraction(253, 3)  # below the threshold: plain mean
    sd, rng = scoring.spread(totals)
    assert rng == 32 and round(sd, 2) == 11.56


def test_three_judges_and_a_threshold_of_three_leave_the_median():
    assert scoring.trimmed_mean([10, 50, 90], threshold=3) == 50


def test_judge_total_is_exact_with_half_points():
    assert scoring.judge_total([Decimal("12.5"), 20, Decimal("7.5")]) == 40


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        scoring.mean([])
    with pytest.raises(ValueError):
        scoring.trimmed_mean([1, 2, 3], threshold=2)
    with pytest.raises(ValueError):
        scoring.aggregate({1: {1: 5}}, method="median")
    with pytest.raises(ValueError):
        scoring.weighted([(0, Fraction(1))])


def test_aggregate_per_proposal():
    totals = {1: {10: 80, 20: 70}, 2: {10: 90, 20: 60}, 3: {10: 85, 20: 65}}
    scores = scoring.aggregate(totals)
    assert scores[10].score == 85 and scores[20].score == 65 and scores[10].judges == 3
    assert scores[10].range == 10


def test_normalisation_evens_out_a_lenient_judge():
    # Judge 2 is 20 points more lenient on everything: after normalisation that no longer matters.
    totals = {1: {10: 60, 20: 70, 30: 80}, 2: {10: 80, 20: 90, 30: 100}}
    scores = scoring.aggregate(totals, normalised=True)
    assert scores[10].score < scores[20].score < scores[30].score
    assert round(scores[20].score, 6) == round((60 + 70 + 80 + 80 + 90 + 100) / 6, 6)


def test_judge_with_no_spread_contributes_the_round_mean():
    normalised = scoring.normalise({1: {10: 70, 20: 70}, 2: {10: 60, 20: 80}})
    assert normalised[1][10] == normalised[1][20] == 70


def test_weighted_groups_and_rounds():
    assert scoring.weighted([(70, Fraction(80)), (30, Fraction(90))]) == 83
    assert scoring.weighted([(15, Fraction(80)), (25, Fraction(70)), (60, Fraction(90))]) == Fraction(
        167, 2
    )  # 12 + 17.5 + 54


def test_ties_break_on_previous_round_then_submission_then_id():
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    entries = [
        scoring.Entry(4, Fraction(80), Fraction(70), t0),
        scoring.Entry(3, Fraction(80), Fraction(75), t0 + timedelta(hours=1)),
        scoring.Entry(2, Fraction(80), Fraction(70), t0 - timedelta(hours=1)),
        scoring.Entry(1, Fraction(80), Fraction(70), t0 - timedelta(hours=1)),
        scoring.Entry(5, Fraction(90), None, None),
    ]
    assert [r.entry.proposal_id for r in scoring.rank(entries)] == [5, 3, 1, 2, 4]
    assert [r.rank for r in scoring.rank(entries)] == [1, 2, 3, 4, 5]


def test_advancement_rules():
    ranked = scoring.rank([scoring.Entry(i, Fraction(s)) for i, s in enumerate([90, 80, 70, 60], start=1)])
    assert scoring.advancing(ranked, rule="top_n", top_n=2) == {1, 2}
    assert scoring.advancing(ranked, rule="min_score", min_score=Decimal("70")) == {1, 2, 3}
    assert scoring.advancing(ranked, rule="all") == {1, 2, 3, 4}


points = st.integers(min_value=0, max_value=100)


@given(st.lists(points, min_size=1, max_size=12), st.integers(min_value=3, max_value=7))
def test_trimmed_mean_lies_between_min_and_max(values, threshold):
    assert min(values) <= scoring.trimmed_mean(values, threshold) <= max(values)


@settings(max_examples=200)
@given(
    st.dictionaries(st.integers(1, 6), st.lists(points, min_size=4, max_size=4), min_size=2, max_size=6),
    st.integers(1, 6),
    st.integers(-30, 30),
)
def test_adding_a_constant_to_one_judge_does_not_change_the_normalised_ranking(judges, judge, constant):
    totals = {j: dict(enumerate(values, start=1)) for j, values in judges.items()}
    shifted = {j: {p: t + (constant if j == judge else 0) for p, t in by.items()} for j, by in totals.items()}

    def order(t):
        scores = scoring.aggregate(t, normalised=True)
        # Compare with a tolerance: normalisation is float arithmetic.
        return [
            r.entry.proposal_id for r in scoring.rank(scoring.Entry(p, round(s.score, 6)) for p, s in scores.items())
        ]

    assert order(totals) == order(shifted)


@given(
    st.lists(
        st.tuples(st.integers(0, 100), st.one_of(st.none(), st.integers(0, 100)), st.integers(0, 10)),
        min_size=1,
        max_size=30,
    ),
    st.randoms(),
)
def test_ranking_is_a_stable_total_order(rows, rnd):
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    entries = [
        scoring.Entry(i, Fraction(s), None if p is None else Fraction(p), t0 + timedelta(minutes=m))
        for i, (s, p, m) in enumerate(rows, start=1)
    ]
    first = [r.entry.proposal_id for r in scoring.rank(entries)]
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert [r.entry.proposal_id for r in scoring.rank(shuffled)] == first
    assert sorted(first) == list(range(1, len(rows) + 1))
    scores = [r.entry.score for r in scoring.rank(entries)]
    assert scores == sorted(scores, reverse=True)


def test_groups_are_aggregated_on_their_own_then_weighted_by_hand():
    # 专家评委 (judges 1, 2) 70 %, 大众评审 (judge 3) 30 %; proposal 10 scored by all, 11 by experts only.
    totals = {1: {10: 80, 11: 60}, 2: {10: 90, 11: 70}, 3: {10: 40}}
    result = scoring.aggregate_groups(totals, {1: "e", 2: "e", 3: "p"}, {"e": 70, "p": 30})
    assert result[10].score == Fraction(7 * 85 + 3 * 40, 10)  # 71.5
    assert result[11].score == 65  # only the experts scored it: their mean, at full weight
    assert result[10].judges == 3 and result[10].range == 50
    assert scoring.aggregate_groups(totals) == scoring.aggregate(totals)
    with pytest.raises(ValueError):
        scoring.aggregate_groups(totals, {1: "e", 2: "e"}, {"e": 1})


def test_rounds_on_a_hundred_point_scale_and_display_rounding():
    assert scoring.on_hundred(Fraction(45), 50) == 90
    assert scoring.on_hundred(42.5, 50) == 85.0
    assert scoring.format_points(Fraction(253, 3)) == "84.33"
    assert scoring.format_points(Fraction(1, 200)) == "0.01"  # half up
    assert scoring.format_points(Decimal("74.5")) == "74.50"
    assert scoring.format_points(None) == "—"
    assert scoring.format_points(Fraction(-1, 200)) == "0.00"  # half up, toward more points
    assert scoring.format_points(7) == "7.00" and scoring.format_points(84.335) == "84.34"


@given(
    st.one_of(
        st.fractions(max_denominator=10**6),
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-1000, max_value=1000),
        st.integers(-(10**6), 10**6),
        st.floats(-1000, 1000, allow_nan=False),
    )
)
def test_display_rounding_is_half_up_on_the_exact_value(value):
    """Two places, floor(value × 100 + ½) of the exact value (a float as its shortest repr)."""
    import math

    exact = Fraction(Decimal(repr(value))) if isinstance(value, float) else Fraction(value)
    expected = Decimal(math.floor(exact * 100 + Fraction(1, 2))).scaleb(-2)
    assert scoring.format_points(value) == str(expected)


def test_judge_bias_chart_geometry():
    from grants.judging import charts

    chart = charts.judge_bias([("甲", 80.0), ("乙", 50.0)], 65.0, 100)
    harsh = chart.bars[1]
    assert chart.bars[0].lenient and not harsh.lenient and harsh.difference == -15.0
    assert chart.bars[0].width == 288.0 and harsh.width == 180.0  # 360 px for the full 100 points
    assert chart.mean_x == charts.LABEL_WIDTH + 234.0
    assert chart.bars[1].y > chart.bars[0].y and chart.height >= 2 * charts.ROW_HEIGHT


def test_the_typed_total_counts_numbers_only_as_the_browser_does():
    assert scoring.entered_total(["10", " 2.5 ", "", "abc", "NaN", "1e309", "-Infinity", "1e999999"]) == Decimal("12.5")
    assert scoring.entered_total([]) == 0 and scoring.format_points(scoring.entered_total(["0.125"])) == "0.13"
