"""Reconciliation (对账): proof, per grant and in total, that the ledger, the tranches, the
disbursements, the budget, the expenses and the refunds agree, naming every grant that does not.

``load`` reads the books of an edition (or of every edition) in a fixed number of plain queries;
``check_grant`` and ``summarise`` are pure: they take those books and say what disagrees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from grants.funding.models import (
    BudgetVersion,
    BudgetVersionLine,
    Disbursement,
    Expense,
    Grant,
    LedgerEntry,
    Tranche,
)
from grants.money import format_fen
from grants.proposals.models import Proposal

UNSIGNED = "approved"
PAID_DISBURSEMENT = ("paid", "returned")  # a disbursement that moved money (returned: and came back)


@dataclass
class Entry:
    id: int
    kind: str
    amount_fen: int
    reverses_id: int | None


@dataclass
class Payment:
    """A disbursement as the books see it."""

    id: int
    tranche_id: int
    amount_fen: int
    status: str
    ledger_entry_id: int | None


@dataclass
class Books:
    """Everything recorded about one grant's money."""

    grant_id: int
    title: str
    status: str
    approved_fen: int
    tranches: dict[int, int] = field(default_factory=dict)  # tranche id → amount
    budget_fen: int | None = None  # Σ lines of the current budget version (None: no budget)
    budget_total_fen: int | None = None  # the version's stated total
    payments: list[Payment] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    accepted_fen: int = 0
    pending_fen: int = 0


@dataclass
class GrantResult:
    grant_id: int
    title: str
    status: str
    approved_fen: int
    paid_fen: int
    refunded_fen: int
    accepted_fen: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Summary:
    results: list[GrantResult]
    approved_fen: int = 0
    paid_fen: int = 0
    refunded_fen: int = 0
    accepted_fen: int = 0
    ledger_fen: int = 0  # Σ of every ledger row

    @property
    def failing(self) -> list[GrantResult]:
        return [r for r in self.results if r.problems]

    @property
    def ok(self) -> bool:
        return not self.failing


def _money(fen: int) -> str:
    return format_fen(fen)


def paid_and_refunded(entries: list[Entry]) -> tuple[int, int]:
    """(paid − returned payments, refunded) from ledger rows; a correction counts under the kind
    of the row it reverses (as grants/funding/balances.py counts them)."""
    kinds = {e.id: e.kind for e in entries}
    paid = refunded = 0
    for e in entries:
        kind = kinds.get(e.reverses_id, e.kind) if e.reverses_id is not None else e.kind
        if kind == "refund":
            refunded -= e.amount_fen
        else:
            paid += e.amount_fen
    return paid, refunded


def check_grant(books: Books) -> GrantResult:
    """Every rule the books of one grant must satisfy; each broken one is named (pure)."""
    problems: list[str] = []
    signed = books.status != UNSIGNED
    paid, refunded = paid_and_refunded(books.entries)
    tranche_total = sum(books.tranches.values())
    if signed and tranche_total != books.approved_fen:
        problems.append(
            _(
                "各期金额合计%(sum)s，不等于核定金额%(approved)s。",
                sum=_money(tranche_total),
                approved=_money(books.approved_fen),
            )
        )
    if not signed and books.tranches:
        problems.append(_("协议未签订却已有分期。"))
    if signed and books.budget_fen is None:
        problems.append(_("已签协议但没有核定预算。"))
    elif signed and books.budget_fen != books.approved_fen:
        problems.append(
            _(
                "现行预算各行合计%(sum)s，不等于核定金额%(approved)s。",
                sum=_money(books.budget_fen or 0),
                approved=_money(books.approved_fen),
            )
        )
    elif signed and books.budget_total_fen != books.approved_fen:
        problems.append(_("现行预算记载的总额%(sum)s，不等于核定金额。", sum=_money(books.budget_total_fen or 0)))
    entries = {e.id: e for e in books.entries}
    claimed: dict[int, list[int]] = defaultdict(list)
    paid_per_tranche: dict[int, list[int]] = defaultdict(list)
    for p in books.payments:
        if p.tranche_id not in books.tranches:
            problems.append(_("拨付单%(id)d不属于本项目的任何一期。", id=p.id))
        elif p.amount_fen != books.tranches[p.tranche_id]:
            problems.append(
                _(
                    "拨付单%(id)d的金额%(amount)s与该期金额%(tranche)s不符。",
                    id=p.id,
                    amount=_money(p.amount_fen),
                    tranche=_money(books.tranches[p.tranche_id]),
                )
            )
        if p.status == "paid":
            paid_per_tranche[p.tranche_id].append(p.id)
        if p.ledger_entry_id is not None:
            claimed[p.ledger_entry_id].append(p.id)
        if p.status in PAID_DISBURSEMENT:
            entry = entries.get(p.ledger_entry_id) if p.ledger_entry_id is not None else None
            if entry is None or entry.kind != "disbursement":
                problems.append(_("已付款的拨付单%(id)d没有对应的拨款流水。", id=p.id))
            elif entry.amount_fen != p.amount_fen:
                problems.append(
                    _(
                        "拨付单%(id)d金额%(amount)s，对应流水金额%(entry)s。",
                        id=p.id,
                        amount=_money(p.amount_fen),
                        entry=_money(entry.amount_fen),
                    )
                )
        elif p.ledger_entry_id is not None:
            problems.append(_("未付款的拨付单%(id)d却关联了资金流水。", id=p.id))
    for entry_id, payment_ids in claimed.items():
        if len(payment_ids) > 1:
            problems.append(
                _(
                    "同一笔流水%(entry)d对应了多张拨付单：%(ids)s。",
                    entry=entry_id,
                    ids="、".join(map(str, payment_ids)),
                )
            )
    paid_by = {p.ledger_entry_id: p for p in books.payments if p.status in PAID_DISBURSEMENT}
    for e in books.entries:
        if e.kind == "disbursement" and e.id not in paid_by:
            problems.append(
                _("拨款流水%(id)d（%(amount)s）没有对应的已付款拨付单。", id=e.id, amount=_money(e.amount_fen))
            )
    for tranche_id, payment_ids in paid_per_tranche.items():
        if len(payment_ids) > 1:
            problems.append(
                _(
                    "同一期（%(tranche)d）被重复拨付：拨付单%(ids)s。",
                    tranche=tranche_id,
                    ids="、".join(map(str, payment_ids)),
                )
            )
    paid_orders = sum(p.amount_fen for p in books.payments if p.status == "paid")
    if paid != paid_orders:
        problems.append(
            _(
                "流水中的拨款净额%(ledger)s，与已付款拨付单合计%(orders)s不符（某期被重复拨付，或退票未入账）。",
                ledger=_money(paid),
                orders=_money(paid_orders),
            )
        )
    if paid > books.approved_fen:
        problems.append(
            _("已拨付%(paid)s，超过核定金额%(approved)s。", paid=_money(paid), approved=_money(books.approved_fen))
        )
    if refunded > paid:
        problems.append(_("已退回%(refunded)s，超过已拨付%(paid)s。", refunded=_money(refunded), paid=_money(paid)))
    if books.status == "settled":
        if books.pending_fen:
            problems.append(_("已结项，但还有待审核支出%(pending)s。", pending=_money(books.pending_fen)))
        if paid - refunded != books.accepted_fen:
            problems.append(
                _(
                    "已结项，但已拨付减已退回为%(held)s，已认可支出为%(spent)s，账目未平。",
                    held=_money(paid - refunded),
                    spent=_money(books.accepted_fen),
                )
            )
    return GrantResult(
        books.grant_id, books.title, books.status, books.approved_fen, paid, refunded, books.accepted_fen, problems
    )


def summarise(all_books: list[Books]) -> Summary:
    """Every grant's result and the totals (pure)."""
    summary = Summary([check_grant(b) for b in all_books])
    for books, result in zip(all_books, summary.results, strict=True):
        summary.approved_fen += result.approved_fen
        summary.paid_fen += result.paid_fen
        summary.refunded_fen += result.refunded_fen
        summary.accepted_fen += result.accepted_fen
        summary.ledger_fen += sum(e.amount_fen for e in books.entries)
    return summary


def load(session: Session, edition_id: int | None = None) -> list[Books]:
    """The books of every grant of the edition (of every edition when None): six plain queries."""

    def scoped(query, grant_column):
        if edition_id is None:
            return query
        return query.where(grant_column.in_(select(Grant.id).where(Grant.edition_id == edition_id)))

    grants = select(Grant.id, Proposal.title, Grant.status, Grant.approved_fen).join(
        Proposal, Proposal.id == Grant.proposal_id
    )
    if edition_id is not None:
        grants = grants.where(Grant.edition_id == edition_id)
    books = {
        gid: Books(gid, title, status, approved)
        for gid, title, status, approved in session.execute(grants.order_by(Grant.id))
    }
    for grant_id, tranche_id, amount in session.execute(
        scoped(select(Tranche.grant_id, Tranche.id, Tranche.amount_fen), Tranche.grant_id)
    ):
        if grant_id in books:
            books[grant_id].tranches[tranche_id] = amount
    current = (
        select(BudgetVersion.grant_id, func.max(BudgetVersion.number).label("number"))
        .group_by(BudgetVersion.grant_id)
        .subquery()
    )
    budgets = scoped(
        select(
            BudgetVersion.grant_id, BudgetVersion.total_fen, func.coalesce(func.sum(BudgetVersionLine.amount_fen), 0)
        )
        .join(current, (current.c.grant_id == BudgetVersion.grant_id) & (current.c.number == BudgetVersion.number))
        .outerjoin(BudgetVersionLine, BudgetVersionLine.version_id == BudgetVersion.id)
        .group_by(BudgetVersion.grant_id, BudgetVersion.id, BudgetVersion.total_fen),
        BudgetVersion.grant_id,
    )
    for grant_id, total, lines in session.execute(budgets):
        if grant_id in books:
            books[grant_id].budget_total_fen, books[grant_id].budget_fen = int(total), int(lines)
    for row in session.execute(
        scoped(
            select(
                Disbursement.grant_id,
                Disbursement.id,
                Disbursement.tranche_id,
                Disbursement.amount_fen,
                Disbursement.status,
                Disbursement.ledger_entry_id,
            ),
            Disbursement.grant_id,
        ).order_by(Disbursement.id)
    ):
        if row[0] in books:
            books[row[0]].payments.append(Payment(*row[1:]))
    for row in session.execute(
        scoped(
            select(
                LedgerEntry.grant_id, LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount_fen, LedgerEntry.reverses_id
            ),
            LedgerEntry.grant_id,
        ).order_by(LedgerEntry.id)
    ):
        if row[0] in books:
            books[row[0]].entries.append(Entry(*row[1:]))
    spent = select(
        Expense.grant_id,
        func.coalesce(func.sum(case((Expense.status == "accepted", Expense.amount_fen), else_=0)), 0),
        func.coalesce(func.sum(case((Expense.status == "pending", Expense.amount_fen), else_=0)), 0),
    ).group_by(Expense.grant_id)
    if edition_id is not None:
        spent = spent.where(Expense.edition_id == edition_id)
    for grant_id, accepted, pending in session.execute(spent):
        if grant_id in books:
            books[grant_id].accepted_fen, books[grant_id].pending_fen = int(accepted), int(pending)
    return list(books.values())


def reconcile(session: Session, edition_id: int | None = None) -> Summary:
    return summarise(load(session, edition_id))
