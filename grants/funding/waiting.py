"""What waits for whom in the funding of grants, for the home page's list (grants/main/service.py).

Finance approves and records disbursements; the district's organizer evaluates submitted reports
and decides budget changes (the tranches it may request are the overview's); a community's
staff review the expenses its teams record; a team's lead resubmits a returned report. Each is
one query over the grants of the person's districts, communities or own proposals.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from grants.editions.models import Edition
from grants.funding.models import (
    BudgetChange,
    Disbursement,
    DisbursementStatus,
    Expense,
    ExpenseStatus,
    Grant,
    GrantReport,
    GrantStatus,
)
from grants.funding.states import ReportStatus
from grants.proposals.models import Proposal


@dataclass(frozen=True)
class Waiting:
    grant_id: int
    title: str  # the proposal's
    report_id: int | None = None
    report_kind: str = ""
    count: int = 1  # expenses waiting


def _grants_of_districts(district_ids: set[int]):
    return select(Grant.id).join(Edition, Edition.id == Grant.edition_id).where(Edition.district_id.in_(district_ids))


def disbursements_waiting(session: Session, district_ids: set[int], *, user_id: int) -> tuple[int, int]:
    """For the home page, in one query: requests this finance person may approve (not their own),
    and approved disbursements awaiting the payment record, across their districts."""
    to_approve, to_pay = session.execute(
        select(
            func.count().filter(
                Disbursement.status == DisbursementStatus.REQUESTED.value, Disbursement.requested_by_id != user_id
            ),
            func.count().filter(Disbursement.status == DisbursementStatus.APPROVED.value),
        ).where(Disbursement.grant_id.in_(_grants_of_districts(district_ids)))
    ).one()
    return int(to_approve), int(to_pay)


def reports_to_evaluate(session: Session, district_ids: set[int]) -> list[Waiting]:
    """Submitted reports of the districts' grants, the oldest first."""
    if not district_ids:
        return []
    rows = session.execute(
        select(GrantReport.grant_id, Proposal.title, GrantReport.id, GrantReport.kind)
        .join(Grant, Grant.id == GrantReport.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .where(
            GrantReport.status == ReportStatus.SUBMITTED.value,
            GrantReport.grant_id.in_(_grants_of_districts(district_ids)),
        )
        .order_by(GrantReport.submitted_at, GrantReport.id)
    )
    return [Waiting(grant_id, title, report_id, kind) for grant_id, title, report_id, kind in rows]


def budget_changes_to_decide(session: Session, district_ids: set[int]) -> list[Waiting]:
    """Grants of the districts with a budget change waiting for a decision (at most one each)."""
    if not district_ids:
        return []
    rows = session.execute(
        select(BudgetChange.grant_id, Proposal.title)
        .join(Grant, Grant.id == BudgetChange.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .where(BudgetChange.status == "requested", BudgetChange.grant_id.in_(_grants_of_districts(district_ids)))
        .order_by(BudgetChange.id)
    )
    return [Waiting(grant_id, title) for grant_id, title in rows]


def expenses_to_review(session: Session, community_ids: set[int]) -> list[Waiting]:
    """Grants of the communities' teams with expenses waiting for review, and how many."""
    if not community_ids:
        return []
    rows = session.execute(
        select(Expense.grant_id, Proposal.title, func.count(Expense.id))
        .join(Grant, Grant.id == Expense.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .where(Expense.status == ExpenseStatus.PENDING.value, Proposal.community_id.in_(community_ids))
        .group_by(Expense.grant_id, Proposal.title)
        .order_by(func.min(Expense.id))
    )
    return [Waiting(grant_id, title, count=n) for grant_id, title, n in rows]


def returned_reports(session: Session, user_id: int) -> list[Waiting]:
    """The user's grants in progress whose latest report of a kind was returned for correction."""
    later = aliased(GrantReport)
    rows = session.execute(
        select(GrantReport.grant_id, Proposal.title, GrantReport.id, GrantReport.kind)
        .join(Grant, Grant.id == GrantReport.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .where(
            Proposal.applicant_id == user_id,
            Grant.status == GrantStatus.IN_PROGRESS.value,
            GrantReport.status == ReportStatus.RETURNED.value,
            ~select(later.id)
            .where(later.grant_id == GrantReport.grant_id, later.kind == GrantReport.kind, later.id > GrantReport.id)
            .exists(),
        )
        .order_by(GrantReport.id)
    )
    return [Waiting(grant_id, title, report_id, kind) for grant_id, title, report_id, kind in rows]
