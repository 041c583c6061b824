"""What the disbursement pages read: a grant's tranches with their disbursements (and who
requested, approved and paid each), finance's queue across their districts, and the counts the
home page shows. A fixed number of queries whatever the number of disbursements."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from grants.auth.models import User
from grants.editions.models import Edition
from grants.funding import service
from grants.funding.models import LIVE_DISBURSEMENT_STATUSES, Disbursement, DisbursementStatus, Grant, Tranche
from grants.funding.states import disbursement_status_label
from grants.proposals.models import Proposal

D = DisbursementStatus


@dataclass(frozen=True)
class DisbursementRow:
    """One disbursement with the names of who requested, approved and paid it."""

    disbursement: Disbursement
    requested_by: str
    approved_by: str | None
    paid_by: str | None
    grant_id: int = 0
    grant_title: str = ""
    tranche_name: str = ""
    edition_name: str = ""

    @property
    def status_label(self) -> str:
        return disbursement_status_label(self.disbursement.status)


@dataclass
class TrancheRow:
    tranche: Tranche
    refusal: str | None  # why it may not be paid now, None when its condition holds
    disbursements: list[DisbursementRow] = field(default_factory=list)

    @property
    def live(self) -> DisbursementRow | None:
        return next((r for r in self.disbursements if r.disbursement.status in LIVE_DISBURSEMENT_STATUSES), None)


def _rows_query():
    requester, approver, payer = aliased(User), aliased(User), aliased(User)
    return (
        select(Disbursement, requester.display_name, approver.display_name, payer.display_name)
        .join(requester, requester.id == Disbursement.requested_by_id)
        .outerjoin(approver, approver.id == Disbursement.approved_by_id)
        .outerjoin(payer, payer.id == Disbursement.paid_by_id)
    )


def tranche_rows(session: Session, grant: Grant) -> list[TrancheRow]:
    """Each tranche of the grant, whether its condition holds now, and its disbursements (oldest
    first): a fixed number of queries per tranche (its condition), two for the disbursements."""
    rows = {
        t.id: TrancheRow(t, service.condition_refusal(session, grant, t))
        for t in service.tranches_of(session, grant.id)
    }
    found = session.execute(
        _rows_query().where(Disbursement.grant_id == grant.id).order_by(Disbursement.requested_at, Disbursement.id)
    )
    for disbursement, requested_by, approved_by, paid_by in found:
        rows[disbursement.tranche_id].disbursements.append(
            DisbursementRow(disbursement, requested_by, approved_by, paid_by)
        )
    return list(rows.values())


RECENTLY_PAID = 20


@dataclass
class Queue:
    """What awaits finance across their districts, with totals, and what was paid lately."""

    awaiting_approval: list[DisbursementRow]
    awaiting_payment: list[DisbursementRow]
    recently_paid: list[DisbursementRow]

    @staticmethod
    def total(rows: list[DisbursementRow]) -> int:
        return sum(row.disbursement.amount_fen for row in rows)


def queue(session: Session, district_ids: set[int]) -> Queue:
    """Two queries whatever the number of disbursements: the open ones, and the latest paid."""

    def described(query):
        return (
            query.add_columns(Grant.id, Proposal.title, Tranche.name, Edition.name)
            .join(Grant, Grant.id == Disbursement.grant_id)
            .join(Proposal, Proposal.id == Grant.proposal_id)
            .join(Tranche, Tranche.id == Disbursement.tranche_id)
            .join(Edition, Edition.id == Grant.edition_id)
            .where(Edition.district_id.in_(district_ids or {-1}))
        )

    def rows(result) -> list[DisbursementRow]:
        return [DisbursementRow(*values) for values in result]

    open_rows = rows(
        session.execute(
            described(_rows_query())
            .where(Disbursement.status.in_((D.REQUESTED.value, D.APPROVED.value)))
            .order_by(Disbursement.requested_at, Disbursement.id)
        )
    )
    paid = rows(
        session.execute(
            described(_rows_query())
            .where(Disbursement.status == D.PAID.value)
            .order_by(Disbursement.paid_on.desc(), Disbursement.id.desc())
            .limit(RECENTLY_PAID)
        )
    )
    return Queue(
        awaiting_approval=[r for r in open_rows if r.disbursement.status == D.REQUESTED.value],
        awaiting_payment=[r for r in open_rows if r.disbursement.status == D.APPROVED.value],
        recently_paid=paid,
    )
