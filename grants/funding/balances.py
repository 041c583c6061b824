"""Every balance a funding page shows, computed from the records: the ledger for money paid and
returned, expenses for money spent. Nothing here is stored; two grouped queries serve any number
of grants (a page of 20 or an edition of 2,000 issues the same queries)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from grants.funding.models import Expense, ExpenseStatus, LedgerEntry, LedgerKind
from grants.money import format_fen


@dataclass(frozen=True)
class GrantFigures:
    """One grant's money, in fen. ``held`` is what the receiving unit holds: paid out − returned."""

    paid_fen: int = 0  # disbursements, less payments the bank sent back
    refunded_fen: int = 0  # unspent money returned (positive)
    accepted_expenses_fen: int = 0
    pending_expenses_fen: int = 0

    @property
    def held_fen(self) -> int:
        return self.paid_fen - self.refunded_fen

    @property
    def unspent_fen(self) -> int:
        """Held but not (yet) accounted for by accepted expenses: what a settlement returns."""
        return self.held_fen - self.accepted_expenses_fen


def yuan(fen: int) -> str:
    return format_fen(fen)


def of_grants(
    session: Session,
    grant_ids: Iterable[int] | None = None,
    *,
    edition_id: int | None = None,
    moved: tuple[datetime, datetime] | None = None,
    spent: tuple[date, date] | None = None,
):
    """Figures for each grant (a dict by grant id; grants with no movement get zeros).

    Corrections count under the kind of the entry they reverse (a reversed refund is no refund).
    ``moved`` and ``spent`` keep only the ledger entries made, and the expenses spent, within those
    half-open ranges (as ``sums_by``: the money of one year).
    """
    original = aliased(LedgerEntry)
    kind = func.coalesce(original.kind, LedgerEntry.kind)
    ledger = (
        select(LedgerEntry.grant_id, kind, func.sum(LedgerEntry.amount_fen))
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .group_by(LedgerEntry.grant_id, kind)
    )
    spent_query = select(
        Expense.grant_id,
        func.sum(case((Expense.status == ExpenseStatus.ACCEPTED.value, Expense.amount_fen), else_=0)),
        func.sum(case((Expense.status == ExpenseStatus.PENDING.value, Expense.amount_fen), else_=0)),
    ).group_by(Expense.grant_id)
    if grant_ids is not None:
        ids = list(grant_ids)
        ledger = ledger.where(LedgerEntry.grant_id.in_(ids))
        spent_query = spent_query.where(Expense.grant_id.in_(ids))
    if edition_id is not None:
        from grants.funding.models import Grant

        in_edition = select(Grant.id).where(Grant.edition_id == edition_id)
        ledger = ledger.where(LedgerEntry.grant_id.in_(in_edition))
        spent_query = spent_query.where(Expense.edition_id == edition_id)
    if moved is not None:
        ledger = ledger.where(LedgerEntry.at >= moved[0], LedgerEntry.at < moved[1])
    if spent is not None:
        spent_query = spent_query.where(Expense.spent_on >= spent[0], Expense.spent_on < spent[1])
    paid: dict[int, int] = defaultdict(int)
    refunded: dict[int, int] = defaultdict(int)
    for grant_id, entry_kind, total in session.execute(ledger):
        # SUM(bigint) is NUMERIC on PostgreSQL: money stays int.
        if entry_kind == LedgerKind.REFUND.value:
            refunded[grant_id] -= int(total)
        else:
            paid[grant_id] += int(total)
    expenses = {gid: (int(a or 0), int(p or 0)) for gid, a, p in session.execute(spent_query)}
    ids = set(paid) | set(refunded) | set(expenses)
    return defaultdict(
        GrantFigures,
        {gid: GrantFigures(paid[gid], refunded[gid], *expenses.get(gid, (0, 0))) for gid in ids},
    )


def of_grant(session: Session, grant_id: int) -> GrantFigures:
    return of_grants(session, [grant_id])[grant_id]


@dataclass(frozen=True)
class CategorySpending:
    """Accepted expenses of one grant in one budget category (支出类别), in fen."""

    grant_id: int
    category: str
    position: int  # the category's place in the edition's list
    spent_fen: int


def accepted_by_category(session: Session, *, edition_id: int) -> list[CategorySpending]:
    """Accepted expenses of an edition's grants by budget category: the same rule as
    ``accepted_expenses_fen`` (accepted only), split by the category of each expense's line."""
    from grants.funding.models import BudgetItem
    from grants.proposals.models import BudgetCategory

    rows = session.execute(
        select(Expense.grant_id, BudgetCategory.name, BudgetCategory.position, func.sum(Expense.amount_fen))
        .join(BudgetItem, BudgetItem.id == Expense.item_id)
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .where(Expense.edition_id == edition_id, Expense.status == ExpenseStatus.ACCEPTED.value)
        .group_by(Expense.grant_id, BudgetCategory.id, BudgetCategory.name, BudgetCategory.position)
    )
    return [CategorySpending(gid, name, position or 0, int(total)) for gid, name, position, total in rows]


def sums_by(
    session: Session,
    grants,
    keys: Sequence[str],
    *,
    moved: tuple[datetime, datetime] | None = None,
    spent: tuple[date, date] | None = None,
) -> dict[tuple, GrantFigures]:
    """The figures of many grants summed by some of their columns, by the rules of ``of_grants``
    (corrections under the kind they reverse; spent = accepted expenses), in two grouped queries.

    ``grants`` is a subquery with a ``grant_id`` column and the ``keys`` columns (e.g. the edition
    and the community of each grant). ``moved`` keeps the ledger entries made within [start, end)
    (a correction counts on its own date); ``spent`` keeps the expenses spent within [first, last).
    """
    original = aliased(LedgerEntry)
    kind = func.coalesce(original.kind, LedgerEntry.kind)
    columns = [grants.c[key] for key in keys]
    ledger = (
        select(*columns, kind, func.sum(LedgerEntry.amount_fen))
        .join(grants, grants.c.grant_id == LedgerEntry.grant_id)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .group_by(*columns, kind)
    )
    expenses = (
        select(*columns, func.sum(Expense.amount_fen))
        .join(grants, grants.c.grant_id == Expense.grant_id)
        .where(Expense.status == ExpenseStatus.ACCEPTED.value)
        .group_by(*columns)
    )
    if moved is not None:
        ledger = ledger.where(LedgerEntry.at >= moved[0], LedgerEntry.at < moved[1])
    if spent is not None:
        expenses = expenses.where(Expense.spent_on >= spent[0], Expense.spent_on < spent[1])
    paid: dict[tuple, int] = defaultdict(int)
    refunded: dict[tuple, int] = defaultdict(int)
    width = len(keys)
    for row in session.execute(ledger):
        key, entry_kind, total = tuple(row[:width]), row[width], int(row[width + 1])
        if entry_kind == LedgerKind.REFUND.value:
            refunded[key] -= total
        else:
            paid[key] += total
    accepted = {tuple(row[:width]): int(row[width]) for row in session.execute(expenses)}
    return {
        key: GrantFigures(paid[key], refunded[key], accepted.get(key, 0))
        for key in set(paid) | set(refunded) | set(accepted)
    }
