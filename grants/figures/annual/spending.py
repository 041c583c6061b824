"""Money spent by budget category (支出类别), per edition, for a scope: the same rule as the
figures' 已支出 (accepted expenses of the scope's grants, spent within its year), split by the
category of each expense's budget line, so the categories of an edition add up to its 已支出.
One grouped query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants.figures.queries import grant_conditions
from grants.figures.scope import Scope
from grants.funding.models import BudgetItem, Expense, ExpenseStatus, Grant
from grants.proposals.models import BudgetCategory, Proposal


@dataclass(frozen=True)
class CategorySpent:
    edition_id: int
    category: str
    position: int  # the category's place in its edition's list
    spent_fen: int


def spent_by_category(session: Session, scope: Scope) -> list[CategorySpent]:
    """Accepted expenses of the scope by edition and budget category, in the categories' order."""
    query = (
        select(Grant.edition_id, BudgetCategory.name, BudgetCategory.position, func.sum(Expense.amount_fen))
        .select_from(Expense)
        .join(Grant, Grant.id == Expense.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .join(BudgetItem, BudgetItem.id == Expense.item_id)
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .where(Expense.status == ExpenseStatus.ACCEPTED.value, *grant_conditions(scope))
        .group_by(Grant.edition_id, BudgetCategory.id, BudgetCategory.name, BudgetCategory.position)
    )
    if scope.days is not None:
        first, end = scope.days
        query = query.where(Expense.spent_on >= first, Expense.spent_on < end)
    rows = [
        CategorySpent(edition_id, name, position or 0, int(total))  # SUM is NUMERIC on PostgreSQL
        for edition_id, name, position, total in session.execute(query)
    ]
    return sorted(rows, key=lambda row: (row.edition_id, row.position, row.category))
