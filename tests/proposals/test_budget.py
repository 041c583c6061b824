"""Budget rules as pure functions, with hand-made cases and hypothesis properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from grants.proposals.budget import CategoryRule, Line, Problem, check_budget, total_fen

MATERIALS = CategoryRule(1, "物资", None, 200_000)
LABOUR = CategoryRule(2, "劳务", 30, 200_000)
RULES = {1: MATERIALS, 2: LABOUR}
CAP = 500_000


def test_worked_example_from_the_docstring():
    lines = [Line(1, 1, "物资", 10_000, 20), Line(2, 2, "劳务", 50_000, 2)]
    problems = check_budget(lines, RULES, CAP)
    assert [(p.problem, p.line, p.actual) for p in problems] == [(Problem.SHARE_OVER_LIMIT, 2, 33)]
    lines[0] = Line(1, 1, "物资", 10_000, 30)
    assert check_budget(lines, RULES, CAP) == []


def test_over_cap_and_unit_price_are_named():
    lines = [Line(1, 1, "音响", 250_000, 1), Line(2, 1, "物资", 100_000, 6)]
    problems = check_budget(lines, RULES, CAP)
    assert problems[0].problem == Problem.UNIT_PRICE_OVER_LIMIT and problems[0].line == 1
    assert problems[1].problem == Problem.OVER_CAP and problems[1].actual == 600_000


def test_line_problems():
    lines = [
        Line(1, None, "x", 100, 1),
        Line(2, 9, "x", 100, 1),
        Line(3, 1, " ", 100, 1),
        Line(4, 1, "x", 0, 1),
        Line(5, 1, "x", 100, 0),
    ]
    kinds = [p.problem for p in check_budget(lines, RULES, CAP)]
    assert kinds == [
        Problem.NO_CATEGORY,
        Problem.UNKNOWN_CATEGORY,
        Problem.NO_ITEM,
        Problem.BAD_UNIT_PRICE,
        Problem.BAD_QUANTITY,
    ]


def test_share_exactly_at_the_limit_is_allowed():
    lines = [Line(1, 1, "物资", 70_000, 1), Line(2, 2, "劳务", 30_000, 1)]
    assert check_budget(lines, RULES, CAP) == []


lines_strategy = st.lists(
    st.builds(
        Line,
        position=st.integers(1, 60),
        category_id=st.sampled_from([1, 2]),
        item=st.sampled_from(["物资", "劳务费", "x"]),
        unit_price_fen=st.integers(-100, 300_000),
        quantity=st.integers(-2, 50),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(lines_strategy)
def test_a_budget_without_problems_respects_every_rule(lines):
    if check_budget(lines, RULES, CAP):
        return
    total = total_fen(lines)
    assert total <= CAP
    assert all(line.unit_price_fen <= 200_000 and line.unit_price_fen > 0 and line.quantity > 0 for line in lines)
    labour = sum(line.amount_fen for line in lines if line.category_id == 2)
    assert labour * 100 <= 30 * total
