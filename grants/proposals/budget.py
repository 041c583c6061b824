"""Budget rules of a proposal, as pure functions (no Flask, no database) so they can be
property-tested: total = Σ lines, total ≤ the edition's cap, each category within its share
of the request, and no single item above its category's unit-price limit.

Worked example: cap ¥5,000; category 劳务 limited to 30 % of the request and ¥2,000 per item.
Lines 物资 ¥100 × 20 = ¥2,000 and 劳务 ¥500 × 2 = ¥1,000 request ¥3,000; 劳务 is 33.3 % of
it, above 30 %, so the second line is named in the problem. Raising 物资 to 30 items
(¥3,000) makes the request ¥4,000 and 劳务 25 %: the budget is valid.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

MAX_QUANTITY = 100_000
MAX_LINES = 60


@dataclass(frozen=True)
class CategoryRule:
    id: int
    name: str
    max_share_percent: int | None = None
    max_unit_price_fen: int | None = None


@dataclass(frozen=True)
class Line:
    position: int  # 1-based, as the applicant sees it
    category_id: int | None
    item: str
    unit_price_fen: int
    quantity: int

    @property
    def amount_fen(self) -> int:
        return self.unit_price_fen * self.quantity


class Problem(StrEnum):
    NO_CATEGORY = "no_category"
    UNKNOWN_CATEGORY = "unknown_category"
    NO_ITEM = "no_item"
    BAD_UNIT_PRICE = "bad_unit_price"
    BAD_QUANTITY = "bad_quantity"
    UNIT_PRICE_OVER_LIMIT = "unit_price_over_limit"
    SHARE_OVER_LIMIT = "share_over_limit"
    OVER_CAP = "over_cap"
    TOO_MANY_LINES = "too_many_lines"


@dataclass(frozen=True)
class BudgetProblem:
    problem: Problem
    line: int | None = None  # position of the line concerned, None for the whole budget
    category: str | None = None
    limit: int | None = None  # fen, or percent for shares
    actual: int | None = None


def total_fen(lines: list[Line]) -> int:
    return sum(line.amount_fen for line in lines)


def check_budget(lines: list[Line], categories: dict[int, CategoryRule], cap_fen: int) -> list[BudgetProblem]:
    """Every rule the lines break, in line order; an empty list means the budget is valid."""
    problems: list[BudgetProblem] = []
    if len(lines) > MAX_LINES:
        problems.append(BudgetProblem(Problem.TOO_MANY_LINES, limit=MAX_LINES, actual=len(lines)))
    valid: list[Line] = []
    for line in lines:
        rule = categories.get(line.category_id) if line.category_id is not None else None
        line_problems = _line_problems(line, rule)
        problems.extend(line_problems)
        if not line_problems:
            valid.append(line)
    total = total_fen(valid)
    if total > cap_fen:
        problems.append(BudgetProblem(Problem.OVER_CAP, limit=cap_fen, actual=total))
    by_category: dict[int, list[Line]] = defaultdict(list)
    for line in valid:
        by_category[line.category_id].append(line)
    for category_id, category_lines in by_category.items():
        problem = _share_problem(categories[category_id], total_fen(category_lines), total, category_lines[-1].position)
        if problem is not None:
            problems.append(problem)
    return problems


def check_spending(
    spent_by_category: dict[int, int], expense: Line, categories: dict[int, CategoryRule], approved_fen: int
) -> list[BudgetProblem]:
    """The same rules on actual spending: the expense's unit price within its category's limit,
    and its category's spending (``spent_by_category``: accepted + pending, without this expense)
    plus the expense within the category's share of the approved amount."""
    rule = categories.get(expense.category_id) if expense.category_id is not None else None
    problems = _line_problems(expense, rule)
    if problems or rule is None:
        return problems
    amount = spent_by_category.get(rule.id, 0) + expense.amount_fen
    problem = _share_problem(rule, amount, approved_fen, expense.position)
    return [problem] if problem is not None else []


def _share_problem(rule: CategoryRule, amount: int, total: int, position: int) -> BudgetProblem | None:
    if rule.max_share_percent is None or total == 0:
        return None
    # Integer comparison: amount / total > share / 100, without rounding.
    if amount * 100 <= rule.max_share_percent * total:
        return None
    return BudgetProblem(
        Problem.SHARE_OVER_LIMIT,
        line=position,
        category=rule.name,
        limit=rule.max_share_percent,
        actual=amount * 100 // total,
    )


def _line_problems(line: Line, rule: CategoryRule | None) -> list[BudgetProblem]:
    """What is wrong with one line on its own (category, item, unit price, quantity)."""
    problems: list[BudgetProblem] = []
    if line.category_id is None:
        problems.append(BudgetProblem(Problem.NO_CATEGORY, line=line.position))
    elif rule is None:
        problems.append(BudgetProblem(Problem.UNKNOWN_CATEGORY, line=line.position))
    if not line.item.strip():
        problems.append(BudgetProblem(Problem.NO_ITEM, line=line.position))
    if line.unit_price_fen <= 0:
        problems.append(BudgetProblem(Problem.BAD_UNIT_PRICE, line=line.position, actual=line.unit_price_fen))
    if line.quantity <= 0 or line.quantity > MAX_QUANTITY:
        problems.append(
            BudgetProblem(Problem.BAD_QUANTITY, line=line.position, actual=line.quantity, limit=MAX_QUANTITY)
        )
    if rule is not None and rule.max_unit_price_fen is not None and line.unit_price_fen > rule.max_unit_price_fen:
        problems.append(
            BudgetProblem(
                Problem.UNIT_PRICE_OVER_LIMIT,
                line=line.position,
                category=rule.name,
                limit=rule.max_unit_price_fen,
                actual=line.unit_price_fen,
            )
        )
    return problems
