"""The journey's reads about the grant: the award, the tranches, the money per budget line, the reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from grants.funding import balances
from grants.funding.models import (
    BudgetItem,
    BudgetVersion,
    BudgetVersionLine,
    Disbursement,
    DisbursementStatus,
    Expense,
    ExpenseStatus,
    Grant,
    GrantEvaluation,
    GrantReport,
    Tranche,
)
from grants.funding.states import ReportStatus
from grants.proposals.models import BudgetCategory


@dataclass(frozen=True)
class GrantRow:
    id: int
    tier: str
    approved_fen: int
    status: str
    status_reason: str
    created_at: datetime  # the day the results became final
    signed_on: date | None
    receiving_unit: str
    agreement_no: str


def grant(session: Session, grant_id: int) -> GrantRow:
    row = session.execute(
        select(
            Grant.id,
            Grant.tier,
            Grant.approved_fen,
            Grant.status,
            Grant.status_reason,
            Grant.created_at,
            Grant.signed_on,
            Grant.receiving_unit,
            Grant.agreement_no,
        ).where(Grant.id == grant_id)
    ).one()
    return GrantRow(*row)


def money(session: Session, grant_id: int) -> balances.GrantFigures:
    """Paid, returned and spent, from the ledger and the expenses (balances.of_grants: two queries)."""
    return balances.of_grant(session, grant_id)


@dataclass(frozen=True)
class TrancheRow:
    position: int
    name: str
    percent_bp: int
    condition: str
    amount_fen: int
    paid_on: date | None  # the day the paid disbursement went out (None: not paid)
    live_status: str | None  # the disbursement under way (requested, approved), if any


def tranches(session: Session, grant_id: int) -> list[TrancheRow]:
    """The grant's tranches with their disbursements, one query; a tranche is paid at most once."""
    rows = session.execute(
        select(
            Tranche.id,
            Tranche.position,
            Tranche.name,
            Tranche.percent_bp,
            Tranche.condition,
            Tranche.amount_fen,
            Disbursement.status,
            Disbursement.paid_on,
        )
        .outerjoin(Disbursement, Disbursement.tranche_id == Tranche.id)
        .where(Tranche.grant_id == grant_id)
        .order_by(Tranche.position, Disbursement.id)
    )
    found: dict[int, dict] = {}
    for tranche_id, position, name, percent, condition, amount, status, paid_on in rows:
        row = found.setdefault(
            tranche_id,
            {"position": position, "name": name, "percent_bp": percent, "condition": condition, "amount_fen": amount},
        )
        if status == DisbursementStatus.PAID.value:
            row["paid_on"] = paid_on
        elif status in (DisbursementStatus.REQUESTED.value, DisbursementStatus.APPROVED.value):
            row["live_status"] = status
    return [
        TrancheRow(
            row["position"],
            row["name"],
            row["percent_bp"],
            row["condition"],
            row["amount_fen"],
            row.get("paid_on"),
            row.get("live_status"),
        )
        for row in found.values()
    ]


@dataclass(frozen=True)
class LineRow:
    """A budget line of the grant: its amount in the current approved budget and the expenses booked on it."""

    category: str
    item: str
    budgeted_fen: int | None
    accepted_fen: int
    pending_fen: int
    rejected_fen: int
    last_spent_on: date | None  # the latest accepted expense


def budget_lines(session: Session, grant_id: int, *, public: bool) -> list[LineRow]:
    """One grouped query; ``public``: accepted expenses only (pending and rejected are never read)."""
    latest = (
        select(BudgetVersion.id)
        .where(BudgetVersion.grant_id == grant_id)
        .order_by(BudgetVersion.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    accepted = Expense.status == ExpenseStatus.ACCEPTED.value
    joined = Expense.item_id == BudgetItem.id
    if public:
        joined = and_(joined, accepted)

    def total(status: str):
        return func.coalesce(func.sum(case((Expense.status == status, Expense.amount_fen), else_=0)), 0)

    rows = session.execute(
        select(
            BudgetCategory.name,
            BudgetItem.item,
            BudgetVersionLine.amount_fen,
            total(ExpenseStatus.ACCEPTED.value),
            total(ExpenseStatus.PENDING.value),
            total(ExpenseStatus.REJECTED.value),
            func.max(case((accepted, Expense.spent_on))),
            BudgetItem.position,
        )
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .outerjoin(
            BudgetVersionLine, and_(BudgetVersionLine.item_id == BudgetItem.id, BudgetVersionLine.version_id == latest)
        )
        .outerjoin(Expense, joined)
        .where(BudgetItem.grant_id == grant_id)
        .group_by(
            BudgetItem.id, BudgetItem.position, BudgetItem.item, BudgetCategory.name, BudgetVersionLine.amount_fen
        )
        .order_by(BudgetItem.position, BudgetItem.id)
    )
    # SUM(bigint) is NUMERIC on PostgreSQL: money stays int.
    return [
        LineRow(
            category,
            item,
            None if budgeted is None else int(budgeted),
            int(accepted_fen),
            0 if public else int(pending),
            0 if public else int(rejected),
            last,
        )
        for category, item, budgeted, accepted_fen, pending, rejected, last, _position in rows
    ]


@dataclass(frozen=True)
class ReportRow:
    kind: str
    status: str
    submitted_at: datetime
    beneficiaries: int
    activities_count: int
    passed: bool | None  # its evaluation, if evaluated
    total_points: int | None
    pass_mark: int | None
    evaluated_at: datetime | None


def reports(session: Session, grant_id: int, *, public: bool) -> list[ReportRow]:
    """Mid-term and final reports with their evaluations, one query; ``public``: evaluated reports only."""
    query = (
        select(
            GrantReport.kind,
            GrantReport.status,
            GrantReport.submitted_at,
            GrantReport.beneficiaries,
            GrantReport.activities_count,
            GrantEvaluation.passed,
            GrantEvaluation.total_points,
            GrantEvaluation.pass_mark,
            GrantEvaluation.evaluated_at,
        )
        .outerjoin(GrantEvaluation, GrantEvaluation.report_id == GrantReport.id)
        .where(GrantReport.grant_id == grant_id)
        .order_by(GrantReport.submitted_at, GrantReport.id, GrantEvaluation.id)
    )
    if public:
        query = query.where(GrantReport.status == ReportStatus.EVALUATED.value)
    return [ReportRow(*row) for row in session.execute(query)]
