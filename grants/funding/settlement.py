"""Settlement (结项结算) and refunds (结余退回).

At completion the page shows, per budget line, the share of the money paid out against the
accepted expenses; finance records the surplus returned as a ledger entry of kind refund (also
for a terminated grant, where the unspent money is asked back). Settling itself is the grant
machine's move completing → settled, guarded there (books balance, no pending expense, a
passed final evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.errors import DomainError, NotAllowed
from grants.funding import balances, ledger, policy, tranches
from grants.funding.models import (
    BudgetItem,
    BudgetVersionLine,
    Expense,
    ExpenseStatus,
    Grant,
    GrantStatus,
    LedgerKind,
)
from grants.funding.service import current_budget, lock
from grants.money import yuan_to_fen

# States in which finance may record money returned: at completion, and after a termination.
REFUNDABLE = (GrantStatus.COMPLETING.value, GrantStatus.TERMINATED.value)


@dataclass(frozen=True)
class Line:
    item: str
    budget_fen: int
    disbursed_fen: int  # this line's share of the money held (paid − refunded), by budget weight
    accepted_fen: int

    @property
    def difference_fen(self) -> int:
        return self.disbursed_fen - self.accepted_fen


def lines(session: Session, grant: Grant, figures: balances.GrantFigures) -> list[Line]:
    """Per budget line of the current version: budget, share of the money held, accepted expenses."""
    version = current_budget(session, grant.id)
    if version is None:
        return []
    accepted = (
        select(Expense.item_id, func.sum(Expense.amount_fen).label("total"))
        .where(Expense.grant_id == grant.id, Expense.status == ExpenseStatus.ACCEPTED.value)
        .group_by(Expense.item_id)
        .subquery()
    )
    rows = session.execute(
        select(BudgetItem.item, BudgetVersionLine.amount_fen, accepted.c.total)
        .join(BudgetVersionLine, BudgetVersionLine.item_id == BudgetItem.id)
        .outerjoin(accepted, accepted.c.item_id == BudgetItem.id)
        .where(BudgetVersionLine.version_id == version.id)
        .order_by(BudgetItem.position)
    ).all()
    budgets = [int(amount) for _item, amount, _spent in rows]
    weighted = [i for i, amount in enumerate(budgets) if amount > 0]
    held = max(figures.held_fen, 0)
    shares = [0] * len(budgets)
    if held and weighted:
        for i, share in zip(weighted, tranches.apportion(held, [budgets[i] for i in weighted]), strict=True):
            shares[i] = share
    return [
        Line(item, budget, share, int(spent or 0)) for (item, budget, spent), share in zip(rows, shares, strict=True)
    ]


def record_refund(session: Session, *, actor, grant: Grant, returned_on: date, amount: str, ref: str) -> None:
    """Finance records unspent money returned (结余退回) as a ledger entry of kind refund.

    Raises:
        NotAllowed: not finance of the grant's district.
        DomainError: the grant is neither completing nor terminated, a date in the future, an
            amount that is not positive or exceeds what is unspent (less expenses waiting for
            review), a missing reference.
    """
    if not policy.is_finance(actor, grant):
        raise NotAllowed(_("只有财务人员可以登记结余退回。"))
    grant = lock(session, grant)
    if grant.status not in REFUNDABLE:
        raise DomainError(_("项目进入结项或终止后才能登记结余退回。"))
    if returned_on > timeutil.today():
        raise DomainError(_("退回日期不能晚于今天。"), field="returned_on")
    try:
        amount_fen = yuan_to_fen(amount)
    except (ValueError, TypeError, ArithmeticError):
        raise DomainError(_("请填写正确的金额（元，最多两位小数）。"), field="amount") from None
    if amount_fen <= 0:
        raise DomainError(_("退回金额必须大于零。"), field="amount")
    figures = balances.of_grant(session, grant.id)
    # Expenses waiting for review may still be accepted: the money they need stays (returning it
    # would leave a grant whose books can never balance once they are accepted).
    unspent = figures.unspent_fen - figures.pending_expenses_fen
    if amount_fen > unspent and figures.pending_expenses_fen:
        raise DomainError(
            _(
                "退回金额不能超过结余%(unspent)s（已扣除待审核的支出%(pending)s）。",
                unspent=balances.yuan(max(unspent, 0)),
                pending=balances.yuan(figures.pending_expenses_fen),
            ),
            field="amount",
        )
    if amount_fen > unspent:
        raise DomainError(
            _("退回金额不能超过结余%(unspent)s。", unspent=balances.yuan(max(unspent, 0))), field="amount"
        )
    ref = (ref or "").strip()
    if not ref:
        raise DomainError(_("请填写凭证号。"), field="ref")
    ledger.record(
        session,
        grant=grant,
        kind=LedgerKind.REFUND.value,
        amount_fen=-amount_fen,
        ref=ref,
        actor=actor,
        note=_("结余退回，退回日期%(day)s", day=returned_on.isoformat()),
    )


@dataclass(frozen=True)
class Section:
    lines: list[Line]
    figures: balances.GrantFigures
    refundable: bool

    @property
    def to_return_fen(self) -> int:
        return max(self.figures.unspent_fen, 0)


def section(session: Session, grant: Grant, figures: balances.GrantFigures) -> Section:
    return Section(lines(session, grant, figures), figures, grant.status in REFUNDABLE)
