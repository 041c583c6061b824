"""Records a group's history is made of: activities with hours, round results, ledger entries,
expenses, reports and evaluations, written as rows (the services that write them are tested in
their own domains; here only what the history reads matters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from grants.editions import service as edition_service
from grants.funding.models import BudgetItem, Expense, GrantEvaluation, GrantReport, LedgerEntry
from grants.incubation.models import Activity, GroupMember, VolunteerHours
from grants.judging.models import RoundResult


def add_activity(session, group, *, at: datetime, status: str = "confirmed", served: int = 10, halves=(), by=None):
    """An activity of the group at ``at`` (UTC) with ``halves`` volunteer half hours for its first members."""
    activity = Activity(
        group_id=group.id,
        title="楼道清扫",
        kind="service",
        starts_at=at,
        ends_at=at + timedelta(hours=2),
        place="3号楼",
        participants=5,
        served=served,
        status=status,
        confirmed_by_id=by.id if status == "confirmed" else None,
        confirmed_at=at + timedelta(days=1) if status == "confirmed" else None,
        return_reason="照片不清楚" if status == "returned" else "",
    )
    session.add(activity)
    session.flush()
    members = session.scalars(select(GroupMember).where(GroupMember.group_id == group.id).order_by(GroupMember.id))
    for member, n in zip(members, halves, strict=False):
        session.add(VolunteerHours(activity_id=activity.id, member_id=member.id, halves=n))
    session.flush()
    return activity


def add_round_results(session, grant, *, scores=((2, "81.5", 3), (3, "88.25", 2))):
    """Stored results of the edition's scoring rounds for the grant's proposal: (position, score, rank)."""
    rounds = {r.position: r for r in edition_service.rounds_of(session, grant.edition_id)}
    for position, score, rank in scores:
        session.add(
            RoundResult(
                round_id=rounds[position].id,
                proposal_id=grant.proposal_id,
                score=score,
                round_score=score,
                raw_score=score,
                judges=3,
                stdev=0,
                spread=0,
                rank=rank,
                advanced=True,
            )
        )
    session.flush()


def add_money(session, grant, actor, *, paid: int, spent: int, refunded: int) -> None:
    """A disbursement, an accepted expense and a refund, in fen."""
    session.add(LedgerEntry(grant_id=grant.id, kind="disbursement", amount_fen=paid, ref="PZ-1", actor_id=actor.id))
    if refunded:
        session.add(LedgerEntry(grant_id=grant.id, kind="refund", amount_fen=-refunded, ref="TH-1", actor_id=actor.id))
    item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant.id)).first()
    session.add(
        Expense(
            grant_id=grant.id,
            edition_id=grant.edition_id,
            item_id=item.id,
            spent_on=date(2026, 11, 25),
            payee="花鸟市场",
            amount_fen=spent,
            purpose="花盆",
            invoice_no=f"INV{grant.id}",
            status="accepted",
            recorded_by_id=actor.id,
        )
    )
    session.flush()


def add_evaluation(session, grant, actor, *, kind: str, total: int, passed: bool, at: datetime):
    report = GrantReport(grant_id=grant.id, kind=kind, summary="做了三次活动", submitted_by_id=actor.id)
    session.add(report)
    session.flush()
    session.add(
        GrantEvaluation(
            grant_id=grant.id,
            report_id=report.id,
            kind=kind,
            scores={},
            total_points=total,
            pass_mark=60,
            passed=passed,
            evaluator_id=actor.id,
            evaluated_at=at,
        )
    )
    session.flush()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
