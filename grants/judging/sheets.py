"""Scoring rounds: who scores what (assignment), score sheets (save, submit, lock, unlock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from grants import audit
from grants.auth import policy as auth_policy
from grants.auth.models import Role, RoleGrant, User
from grants.editions import policy as edition_policy
from grants.editions.models import Round, RoundKind, ScoringMode
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging import integrity
from grants.judging.assignment import AssignmentImpossible, assign
from grants.judging.closing import proposals_in_round
from grants.judging.models import Assignment, ConflictOfInterest, Score
from grants.judging.states import SheetStatus, sheet_machine
from grants.notifications import events as notification_events
from grants.proposals.models import Proposal
from grants.timeutil import now


def judges_of_edition(session: Session, edition_id: int) -> list[User]:
    """The edition's active judges, each with the community they live in (the pool page shows it)."""
    return list(
        session.scalars(
            select(User)
            .options(joinedload(User.community))
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.JUDGE.value, RoleGrant.edition_id == edition_id, User.active.is_(True))
            .order_by(User.id)
        ).unique()
    )


def conflicts(session: Session, edition_id: int, judges: list[User], proposals: list[Proposal]) -> set[tuple[int, int]]:
    """(judge, proposal) pairs to avoid: declared conflicts and judges living in the proposal's community."""
    pairs: set[tuple[int, int]] = {
        tuple(row)
        for row in session.execute(
            select(ConflictOfInterest.judge_id, ConflictOfInterest.proposal_id).where(
                ConflictOfInterest.edition_id == edition_id
            )
        ).all()
    }
    for judge in judges:
        if judge.community_id is not None:
            pairs |= {(judge.id, p.id) for p in proposals if p.community_id == judge.community_id}
    return pairs


def assign_round(session: Session, *, actor, rnd: Round) -> int:
    """Create the round's score sheets (k judges per proposal, or the whole panel); returns how many.

    Existing sheets are kept, so running it again after new proposals or judges only fills gaps.

    Raises:
        NotAllowed: not the edition's organizer.
        DomainError: not a scoring round still open for assignment, no judges, or too few
            judges without a conflict for some proposal.
    """
    if not edition_policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if rnd.kind != RoundKind.SCORING or rnd.status == RoundStatus.CLOSED.value:
        raise DomainError(_("只能为未结束的评分轮次分配评委。"))
    judges = judges_of_edition(session, rnd.edition_id)
    proposals = proposals_in_round(session, rnd)
    if not judges:
        raise DomainError(_("这届大赛还没有评审专家，请先在角色管理中添加。"))
    blocked = conflicts(session, rnd.edition_id, judges, proposals)
    existing = session.execute(
        select(Assignment.proposal_id, Assignment.judge_id).where(Assignment.round_id == rnd.id)
    ).all()
    already: dict[int, list[int]] = {}
    for proposal_id, judge_id in existing:
        already.setdefault(proposal_id, []).append(judge_id)
    judge_ids = [j.id for j in judges]
    if rnd.mode == ScoringMode.PANEL:
        wanted = {p.id: [j for j in judge_ids if (j, p.id) not in blocked] for p in proposals}
    else:
        try:
            wanted = assign([p.id for p in proposals], judge_ids, rnd.judges_per_proposal, blocked, already).by_proposal
        except AssignmentImpossible as err:
            raise DomainError(
                _("有项目找不到足够的无利益冲突评委（需要%(k)d位，只有%(n)d位）。", k=err.needed, n=err.available)
            ) from err
    created = 0
    for proposal_id, judge_list in wanted.items():
        for judge_id in judge_list:
            if judge_id not in already.get(proposal_id, []):
                session.add(Assignment(round_id=rnd.id, judge_id=judge_id, proposal_id=proposal_id))
                created += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.assign",
        obj=rnd,
        district_id=rnd.edition.district_id,
        after={"sheets_created": created, "proposals": len(proposals), "judges": len(judges)},
    )
    return created


def parse_points(raw: dict[int, str], rnd: Round, *, complete: bool) -> dict[int, Decimal]:
    """Points per criterion from form text; each between 0 and the criterion's maximum.

    Raises: DomainError naming the criterion.
    """
    points: dict[int, Decimal] = {}
    for criterion in rnd.criteria:
        text = (raw.get(criterion.id) or "").strip()
        if not text:
            if complete:
                raise DomainError(_("请为“%(name)s”打分。", name=criterion.name), field=f"c{criterion.id}")
            continue
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise DomainError(_("“%(name)s”的分数必须是数字。", name=criterion.name), field=f"c{criterion.id}") from exc
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(criterion.max_points or 0):
            raise DomainError(
                _("“%(name)s”的分数应在0到%(max)d之间。", name=criterion.name, max=criterion.max_points),
                field=f"c{criterion.id}",
            )
        if value != value.quantize(Decimal("0.01")):
            raise DomainError(_("“%(name)s”的分数最多保留两位小数。", name=criterion.name), field=f"c{criterion.id}")
        points[criterion.id] = value.quantize(Decimal("0.01"))
    return points


def save_sheet(
    session: Session,
    *,
    actor,
    assignment: Assignment,
    raw_points: dict[int, str],
    comment: str,
    submit: bool,
    on_behalf: bool = False,
    at: datetime | None = None,
) -> Assignment:
    """Save a judge's sheet; with ``submit`` it must be complete and is locked afterwards.

    With ``on_behalf`` the organizer enters a judge's paper sheet (路演现场): the sheet is marked
    as a proxy entry and the entry is audited.

    Raises:
        NotAllowed: not this sheet's judge (or, on behalf, not the edition's organizer).
        DomainError: the sheet is withdrawn or held, its judge lost the role or is in conflict with
            the proposal, the round is not open, the sheet is locked, or a score is out of range.
    """
    if on_behalf:
        if not edition_policy.can_manage_round(actor, assignment.round):
            raise NotAllowed(_("您没有权限执行此操作。"))
    elif not getattr(actor, "is_authenticated", False) or actor.id != assignment.judge_id:
        raise NotAllowed(_("这不是分配给您的评分表。"))
    if problem := integrity.sheet_problem(session, assignment):
        raise DomainError(problem)
    points = parse_points(raw_points, assignment.round, complete=submit)
    if len(comment or "") > 2000:
        raise DomainError(_("评语不能超过2000个字符。"), field="comment")
    existing = {s.criterion_id: s for s in assignment.scores}
    for criterion_id, value in points.items():
        if criterion_id in existing:
            existing[criterion_id].points = value
        else:
            assignment.scores.append(Score(criterion_id=criterion_id, points=value))
    assignment.comment = (comment or "").strip()
    if on_behalf:
        assignment.entered_by_id = actor.id
    session.flush()
    if on_behalf:
        audit.record(
            session,
            actor=actor,
            action="sheet.proxy_entry",
            obj=assignment,
            district_id=assignment.round.edition.district_id,
            after={
                "judge_id": assignment.judge_id,
                "proposal_id": assignment.proposal_id,
                "points": {str(k): str(v) for k, v in points.items()},
                "submitted": submit,
            },
        )
    if submit:
        sheet_machine.transition(session, assignment, SheetStatus.SUBMITTED.value, actor=actor)
        assignment.submitted_at = at or now()
        session.flush()
    return assignment


def unlock_sheet(session: Session, *, actor, assignment: Assignment, reason: str) -> None:
    """The organizer reopens a submitted sheet (audited with the reason); no score is discarded."""
    if assignment.round.status != RoundStatus.OPEN.value:
        raise DomainError(_("本轮评审没有在进行中。"))
    sheet_machine.transition(session, assignment, SheetStatus.ASSIGNED.value, actor=actor, reason=reason)


class QueueRow(NamedTuple):
    """One line of a judge's queue: only what the page shows."""

    id: int
    status: str
    title: str
    round_name: str
    has_scores: bool


def _judge_queue_query():
    has_scores = select(Score.id).where(Score.assignment_id == Assignment.id).exists()
    return (
        select(Assignment.id, Assignment.status, Proposal.title, Round.name, has_scores)
        .join(Round, Round.id == Assignment.round_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            Assignment.judge_id == bindparam("judge_id"),
            Round.status == RoundStatus.OPEN.value,
            Round.edition_id.in_(bindparam("edition_ids", expanding=True)),
            Assignment.status.in_([SheetStatus.ASSIGNED.value, SheetStatus.SUBMITTED.value]),
        )
        .order_by(Assignment.round_id, Assignment.proposal_id)
    )


# Built once: the queue is what every judge opens the evening before a deadline (issue 12 item 9).
_JUDGE_QUEUE = _judge_queue_query()


def judge_queue(session: Session, judge: User) -> list[QueueRow]:
    """The judge's live sheets in open rounds of the editions they judge, by round then proposal, in one query."""
    edition_ids = sorted(auth_policy.judge_edition_ids(judge)) or [-1]
    # Columns only: run on the session's connection, without the ORM's result machinery.
    rows = session.connection().execute(_JUDGE_QUEUE, {"judge_id": judge.id, "edition_ids": edition_ids})
    return [QueueRow(*row) for row in rows]


def next_to_score(queue: Sequence[QueueRow], after_id: int) -> tuple[QueueRow | None, int]:
    """The sheet a judge scores after ``after_id`` and how many are still to score: the first still
    to score that follows it in the queue's order (round, then proposal), else the first before
    it; None when none is left."""
    position = next((i for i, row in enumerate(queue) if row.id == after_id), -1)
    ordered = [*queue[position + 1 :], *queue[: max(position, 0)]]
    waiting = [row for row in ordered if row.status == SheetStatus.ASSIGNED]
    return (waiting[0] if waiting else None), len(waiting)


class JudgeRef(NamedTuple):
    id: int
    display_name: str


class MissingSheet(NamedTuple):
    id: int
    title: str


_PROGRESS = (
    select(Assignment.id, Assignment.judge_id, User.display_name, Assignment.status, Proposal.title)
    .join(User, User.id == Assignment.judge_id)
    .join(Proposal, Proposal.id == Assignment.proposal_id)
    .where(Assignment.round_id == bindparam("round_id"))
    .order_by(Assignment.judge_id, Assignment.proposal_id)
)


def progress_by_judge(session: Session, rnd: Round) -> list[tuple[JudgeRef, int, int, list[MissingSheet]]]:
    """(judge, assigned, submitted, missing sheets) for the round's completeness view, in one query."""
    rows = session.execute(_PROGRESS, {"round_id": rnd.id})
    by_judge: dict[int, tuple[JudgeRef, list]] = {}
    for assignment_id, judge_id, name, status, title in rows:
        judge, sheets = by_judge.setdefault(judge_id, (JudgeRef(judge_id, name), []))
        sheets.append((status, MissingSheet(assignment_id, title)))
    result = []
    for judge, sheets in by_judge.values():
        missing = [sheet for status, sheet in sheets if status == SheetStatus.ASSIGNED]
        submitted = sum(1 for status, _sheet in sheets if status == SheetStatus.SUBMITTED)
        result.append((judge, len(sheets), submitted, missing))
    return result


def remind_late_judges(session: Session, *, actor, rnd: Round, message: str) -> int:
    """Post the organizer's reminder on the queue of every judge with missing sheets; returns how many.

    Raises: NotAllowed (not the organizer); DomainError (round not open, message too long).
    """
    if not edition_policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if rnd.status != RoundStatus.OPEN.value:
        raise DomainError(_("本轮评审没有在进行中。"))
    message = (message or "").strip()
    if len(message) > 500:
        raise DomainError(_("提醒内容不能超过500个字符。"), field="message")
    late = [judge for judge, _assigned, _submitted, missing in progress_by_judge(session, rnd) if missing]
    rnd.reminder, rnd.reminded_at = message, now()
    audit.record(
        session,
        actor=actor,
        action="round.remind",
        obj=rnd,
        district_id=rnd.edition.district_id,
        after={"judges": [j.id for j in late], "message": message},
    )
    notification_events.judges_reminded(session, rnd, [j.id for j in late], message)
    return len(late)


class Reminder(NamedTuple):
    name: str
    reminder: str


_REMINDERS = (
    select(Round.name, Round.reminder, func.count(Assignment.id))
    .join(Assignment, Assignment.round_id == Round.id)
    .where(
        Assignment.judge_id == bindparam("judge_id"),
        Assignment.status == SheetStatus.ASSIGNED.value,
        Round.status == RoundStatus.OPEN.value,
        Round.reminded_at.is_not(None),
    )
    .group_by(Round.id, Round.name, Round.reminder)
    .order_by(Round.id)
)


def reminders_for(session: Session, judge_id: int) -> list[tuple[Reminder, int]]:
    """(round, missing sheets) for each open round whose organizer reminded this late judge."""
    rows = session.connection().execute(_REMINDERS, {"judge_id": judge_id}).all()
    return [(Reminder(name, reminder), count) for name, reminder, count in rows]


def sheets_of(session: Session, rnd: Round, *, judge_id: int | None = None, proposal_id: int | None = None):
    """The round's sheets of one judge or one proposal, with their scores."""
    query = select(Assignment).where(Assignment.round_id == rnd.id)
    if judge_id is not None:
        query = query.where(Assignment.judge_id == judge_id)
    if proposal_id is not None:
        query = query.where(Assignment.proposal_id == proposal_id)
    return list(session.scalars(query.order_by(Assignment.judge_id, Assignment.proposal_id)).unique())
