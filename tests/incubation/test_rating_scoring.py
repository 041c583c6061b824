"""The pure arithmetic of star rating: half points, exact means against the cut-offs, the
disagreement of the panel, the indicator text and expiry."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grants.incubation.ratings import scoring
from grants.incubation.ratings.scoring import Cutoffs, IndicatorError, Line

CUTS = scoring.DEFAULT_CUTOFFS
totals = st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=9)


@given(totals)
def test_the_proposed_stars_are_the_cut_offs_applied_to_the_exact_mean(values):
    # n × mean ≥ n × cut-off, all in integers: the reference without any division
    n, s = len(values), sum(values)
    expected = 5 if s >= n * 180 else 4 if s >= n * 160 else 3 if s >= n * 140 else 0
    assert scoring.proposed_stars(values, CUTS) == expected


@given(st.integers(min_value=1, max_value=9), st.sampled_from([140, 160, 180]))
def test_a_mean_exactly_on_a_cut_off_earns_it_and_one_half_point_less_does_not(n, cut):
    exactly = [cut] * n
    stars = {140: 3, 160: 4, 180: 5}[cut]
    assert scoring.proposed_stars(exactly, CUTS) == stars
    # the smallest step below: one assessor gives half a point less
    below = [cut] * (n - 1) + [cut - 1]
    assert scoring.proposed_stars(below, CUTS) == (stars - 1 if stars > 3 else 0)


def test_means_that_floats_get_wrong_are_exact():
    # 0.1 + 0.2 style drift: three assessors at 69.5, 70, 70.5 points → exactly 70
    assert scoring.mean([139, 140, 141]) == 140
    assert scoring.proposed_stars([139, 140, 141], CUTS) == 3
    assert scoring.proposed_stars([159, 160, 160], CUTS) == 3  # 79.83…


def test_no_sheet_means_no_proposal():
    assert scoring.proposed_stars([], CUTS) is None and scoring.spread([]) is None


@given(totals)
def test_the_spread_shows_the_range_and_a_standard_deviation_within_it(values):
    spread = scoring.spread(values)
    assert spread.range == max(values) - min(values) and spread.low <= spread.high
    assert 0 <= spread.std_points <= spread.range / 4 + 1e-9  # half the range, in points


def test_the_spread_of_a_known_panel():
    spread = scoring.spread([180, 160])  # 90 and 80 points
    assert (spread.low, spread.high, spread.range) == (160, 180, 20) and spread.std_points == 5.0


@pytest.mark.parametrize(
    ("text", "halves"),
    [
        ("7", 14),
        ("7.5", 15),
        ("0", 0),
        (" 100 ", 200),
        ("7.0", 14),
        ("7.3", None),
        ("-1", None),
        ("七", None),
        ("", None),
    ],
)
def test_points_are_read_in_half_points(text, halves):
    assert scoring.parse_points(text) == halves


@given(st.integers(min_value=0, max_value=1998))
def test_half_points_round_trip_through_text(halves):
    assert scoring.parse_points(scoring.format_halves(halves)) == halves


def test_a_mean_is_shown_with_one_decimal():
    assert scoring.format_fraction(Fraction(479, 3)) == "79.8"  # 159.666… half points
    assert scoring.format_fraction(Fraction(140)) == "70.0"


SYSTEM = (Line("党建引领", "支部联系", 15), Line("党建引领", "党员带头", 20), Line("规范管理", "台账", 165))


def test_the_indicator_text_round_trips():
    lines = scoring.parse_indicators(scoring.indicators_text(SYSTEM))
    assert tuple(lines) == SYSTEM
    assert scoring.parse_indicators("党建引领｜支部联系｜7.5\n\n") == [Line("党建引领", "支部联系", 15)]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a | b", 1, "format"),
        ("a | b | 5\n | b | 5", 2, "format"),
        ("a | b | 0", 1, "points"),
        ("a | b | 2.25", 1, "points"),
        ("a | b | 5\na | b | 3", 2, "duplicate"),
        ("\n  \n", 0, "empty"),
    ],
)
def test_a_wrong_indicator_line_is_named(text, line, problem):
    with pytest.raises(IndicatorError) as err:
        scoring.parse_indicators(text)
    assert (err.value.line, err.value.problem) == (line, problem)


@pytest.mark.parametrize(
    ("cuts", "problem"),
    [((140, 160, 180), None), ((140, 140, 180), "order"), ((0, 160, 180), "order"), ((140, 160, 201), "above_total")],
)
def test_cut_offs_rise_and_stay_within_the_total(cuts, problem):
    assert Cutoffs(*cuts).problem(200) == problem


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_stars_are_current_for_three_years_to_the_day(final_on):
    ends = scoring.expires_on(final_on)
    assert scoring.is_current(final_on, final_on) and scoring.is_current(final_on, ends - timedelta(days=1))
    assert not scoring.is_current(final_on, ends) and not scoring.is_current(final_on, final_on - timedelta(days=1))
    assert 365 * 3 <= (ends - final_on).days <= 365 * 3 + 1


def test_the_29th_of_february_expires_on_the_1st_of_march():
    assert scoring.expires_on(date(2028, 2, 29)) == date(2031, 3, 1)
