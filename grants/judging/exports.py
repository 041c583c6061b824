"""Exports of a scoring round: the raw sheets (everything needed to recompute the ranking outside
the platform), the round summary (评审汇总表) and one judge's sheets (评分表)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import money
from grants.editions.models import Round
from grants.judging import closing, integrity, scoring
from grants.judging.models import Assignment, JudgeGroup, JudgeGroupMember, Score
from grants.judging.states import SheetStatus, sheet_status_label
from grants.reports.tables import Table
from grants.timeutil import format_local


def raw_sheets(session: Session, rnd: Round) -> Table:
    """One row per submitted sheet and criterion, in a fixed order (judge, proposal, criterion)."""
    group_names = dict(
        session.execute(
            select(JudgeGroupMember.judge_id, JudgeGroup.name)
            .join(JudgeGroup, JudgeGroup.id == JudgeGroupMember.group_id)
            .where(JudgeGroupMember.round_id == rnd.id)
        ).all()
    )
    criteria = {c.id: c for c in rnd.criteria}
    rows = session.execute(
        select(Assignment, Score.criterion_id, Score.points)
        .join(Score, Score.assignment_id == Assignment.id)
        .where(
            Assignment.round_id == rnd.id,
            Assignment.status == SheetStatus.SUBMITTED.value,
            ~integrity.in_conflict(rnd.edition_id),  # the sheets the ranking counts, no others
        )
        .order_by(Assignment.judge_id, Assignment.proposal_id, Score.criterion_id)
    ).unique()
    table = Table(
        title=_("原始评分"),
        headers=[
            _("轮次编号"),
            _("轮次"),
            _("项目编号"),
            _("项目名称"),
            _("评委编号"),
            _("评委"),
            _("评委组"),
            _("评分标准编号"),
            _("评分标准"),
            _("满分"),
            _("得分"),
            _("提交时间"),
            _("代录入"),
        ],
    )
    for assignment, criterion_id, points in rows:
        criterion = criteria[criterion_id]
        table.rows.append(
            [
                rnd.id,
                rnd.name,
                assignment.proposal_id,
                assignment.proposal.title,
                assignment.judge_id,
                assignment.judge.display_name,
                group_names.get(assignment.judge_id, ""),
                criterion_id,
                criterion.name,
                criterion.max_points,
                str(points),
                format_local(assignment.submitted_at) if assignment.submitted_at else "",
                _("是") if assignment.entered_by_id else _("否"),
            ]
        )
    return table


def summary(session: Session, rnd: Round) -> tuple[Table, bool]:
    """(评审汇总表, final): the stored results of a closed round, else the preview."""
    final = rnd.status == "closed"
    rows = closing.stored_results(session, rnd, with_proposals=True) if final else closing.rank_round(session, rnd).rows
    proposals = (
        {r.proposal.id: r.proposal for r in rows}
        if final
        else closing.load_proposals(session, [r.proposal_id for r in rows])
    )
    table = Table(
        title=_("评审汇总"),
        headers=[
            _("名次"),
            _("项目编号"),
            _("项目名称"),
            _("社区"),
            _("得分"),
            _("本轮得分"),
            _("原始分"),
            _("标准化分"),
            _("评委数"),
            _("标准差"),
            _("极差"),
            _("晋级"),
            _("奖项"),
            _("核定金额（元）"),
        ],
    )
    for row in rows:
        proposal = proposals[row.proposal_id]
        table.rows.append(
            [
                row.rank,
                proposal.id,
                proposal.title,
                proposal.community.name if proposal.community else "",
                scoring.format_points(row.score),
                scoring.format_points(row.round_score),
                scoring.format_points(row.raw_score),
                scoring.format_points(row.normalised_score) if row.normalised_score is not None else "",
                row.judges,
                scoring.format_points(row.stdev),
                scoring.format_points(row.spread),
                _("是") if row.advanced else _("否"),
                getattr(row, "tier", None) or "",
                str(money.fen_to_decimal(row.approved_fen)) if getattr(row, "approved_fen", None) else "",
            ]
        )
    return table, final


def judge_sheet(session: Session, rnd: Round, judge_id: int) -> Table:
    """One judge's sheets: a row per proposal with the points per criterion, total and comment."""
    from grants.judging.sheets import sheets_of

    table = Table(
        title=_("评分表"),
        headers=[
            _("项目编号"),
            _("项目名称"),
            *[f"{c.name}（{c.max_points}）" for c in rnd.criteria],
            _("总分"),
            _("评语"),
            _("状态"),
        ],
    )
    for assignment in sheets_of(session, rnd, judge_id=judge_id):
        points = assignment.points_by_criterion()
        table.rows.append(
            [
                assignment.proposal_id,
                assignment.proposal.title,
                *[str(points[c.id]) if c.id in points else "" for c in rnd.criteria],
                str(sum(points.values())) if points else "",
                assignment.comment,
                _("未提交") if assignment.status == SheetStatus.ASSIGNED else sheet_status_label(assignment.status),
            ]
        )
    return table
