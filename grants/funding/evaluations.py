"""Evaluating a report with the edition's rubric (中期评估 / 结项评估).

The organizer scores each indicator from 0 to its maximum; the total against the pass mark
decides. A passed mid-term releases the tranches that wait for it (service.condition_refusal
reads the latest evaluation); a failed mid-term suspends the grant (停拨) in the same
transaction, with the reason recorded. A failed final evaluation sends the grant back to in
progress, so the team can submit its final report again.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from grants import audit
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.funding import policy, rubrics
from grants.funding.models import Grant, GrantEvaluation, GrantReport, GrantStatus, ReportKind
from grants.funding.service import lock
from grants.funding.states import ReportStatus, grant_machine, report_machine
from grants.params import whole_number

MAX_COMMENT = 2000


def parse_points(raw: dict[int, str], rubric: rubrics.Rubric) -> dict[int, int]:
    """Points per indicator id, each a whole number from 0 to the indicator's maximum.

    Raises: DomainError naming the indicator that is missing or out of range.
    """
    points = {}
    for indicator in rubric.indicators:
        given = whole_number(raw.get(indicator.id, ""), maximum=indicator.max_points)
        if given is None:
            raise DomainError(
                _("“%(name)s”请填写0到%(max)d之间的整数。", name=indicator.name, max=indicator.max_points),
                field=f"score-{indicator.id}",
            )
        points[indicator.id] = given
    return points


def evaluate_report(
    session: Session, *, actor, report: GrantReport, scores: dict[int, str], comment: str
) -> GrantEvaluation:
    """Score a submitted report and record the outcome.

    Raises:
        NotAllowed: not an organizer of the grant's district.
        InvalidTransition: the report is not waiting for evaluation.
        DomainError: a score out of range, no comment on a failed evaluation, too long a comment.
    """
    grant = session.get(Grant, report.grant_id)
    if not policy.can_manage(actor, grant):
        raise NotAllowed(_("只有主办方可以评估报告。"))
    grant = lock(session, grant)
    session.refresh(report)
    if report.status != ReportStatus.SUBMITTED.value:
        raise InvalidTransition(_("这份报告不在待评估状态。"))
    if grant.status == GrantStatus.TERMINATED.value:
        raise DomainError(_("资助已终止，不能再评估报告。"))
    rubric = rubrics.ensure_rubric(session, grant.edition_id, report.kind)
    points = parse_points(scores, rubric)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(_("评语不能超过%(max)d个字。", max=MAX_COMMENT), field="comment")
    total = sum(points.values())
    passed = total >= rubric.pass_mark
    if not passed and not comment:
        raise DomainError(_("评估未通过时请填写评语，说明原因。"), field="comment")
    evaluation = GrantEvaluation(
        grant_id=grant.id,
        report_id=report.id,
        kind=report.kind,
        scores={str(k): v for k, v in points.items()},
        total_points=total,
        pass_mark=rubric.pass_mark,
        passed=passed,
        comment=comment,
        evaluator_id=actor.id,
    )
    session.add(evaluation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grant_evaluation.record",
        obj=evaluation,
        district_id=grant.edition.district_id,
        after={
            "grant_id": grant.id,
            "kind": report.kind,
            "scores": {i.name: points[i.id] for i in rubric.indicators},
            "total_points": total,
            "pass_mark": rubric.pass_mark,
            "passed": passed,
        },
        reason=comment or None,
    )
    report_machine.transition(session, report, ReportStatus.EVALUATED.value, actor=actor, by_step=True)
    if not passed:
        _after_failure(
            session,
            actor=actor,
            grant=grant,
            kind=report.kind,
            total=total,
            pass_mark=rubric.pass_mark,
            comment=comment,
        )
    return evaluation


def _after_failure(session: Session, *, actor, grant: Grant, kind: str, total: int, pass_mark: int, comment: str):
    if kind == ReportKind.MIDTERM.value:
        if grant.status != GrantStatus.IN_PROGRESS.value:
            return  # already suspended by hand: it stays so
        reason = _(
            "中期评估未通过（%(total)d分，合格分%(mark)d分）：%(comment)s", total=total, mark=pass_mark, comment=comment
        )
        grant_machine.transition(session, grant, GrantStatus.SUSPENDED.value, actor=actor, reason=reason)
        grant.status_reason = reason
    elif grant.status == GrantStatus.COMPLETING.value:
        reason = _(
            "结项评估未通过（%(total)d分，合格分%(mark)d分）：%(comment)s", total=total, mark=pass_mark, comment=comment
        )
        grant_machine.transition(
            session, grant, GrantStatus.IN_PROGRESS.value, actor=actor, reason=reason, by_step=True
        )
    session.flush()
