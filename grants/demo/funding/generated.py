"""The generated grants' course: signing, tranches, expenses against their budget lines (a few
rejected, the newest waiting), reports and evaluations, and the end each one came to."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from grants.demo import words
from grants.demo.funding import steps
from grants.funding import budget_changes, rubrics, service
from grants.funding.models import BudgetItem, Grant, GrantStatus, ReportKind, Tranche
from grants.funding.tranches import Condition
from grants.proposals.models import BudgetCategory, BudgetLine

SETTLED, TERMINATED, COMPLETING, IN_PROGRESS = "settled", "terminated", "completing", "in_progress"
REJECTIONS = (
    "发票抬头不是收款单位，请重新开具后再登记。",
    "票据照片模糊，看不清金额和发票号码，请重新拍照后登记。",
    "这笔支出与预算科目不符，请按实际用途登记到对应科目。",
)
FAILED = "项目中期以来基本停止活动，台账缺失，团队骨干已离开，经约谈无法继续实施。"
TERMINATION = "团队解散，项目无法继续实施，经主办方研究终止资助，未使用资金由财务收回。"


def _points(run: steps.Run, edition_id: int, kind: str, share: tuple[float, float]) -> list[int]:
    rubric = rubrics.ensure_rubric(run.session, edition_id, kind)
    return [round(i.max_points * run.rng.uniform(*share)) for i in rubric.indicators]


def _text(run: steps.Run, grant: Grant, months: int) -> tuple[str, int, int]:
    """What a report says: activities held and residents served so far."""
    held = months * run.rng.randint(2, 5)
    served = held * run.rng.randint(12, 40)
    core = run.rng.randint(4, 12)
    what = "项目开展半年" if months <= 6 else "项目实施一年"
    summary = f"{what}，共开展活动{held}次，服务居民{served}人次，培养团队骨干{core}人，活动照片和签到表已归档。"
    return summary, served, held


def _lines(run: steps.Run, grant: Grant) -> list[tuple[BudgetItem, str, int, int]]:
    """(item, category, unit price as requested, how many units the current budget holds)."""
    version = service.current_budget(run.session, grant.id)
    amounts = {
        item_id: line.amount_fen for item_id, line in budget_changes.version_lines(run.session, version.id).items()
    }
    requested = {
        line.position: line.unit_price_fen
        for line in run.session.scalars(select(BudgetLine).where(BudgetLine.proposal_id == grant.proposal_id))
    }
    rows = run.session.execute(
        select(BudgetItem, BudgetCategory.name)
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .where(BudgetItem.grant_id == grant.id)
        .order_by(BudgetItem.position)
    ).all()
    return [
        (item, category, requested[item.position], amounts[item.id] // requested[item.position])
        for item, category in rows
    ]


def _spending(run: steps.Run, grant: Grant, share: float, first: date, last: date) -> list[tuple[date, dict]]:
    """The expenses of the grant: about ``share`` of each line, bought at once between ``first``
    and ``last``; now and then one rejected (and recorded again correctly)."""
    planned = []
    span = max((last - first).days, 1)
    for item, category, unit, units in _lines(run, grant):
        quantity = int(units * share)
        if quantity <= 0:
            continue
        day = first + timedelta(days=run.rng.randint(0, span))
        payee = run.rng.choice(words.PAYEES.get(category, ("东湖社区便民超市",)))
        expense = {"item_id": item.id, "unit_fen": unit, "quantity": quantity, "payee": payee, "purpose": item.item}
        if run.rng.random() < 0.06:
            planned.append((day, {**expense, "outcome": run.rng.choice(REJECTIONS)}))
            day = min(day + timedelta(days=5), last)
            planned.append((day, {**expense, "outcome": "accept", "purpose": f"{item.item}（重新登记）"}))
        else:
            planned.append((day, {**expense, "outcome": "accept"}))
    return sorted(planned, key=lambda pair: (pair[0], pair[1]["item_id"]))


def _spend_all(run: steps.Run, grant: Grant, planned: list[tuple[date, dict]], *, until: date, pending_after: date):
    reviewer = run.reviewer(grant)
    for day, planned_expense in planned:
        if day >= until:
            continue
        expense = dict(planned_expense)
        outcome = "pending" if day > pending_after else expense.pop("outcome")
        expense.pop("outcome", None)
        steps.spend(run, grant, spent_on=day, reviewer=reviewer, outcome=outcome, **expense)


def _tranche(run: steps.Run, grant: Grant, condition: str) -> int | None:
    return run.session.scalar(
        select(Tranche.position).where(Tranche.grant_id == grant.id, Tranche.condition == condition)
    )


def carry(run: steps.Run, grant: Grant, outcome: str, signed_on: date) -> None:
    """One generated grant from its agreement to ``outcome``; settled and terminated grants run
    their whole year, the others stop where the demo's today finds them."""
    rng = run.rng
    steps.sign(run, grant, signed_on)
    steps.disburse(run, grant, 1, signed_on + timedelta(days=rng.randint(1, 3)))
    midterm = signed_on + timedelta(days=rng.randint(170, 190))
    # a settled grant's final report came in early enough for its evaluation, last tranche and refund
    final = min(
        signed_on + timedelta(days=rng.randint(290, 315)),
        run.today - timedelta(days=20 if outcome == SETTLED else 6),
    )
    end = min(final - timedelta(days=3), run.today - timedelta(days=2))
    share = {SETTLED: rng.uniform(0.88, 1.0), TERMINATED: 0.45}.get(outcome, rng.uniform(0.8, 0.88))
    planned = _spending(run, grant, share, signed_on + timedelta(days=4), end)
    pending_after = run.today - timedelta(days=12)
    _spend_all(run, grant, planned, until=midterm, pending_after=pending_after)
    if outcome == TERMINATED:
        points = _points(run, grant.edition_id, ReportKind.MIDTERM.value, (0.3, 0.5))
        steps.report(run, grant, ReportKind.MIDTERM.value, _text(run, grant, 3), midterm, points, FAILED)
        with run.at(midterm + timedelta(days=30), 10, 0):
            service.change_status(
                run.session, actor=run.organizer, grant=grant, target=GrantStatus.TERMINATED.value, reason=TERMINATION
            )
        steps.refund(run, grant, midterm + timedelta(days=40))
        return
    points = _points(run, grant.edition_id, ReportKind.MIDTERM.value, (0.72, 0.95))
    steps.report(run, grant, ReportKind.MIDTERM.value, _text(run, grant, 6), midterm, points, "按计划推进，台账清楚。")
    second = _tranche(run, grant, Condition.AFTER_MIDTERM_PASSED.value)
    if second is not None:
        steps.disburse(run, grant, second, midterm + timedelta(days=rng.randint(9, 14)))
    _spend_all(
        run, grant, [p for p in planned if p[0] >= midterm], until=end + timedelta(days=1), pending_after=pending_after
    )
    if outcome == IN_PROGRESS:
        return
    last = _tranche(run, grant, Condition.AFTER_FINAL_PASSED.value)
    if outcome == COMPLETING:
        steps.report(run, grant, ReportKind.FINAL.value, _text(run, grant, 12), final, None, "")
        return
    points = _points(run, grant.edition_id, ReportKind.FINAL.value, (0.75, 0.96))
    steps.settle(run, grant, _text(run, grant, 12), final, points, last)
