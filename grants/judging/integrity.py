"""Judging integrity where a score is written: a sheet whose judge has a conflict of interest with
the proposal, or no longer holds the judge role for the edition, is never saved, submitted or
counted.

Registering a conflict withdraws the judge's sheets of that proposal (saved or submitted) in the
edition's rounds that are not closed. Revoking the judge role withdraws the judge's open sheets
and holds the submitted ones until the organizer keeps or discards each. The auth layer knows
nothing of judging: it calls the hook registered at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from grants.auth import policy as auth_policy
from grants.auth import service as auth_service
from grants.auth.models import Role, RoleGrant, User
from grants.editions import policy as edition_policy
from grants.editions.models import Round, ScoringMode
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging.models import Assignment, ConflictOfInterest
from grants.judging.states import SheetStatus, WithdrawalCause, sheet_machine, withdrawal_cause_label
from grants.proposals.models import Proposal
from grants.timeutil import now

LISTED = 10  # sheets named in a refusal message before "…"


def in_conflict(edition_id):
    """SQL: the sheet's judge has a declared conflict with the sheet's proposal in the edition
    (an id, or a column of the enclosing query such as ``Round.edition_id``)."""
    return exists().where(
        ConflictOfInterest.judge_id == Assignment.judge_id,
        ConflictOfInterest.proposal_id == Assignment.proposal_id,
        ConflictOfInterest.edition_id == edition_id,
    )


# Built once: asked on every visit of a score sheet.
_DECLARED_CONFLICT = select(ConflictOfInterest.id).where(
    ConflictOfInterest.edition_id == bindparam("edition_id"),
    ConflictOfInterest.judge_id == bindparam("judge_id"),
    ConflictOfInterest.proposal_id == bindparam("proposal_id"),
)


def has_conflict(session: Session, assignment: Assignment) -> bool:
    values = {
        "edition_id": assignment.round.edition_id,
        "judge_id": assignment.judge_id,
        "proposal_id": assignment.proposal_id,
    }
    return session.scalar(_DECLARED_CONFLICT, values) is not None


def sheet_block(
    session: Session, assignment: Assignment, *, conflicts: set[tuple[int, int]] | None = None
) -> str | None:
    """Why this sheet may not be written by anyone (withdrawn, held, judge revoked, in conflict), or None.

    ``conflicts`` ((judge, proposal) pairs of the edition) spares a query per sheet in bulk imports.
    """
    if assignment.status == SheetStatus.WITHDRAWN:
        if assignment.withdrawal_cause == WithdrawalCause.CONFLICT:
            return _("这张评分表已因利益冲突撤回（%(reason)s），不能保存或提交。", reason=assignment.withdrawal_reason)
        return _(
            "这张评分表已撤回（%(cause)s），不能保存或提交。", cause=withdrawal_cause_label(assignment.withdrawal_cause)
        )
    if assignment.status == SheetStatus.HELD:
        return _("评委的评审资格已撤销，这张评分表等待主办方决定保留或作废。")
    if not auth_policy.is_judge(assignment.judge, assignment.round.edition_id):
        return _("评委的评审资格已撤销，不能保存或提交评分。")
    if conflicts is not None:
        conflicted = (assignment.judge_id, assignment.proposal_id) in conflicts
    else:
        conflicted = has_conflict(session, assignment)
    if conflicted:
        return _("评委与这个项目有利益冲突，不能保存或提交评分。")
    return None


def sheet_problem(session: Session, assignment: Assignment) -> str | None:
    """Why this sheet cannot be saved or submitted now, or None: integrity first, then the round
    and the lock."""
    if block := sheet_block(session, assignment):
        return block
    if assignment.round.status != RoundStatus.OPEN.value:
        return _("本轮评审没有在进行中。")
    if assignment.status == SheetStatus.SUBMITTED:
        return _("评分表已提交并锁定，如需修改请联系主办方解锁。")
    return None


def _open_sheets(session: Session, *, edition_id: int, judge_id: int, proposal_id: int | None = None):
    """The judge's sheets in the edition's rounds that are not closed (a closed round is history)."""
    query = (
        select(Assignment)
        .join(Round, Round.id == Assignment.round_id)
        .where(
            Round.edition_id == edition_id,
            Round.status != RoundStatus.CLOSED.value,
            Assignment.judge_id == judge_id,
        )
        .order_by(Assignment.id)
    )
    if proposal_id is not None:
        query = query.where(Assignment.proposal_id == proposal_id)
    return list(session.scalars(query).unique())


def _mark(session: Session, assignment: Assignment, target: str, *, actor, cause: str, reason: str) -> None:
    assignment.withdrawal_cause, assignment.withdrawal_reason = cause, reason
    assignment.withdrawn_by_id, assignment.withdrawn_at = getattr(actor, "id", None), now()
    label = withdrawal_cause_label(cause)
    sheet_machine.transition(session, assignment, target, actor=actor, reason=f"{label}：{reason}")


def withdraw_for_conflict(session: Session, *, actor, edition_id: int, judge_id: int, proposal_id: int, reason: str):
    """Withdraw every sheet of this judge for this proposal (saved, submitted or held); returns their ids.

    Each withdrawal records who, when and the conflict's reason, and is audited.
    """
    withdrawn = []
    for assignment in _open_sheets(session, edition_id=edition_id, judge_id=judge_id, proposal_id=proposal_id):
        if assignment.status == SheetStatus.WITHDRAWN:
            continue
        _mark(
            session, assignment, SheetStatus.WITHDRAWN.value, actor=actor, cause=WithdrawalCause.CONFLICT, reason=reason
        )
        withdrawn.append(assignment.id)
    return withdrawn


def withdraw_for_revoked_judge(session: Session, actor, grant: RoleGrant) -> None:
    """Revoking a judge role: open sheets are withdrawn, submitted ones held for the organizer."""
    if grant.role != Role.JUDGE.value or grant.edition_id is None:
        return
    reason = _("%(name)s的评审资格已撤销", name=grant.user.display_name)
    for assignment in _open_sheets(session, edition_id=grant.edition_id, judge_id=grant.user_id):
        if assignment.status == SheetStatus.ASSIGNED:
            target = SheetStatus.WITHDRAWN.value
        elif assignment.status == SheetStatus.SUBMITTED:
            target = SheetStatus.HELD.value
        else:
            continue
        _mark(session, assignment, target, actor=actor, cause=WithdrawalCause.ROLE_REVOKED, reason=reason)


auth_service.on_role_revoked(withdraw_for_revoked_judge)


def decide_held_sheet(session: Session, *, actor, assignment: Assignment, keep: bool, reason: str) -> None:
    """The organizer keeps (counts) or discards a submitted sheet whose judge lost the role.

    Raises:
        NotAllowed: not the edition's organizer.
        DomainError: the sheet is not waiting for this decision, the round is not open, no reason.
    """
    if not edition_policy.can_manage_round(actor, assignment.round):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if assignment.status != SheetStatus.HELD:
        raise DomainError(_("这张评分表不在等待决定的状态。"))
    if assignment.round.status == RoundStatus.CLOSED.value:
        raise DomainError(_("本轮已结束。"))
    if keep and has_conflict(session, assignment):
        raise DomainError(_("评委与这个项目有利益冲突，这张评分表不能保留。"))
    target = SheetStatus.SUBMITTED.value if keep else SheetStatus.WITHDRAWN.value
    sheet_machine.transition(session, assignment, target, actor=actor, reason=reason)


@dataclass(frozen=True)
class BlockedSheet:
    """A sheet that keeps a round from closing: held for a decision, or withdrawn and not reassigned."""

    assignment_id: int
    proposal_id: int
    title: str
    judge_id: int
    judge_name: str
    status: str
    cause: str | None
    reason: str | None


def _blocking_sheets_query(*, panel: bool):
    conflicted = and_(Assignment.status == SheetStatus.SUBMITTED.value, in_conflict(bindparam("edition_id")))
    wanted = [Assignment.status == SheetStatus.HELD.value]
    if not panel:
        wanted += [Assignment.status == SheetStatus.WITHDRAWN.value, conflicted]
    return (
        select(
            Assignment.id,
            Assignment.proposal_id,
            Proposal.title,
            Assignment.judge_id,
            User.display_name,
            Assignment.status,
            Assignment.withdrawal_cause,
            Assignment.withdrawal_reason,
        )
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(User, User.id == Assignment.judge_id)
        .where(Assignment.round_id == bindparam("round_id"), or_(*wanted))
        .order_by(Assignment.proposal_id, Assignment.judge_id)
    )


# Built once (the organizer's round pages read them on every visit): a panel round, or not.
_BLOCKING_SHEETS = {panel: _blocking_sheets_query(panel=panel) for panel in (True, False)}


def blocking_sheets(session: Session, rnd: Round) -> tuple[list[BlockedSheet], list[BlockedSheet]]:
    """(held, to reassign) sheets of a round, in one query.

    Held sheets wait for the organizer. In a round with k judges per proposal, a withdrawn sheet
    (or a submitted one whose judge has since been found in conflict) leaves its proposal short
    and must be reassigned; a panel round simply has one judge fewer for that proposal.
    """
    query = _BLOCKING_SHEETS[rnd.mode == ScoringMode.PANEL]
    rows = session.execute(query, {"round_id": rnd.id, "edition_id": rnd.edition_id}).all()
    sheets = [BlockedSheet(*row) for row in rows]
    held = [s for s in sheets if s.status == SheetStatus.HELD]
    return held, [s for s in sheets if s.status != SheetStatus.HELD]


def listing(sheets: list[BlockedSheet]) -> str:
    """ "评委（项目）、…" for a refusal message, the first few only."""
    text = _("、").join(_("%(judge)s（%(title)s）", judge=s.judge_name, title=s.title) for s in sheets[:LISTED])
    return text + ("……" if len(sheets) > LISTED else "")
