"""Tranche plans and the largest-remainder split: hand-computed cases and hypothesis properties."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grants.funding.tranches import (
    TOTAL_BP,
    Condition,
    Part,
    PlanError,
    bp_to_percent,
    percent_to_bp,
    split,
    validate,
)

S, M, F = Condition.ON_SIGNING.value, Condition.AFTER_MIDTERM_PASSED.value, Condition.AFTER_FINAL_PASSED.value


def plan(*shares: tuple[int, str]) -> list[Part]:
    return [Part(f"第{i}期", bp, condition) for i, (bp, condition) in enumerate(shares, start=1)]


def test_sixty_forty_of_3800_yuan_01():
    # 380001 × 0.6 = 228000.6, × 0.4 = 152000.4: the fen left over goes to the larger remainder (.6).
    assert split(380001, plan((6000, S), (4000, F))) == [228001, 152000]


def test_fifty_forty_ten():
    # 617283.5 / 493826.8 / 123456.7: floors add up to 1234565, two fen left → to .8 and .7.
    assert split(1_234_567, plan((5000, S), (4000, M), (1000, F))) == [617283, 493827, 123457]


def test_three_thirds_of_a_hundred_yuan():
    # 10000 × 33.33 % = 3333, × 33.34 % = 3334: exact, nothing left over.
    assert split(10_000, plan((3333, S), (3333, M), (3334, F))) == [3333, 3333, 3334]
    # 100 fen: 33.33 / 33.33 / 33.34 → floors 33, 33, 33, remainders .33, .33, .34 → the last one.
    assert split(100, plan((3333, S), (3333, M), (3334, F))) == [33, 33, 34]


def test_equal_remainders_go_to_the_earlier_part():
    # 1 fen split 50/50: both remainders are .5, the first part takes it.
    assert split(1, plan((5000, S), (5000, F))) == [1, 0]
    # 2 fen in four equal parts: the first two.
    assert split(2, plan((2500, S), (2500, M), (2500, M), (2500, F))) == [1, 1, 0, 0]


def test_whole_plan_in_one_part_and_zero_amount():
    assert split(987_654, plan((10000, S))) == [987_654]
    assert split(0, plan((6000, S), (4000, F))) == [0, 0]


def test_alabama_paradox_is_bounded_to_one_fen():
    # A known property of largest remainder: 42.86 / 42.86 / 14.28 % of 10 and 11 fen.
    shares = plan((4286, S), (4286, M), (1428, F))
    # 10 fen: 4.286, 4.286, 1.428 → floors 4, 4, 1, one fen left → the largest remainder (.428).
    assert split(10, shares) == [4, 4, 2]
    # 11 fen: 4.7146, 4.7146, 1.5708 → floors 4, 4, 1, two fen left → the two .7146 remainders.
    assert split(11, shares) == [5, 5, 1]


@pytest.mark.parametrize(
    ("parts", "code", "index"),
    [
        ([], "empty", None),
        (plan((6000, S), (3000, F)), "total", None),
        (plan((6000, S), (5000, F)), "total", None),
        (plan((10000, S), (0, F)), "percent_not_positive", 1),
        (plan((11000, S), (-1000, F)), "percent_not_positive", 1),
        ([Part(" ", 10000, S)], "name_missing", 0),
        ([Part("首期", 5000, S), Part(" 首期 ", 5000, F)], "name_repeated", 1),
        ([Part("x" * 41, 10000, S)], "name_too_long", 0),
        (plan((5000, S), (5000, "after_lunch")), "condition_unknown", 1),
        (plan((5000, F), (5000, S)), "condition_order", 1),
        (plan((4000, S), (3000, F), (3000, M)), "condition_order", 2),
        (plan(*[(1000, S)] * 11), "too_many", None),
    ],
)
def test_invalid_plans_are_refused_with_the_rule_and_part(parts, code, index):
    with pytest.raises(PlanError) as caught:
        validate(parts)
    assert caught.value.code == code
    assert caught.value.index == index
    with pytest.raises(PlanError):
        split(100, parts)


def test_total_error_reports_the_sum():
    with pytest.raises(PlanError) as caught:
        validate(plan((6000, S), (3000, F)))
    assert caught.value.details == {"total_bp": 9000}


def test_validate_strips_names_and_allows_repeated_conditions():
    parts = validate([Part(" 首期 ", 5000, S), Part("二期", 2500, M), Part("三期", 2500, M)])
    assert [p.name for p in parts] == ["首期", "二期", "三期"]


@pytest.mark.parametrize("amount", [-1, 1.5, "100", True])
def test_split_refuses_amounts_that_are_not_fen(amount):
    with pytest.raises(ValueError):
        split(amount, plan((10000, S)))


@pytest.mark.parametrize(
    ("text", "bp"), [("60", 6000), ("33.33", 3333), ("12.5", 1250), (" 40 % ", 4000), ("100", 10000), ("0.01", 1)]
)
def test_percent_to_bp(text, bp):
    assert percent_to_bp(text) == bp
    assert percent_to_bp(bp_to_percent(bp)) == bp


@pytest.mark.parametrize("text", ["", "abc", "33.333", "-5", "100.01", "1e2", "60,5", "NaN"])
def test_percent_to_bp_refuses_bad_text(text):
    with pytest.raises(ValueError):
        percent_to_bp(text)


def test_bp_to_percent():
    assert [bp_to_percent(bp) for bp in (6000, 3333, 1250, 1, 10000)] == ["60", "33.33", "12.5", "0.01", "100"]


# --- properties -------------------------------------------------------------------------------


@st.composite
def plans(draw) -> list[Part]:
    """A valid plan: 1–10 positive bp shares adding up to 10,000, conditions in order."""
    count = draw(st.integers(1, 10))
    cuts = sorted(draw(st.lists(st.integers(1, TOTAL_BP - 1), min_size=count - 1, max_size=count - 1, unique=True)))
    bounds = [0, *cuts, TOTAL_BP]
    shares = [b - a for a, b in pairwise(bounds)]
    conditions = sorted(draw(st.lists(st.sampled_from([S, M, F]), min_size=count, max_size=count)), key=[S, M, F].index)
    return [Part(f"p{i}", bp, c) for i, (bp, c) in enumerate(zip(shares, conditions, strict=True))]


amounts = st.integers(0, 10**13)


@settings(max_examples=300, deadline=None)
@given(amounts, plans())
def test_parts_add_up_to_the_approved_amount(approved, parts):
    result = split(approved, parts)
    assert sum(result) == approved
    assert len(result) == len(parts)
    assert all(isinstance(x, int) and x >= 0 for x in result)


@settings(max_examples=300, deadline=None)
@given(amounts, plans())
def test_each_part_is_within_one_fen_of_its_exact_share(approved, parts):
    for fen, part in zip(split(approved, parts), parts, strict=True):
        exact = Fraction(approved * part.percent_bp, TOTAL_BP)
        assert abs(fen - exact) < 1


@settings(max_examples=300, deadline=None)
@given(amounts, plans(), st.integers(1, 1000))
def test_more_money_never_takes_more_than_a_fen_from_a_part(approved, parts, extra):
    before, after = split(approved, parts), split(approved + extra, parts)
    assert sum(after) - sum(before) == extra
    assert all(b >= a - 1 for a, b in zip(before, after, strict=True))


@settings(max_examples=200, deadline=None)
@given(amounts, plans(), st.integers(1, 100))
def test_adding_a_whole_ten_thousand_fen_adds_exactly_each_share(approved, parts, k):
    before, after = split(approved, parts), split(approved + k * TOTAL_BP, parts)
    assert [b - a for a, b in zip(before, after, strict=True)] == [k * p.percent_bp for p in parts]


@settings(max_examples=300, deadline=None)
@given(amounts, plans())
def test_equal_shares_never_give_a_later_part_more(approved, parts):
    result = split(approved, parts)
    assert split(approved, list(parts)) == result  # deterministic
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            if parts[i].percent_bp == parts[j].percent_bp:
                assert result[i] - result[j] in (0, 1)
