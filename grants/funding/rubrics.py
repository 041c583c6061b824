"""An edition's evaluation rubrics (评估指标): per kind (mid-term, final) the indicators with their
maximum points, the pass mark and the date reports are due.

Sensible defaults are created the first time a rubric is needed. Indicators and the pass mark
are fixed once a report of that kind has been evaluated in the edition (evaluations keep the
indicator ids they were scored on); the due date stays editable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit
from grants.editions.models import Edition
from grants.errors import DomainError, NotAllowed
from grants.funding import policy
from grants.funding.models import EvaluationIndicator, EvaluationRubric, Grant, GrantEvaluation, ReportKind

KINDS = (ReportKind.MIDTERM.value, ReportKind.FINAL.value)
MAX_INDICATORS = 10
MAX_NAME = 60
MAX_POINTS = 1000
DEFAULT_PASS_MARK = 60


@dataclass(frozen=True)
class Indicator:
    name: str
    max_points: int


@dataclass(frozen=True)
class Rubric:
    kind: str
    indicators: list[EvaluationIndicator]
    pass_mark: int
    due_on: date | None

    @property
    def total(self) -> int:
        return sum(i.max_points for i in self.indicators)


def kind_labels() -> dict[str, str]:
    return {ReportKind.MIDTERM.value: _("中期"), ReportKind.FINAL.value: _("结项")}


def default_indicators() -> list[Indicator]:
    return [
        Indicator(_("项目执行"), 30),
        Indicator(_("资金使用"), 25),
        Indicator(_("居民参与"), 25),
        Indicator(_("档案规范"), 20),
    ]


def _indicators(session: Session, edition_id: int, kind: str) -> list[EvaluationIndicator]:
    return list(
        session.scalars(
            select(EvaluationIndicator)
            .where(EvaluationIndicator.edition_id == edition_id, EvaluationIndicator.kind == kind)
            .order_by(EvaluationIndicator.position)
        )
    )


def ensure_rubric(session: Session, edition_id: int, kind: str) -> Rubric:
    """The edition's rubric of this kind, creating the defaults the first time it is needed."""
    row = session.scalar(
        select(EvaluationRubric).where(EvaluationRubric.edition_id == edition_id, EvaluationRubric.kind == kind)
    )
    if row is None:
        row = EvaluationRubric(edition_id=edition_id, kind=kind, pass_mark=DEFAULT_PASS_MARK)
        session.add(row)
        session.flush()
    indicators = _indicators(session, edition_id, kind)
    if not indicators:
        indicators = [
            EvaluationIndicator(edition_id=edition_id, kind=kind, position=i, name=d.name, max_points=d.max_points)
            for i, d in enumerate(default_indicators(), start=1)
        ]
        session.add_all(indicators)
        session.flush()
    return Rubric(kind, indicators, row.pass_mark, row.due_on)


def current(session: Session, edition_id: int, kind: str) -> Rubric:
    """The rubric to show: the stored one, or the defaults it will start from (nothing written)."""
    row = session.scalar(
        select(EvaluationRubric).where(EvaluationRubric.edition_id == edition_id, EvaluationRubric.kind == kind)
    )
    indicators = _indicators(session, edition_id, kind) or [
        EvaluationIndicator(kind=kind, position=i, name=d.name, max_points=d.max_points)
        for i, d in enumerate(default_indicators(), start=1)
    ]
    return Rubric(kind, indicators, row.pass_mark if row else DEFAULT_PASS_MARK, row.due_on if row else None)


def locked(session: Session, edition_id: int, kind: str) -> bool:
    """True once a report of this kind has been evaluated in the edition."""
    evaluated = (
        select(GrantEvaluation.id)
        .join(Grant, Grant.id == GrantEvaluation.grant_id)
        .where(Grant.edition_id == edition_id, GrantEvaluation.kind == kind)
        .limit(1)
    )
    return session.scalar(evaluated) is not None


def check_indicators(indicators: list[Indicator], pass_mark: int) -> list[Indicator]:
    """The indicators cleaned, checked with the pass mark.

    Raises: DomainError naming the row or the rule that is broken.
    """
    cleaned = [Indicator(i.name.strip(), i.max_points) for i in indicators]
    if not cleaned:
        raise DomainError(_("请至少填写一项评估指标。"))
    if len(cleaned) > MAX_INDICATORS:
        raise DomainError(_("评估指标最多%(n)d项。", n=MAX_INDICATORS))
    names = set()
    for n, indicator in enumerate(cleaned, start=1):
        if not indicator.name:
            raise DomainError(_("第%(n)d项：请填写指标名称。", n=n))
        if len(indicator.name) > MAX_NAME:
            raise DomainError(_("第%(n)d项：指标名称不能超过%(max)d个字。", n=n, max=MAX_NAME))
        if indicator.name in names:
            raise DomainError(_("第%(n)d项：指标名称“%(name)s”重复了。", n=n, name=indicator.name))
        names.add(indicator.name)
        if not 0 < indicator.max_points <= MAX_POINTS:
            raise DomainError(_("第%(n)d项：满分应为1到%(max)d之间的整数。", n=n, max=MAX_POINTS))
    total = sum(i.max_points for i in cleaned)
    if not 0 <= pass_mark <= total:
        raise DomainError(_("合格分应在0到总分%(total)d之间。", total=total), field="pass_mark")
    return cleaned


def replace_rubric(
    session: Session,
    *,
    actor,
    edition: Edition,
    kind: str,
    indicators: list[Indicator],
    pass_mark: int,
    due_on: date | None,
) -> Rubric:
    """Save the edition's rubric of one kind as a whole and audit the change.

    Raises:
        NotAllowed: not an organizer of the edition's district.
        DomainError: unknown kind, a broken rule, or indicators changed after an evaluation.
    """
    if not policy.can_edit_tranche_plan(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if kind not in KINDS:
        raise DomainError(_("未知的评估类型。"))
    session.execute(select(Edition.id).where(Edition.id == edition.id).with_for_update())
    current = ensure_rubric(session, edition.id, kind)
    cleaned = check_indicators(indicators, pass_mark)
    before = _snapshot(current)
    same = [Indicator(i.name, i.max_points) for i in current.indicators] == cleaned and pass_mark == current.pass_mark
    if same and due_on == current.due_on:
        return current  # saved again as it is (a double click, 50 at once): nothing to write or audit
    if not same and locked(session, edition.id, kind):
        raise DomainError(
            _("本届已有%(kind)s评估完成，指标和合格分不能再修改（报告截止日期仍可修改）。", kind=kind_labels()[kind])
        )
    if not same:
        for row in current.indicators:
            session.delete(row)
        session.flush()
        session.add_all(
            EvaluationIndicator(edition_id=edition.id, kind=kind, position=n, name=i.name, max_points=i.max_points)
            for n, i in enumerate(cleaned, start=1)
        )
    row = session.scalar(
        select(EvaluationRubric).where(EvaluationRubric.edition_id == edition.id, EvaluationRubric.kind == kind)
    )
    row.pass_mark, row.due_on = pass_mark, due_on
    session.flush()
    result = Rubric(kind, _indicators(session, edition.id, kind), pass_mark, due_on)
    audit.record(
        session,
        actor=actor,
        action="evaluation_rubric.update",
        obj=row,
        district_id=edition.district_id,
        before=before,
        after=_snapshot(result),
    )
    return result


def _snapshot(rubric: Rubric) -> dict:
    return {
        "kind": rubric.kind,
        "indicators": [f"{i.name} {i.max_points}" for i in rubric.indicators],
        "pass_mark": rubric.pass_mark,
        "due_on": rubric.due_on.isoformat() if rubric.due_on else None,
    }
