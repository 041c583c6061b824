"""第二届's five hand-written grants and what became of each (see grants/demo/funding/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from grants.demo.funding import steps
from grants.funding import budget_changes, service
from grants.funding.models import BudgetItem, Grant, ReportKind, Tranche
from grants.funding.tranches import Condition, Part
from grants.money import yuan_to_fen
from grants.proposals.models import BudgetCategory

# What happens to each past grant, by its lead's login.
SETTLED, SUSPENDED, AWAITING_APPROVAL, AWAITING_PAYMENT, SECOND_PAID = (
    "settled",
    "suspended",
    "awaiting_approval",
    "awaiting_payment",
    "second_paid",
)
STORY = {
    "resident3": SETTLED,
    "resident7": SUSPENDED,
    "resident2": AWAITING_APPROVAL,
    "resident1": AWAITING_PAYMENT,
    "resident9": SECOND_PAID,
}


@dataclass(frozen=True)
class Spend:
    """One expense: budget item, unit price (yuan), quantity, payee, purpose, day after signing
    (negative: days before today), outcome ("accept", "pending" or the reason for rejecting it)."""

    item: str
    unit_yuan: int
    quantity: int
    payee: str
    purpose: str
    day: int
    outcome: str = "accept"
    again: bool = False  # recorded again with the invoice of the rejected expense before it


ACCEPT, PENDING = "accept", "pending"
BLURRED = "票据照片模糊，看不清金额和发票号码，请重新拍照后登记。"
SPENDING = {
    "resident3": [
        Spend("课桌椅和护眼灯", 600, 2, "东湖家具城", "四点半课堂课桌椅和护眼灯", 12),
        Spend(
            "志愿者交通餐补",
            20,
            16,
            "枫林快餐店",
            "志愿者晚餐",
            20,
            "发票抬头不是收款单位（枫林社区居民委员会），请重新开具后再登记。",
        ),
        Spend("学习用品和图书", 20, 45, "新华书店东湖店", "课外读物和作业本", 25),
        Spend("家长告知书和招募海报", 2, 150, "东湖快印图文", "家长告知书和志愿者招募海报", 190),
        Spend("志愿者交通餐补", 20, 55, "枫林社区志愿者（签领表）", "志愿者交通餐补（第1—9月）", 200),
        Spend("学习用品和图书", 20, 30, "新华书店东湖店", "兴趣小组用书和文具", 230),
    ],
    "resident7": [
        Spend("保温送餐箱", 150, 10, "东湖厨具批发部", "保温送餐箱10个", 10),
        Spend("志愿者餐补", 15, 16, "翠竹社区志愿者（签领表）", "志愿者餐补（第1—2月）", 70),
        Spend(
            "志愿者餐补",
            15,
            12,
            "翠竹社区志愿者（签领表）",
            "志愿者餐补（第3月）",
            100,
            "同期餐补已在上一张签领表中报销，不能重复登记。",
        ),
    ],
    "resident2": [
        Spend("音乐老师指导费", 250, 4, "陈老师（音乐教师）", "合唱指导4次", 30),
        Spend("演出服装", 100, 6, "东湖服装厂", "合唱演出服装6套", 60),
        Spend("演出服装", 100, 3, "东湖服装厂", "补做演出服装3套", -8, PENDING),
    ],
    "resident1": [
        Spend("常用工具套装", 350, 2, "东湖五金店", "常用工具套装2套", 8),
        Spend("工具柜", 980, 1, "东湖家具城", "工具柜1个", 15),
        Spend("借用须知展板", 150, 3, "东湖快印图文", "借用须知展板3块", -15, BLURRED),
        Spend("借用须知展板", 150, 3, "东湖快印图文", "借用须知展板3块（重新拍照登记）", -10, PENDING, again=True),
        Spend("工具维修配件", 20, 5, "东湖五金店", "电钻钻头和梯子防滑垫", -4, PENDING),
    ],
    "resident9": [
        Spend("探访慰问品", 30, 35, "松涛社区便民超市", "重阳节探访慰问品", 40),
        Spend("联谊活动物资", 800, 1, "松涛社区便民超市", "重阳节联谊活动物资", 42),
        Spend("志愿者培训资料", 10, 50, "东湖快印图文", "志愿者培训手册50本", -6, PENDING),
    ],
}
# resident1's budget change: the tool cabinet cost less, the rest goes to a new line for repairs.
BUDGET_CHANGE = (
    "resident1",
    {"工具柜": (980, 1)},
    ("活动物资", "工具维修配件", 20, 11),
    "工具柜实际采购价比预算低220元，申请把这220元调整为新增的“工具维修配件”，用于电钻、梯子的日常维修。",
)
MIDTERM = {
    "resident3": ("半年来课堂每个工作日开放，固定参加的孩子32名，退休教师和大学生志愿者共14人轮流值守。", 2860, 118),
    "resident7": ("已为9位高龄独居老人送餐，志愿者共11人；第三个月因人手不足中断送餐两周。", 860, 95),
    "resident2": ("合唱团成员28人，每周三排练，已学会6首合唱曲目，在社区重阳节活动中演出一次。", 760, 26),
    "resident1": ("工具箱已登记工具46件，借出132次，志愿者每周六上午值守并维修工具。", 210, 24),
    "resident9": ("26位独居老人结对52名志愿者，每周上门探访，重阳节举办联谊活动一次。", 1340, 27),
}
# Points on the default indicators (项目执行 30, 资金使用 25, 居民参与 25, 档案规范 20; pass mark 60).
MIDTERM_POINTS = {
    "resident3": (27, 22, 23, 17),
    "resident7": (14, 10, 18, 9),
    "resident2": (24, 20, 22, 15),
    "resident1": (25, 21, 21, 16),
    "resident9": (26, 22, 23, 18),
}
MIDTERM_FAILED = "送餐中断两周未报告，志愿者餐补签领表与排班表对不上。请整改送餐排班、补齐台账后申请恢复拨付。"
PLAN = (
    Part("首期款", 5000, Condition.ON_SIGNING.value),
    Part("中期款", 4000, Condition.AFTER_MIDTERM_PASSED.value),
    Part("尾款", 1000, Condition.AFTER_FINAL_PASSED.value),
)
FINAL = ("全年开课231天，服务孩子41名、5860人次，期末家长满意度问卷回收38份，满意率97%。", 5860, 231)
FINAL_POINTS = (28, 23, 24, 18)


def _budget_change(run: steps.Run, grant: Grant, day: date) -> None:
    """The lead asks to move money to a new line; the organizer approves (budget version 2)."""
    _login, changed, (category_name, item, unit, quantity), reason = BUDGET_CHANGE
    current = service.current_budget(run.session, grant.id)
    names = dict(
        run.session.execute(select(BudgetItem.id, BudgetItem.item).where(BudgetItem.grant_id == grant.id)).all()
    )
    proposed = []
    for item_id, line in budget_changes.version_lines(run.session, current.id).items():
        unit_yuan, qty = changed.get(names[item_id], (None, None))
        price = yuan_to_fen(str(unit_yuan)) if unit_yuan else line.unit_price_fen
        proposed.append(budget_changes.ProposedLine(item_id, None, "", price, qty or line.quantity))
    category_id = run.session.scalar(
        select(BudgetCategory.id).where(
            BudgetCategory.edition_id == grant.edition_id, BudgetCategory.name == category_name
        )
    )
    proposed.append(budget_changes.ProposedLine(None, category_id, item, yuan_to_fen(str(unit)), quantity))
    lead = grant.proposal.applicant
    with run.at(day, 20, 15):
        change = budget_changes.request_change(run.session, actor=lead, grant=grant, lines=proposed, reason=reason)
    with run.at(day + timedelta(days=2), 11, 0):
        budget_changes.decide_change(
            run.session, actor=run.organizer, change=change, approve=True, note="同意。工具维修配件请保留购买票据。"
        )


def _spend(run: steps.Run, grant: Grant, spend: Spend, spent_on: date) -> None:
    item_id = run.session.scalar(
        select(BudgetItem.id).where(BudgetItem.grant_id == grant.id, BudgetItem.item == spend.item)
    )
    steps.spend(
        run,
        grant,
        item_id=item_id,
        unit_fen=yuan_to_fen(str(spend.unit_yuan)),
        quantity=spend.quantity,
        payee=spend.payee,
        purpose=spend.purpose,
        spent_on=spent_on,
        outcome=spend.outcome,
        reviewer=run.reviewer(grant, staff1_only=True),
        again=spend.again,
    )


def carry(run: steps.Run, grant: Grant, login: str, signed_on: date) -> None:
    """One hand-written grant's year, from its agreement to where the demo leaves it."""
    story = STORY[login]
    steps.sign(run, grant, signed_on)
    steps.disburse(run, grant, 1, signed_on + timedelta(days=1))
    midterm_day = signed_on + timedelta(days=180)
    if story in (AWAITING_APPROVAL, AWAITING_PAYMENT):  # their mid-term reports came in late
        midterm_day = run.today - timedelta(days=30 if story == AWAITING_PAYMENT else 20)
    days = sorted(
        ((signed_on + timedelta(days=sp.day) if sp.day >= 0 else run.today + timedelta(days=sp.day)), n)
        for n, sp in enumerate(SPENDING[login])
    )
    spending = [(day, SPENDING[login][n]) for day, n in days]
    change_day = signed_on + timedelta(days=12) if login == BUDGET_CHANGE[0] else None
    for day, spend in spending:
        if day >= midterm_day:
            continue
        if change_day is not None and day > change_day:
            _budget_change(run, grant, change_day)
            change_day = None
        _spend(run, grant, spend, day)
    if change_day is not None:
        _budget_change(run, grant, change_day)
    passed = story != SUSPENDED
    comment = "按计划推进，台账清楚。" if passed else MIDTERM_FAILED
    steps.report(run, grant, ReportKind.MIDTERM.value, MIDTERM[login], midterm_day, MIDTERM_POINTS[login], comment)
    if not passed:
        return  # suspended: no more spending, no second tranche
    if story == AWAITING_APPROVAL:
        steps.disburse(run, grant, 2, run.today - timedelta(days=3), approve=False)
    elif story == AWAITING_PAYMENT:
        steps.disburse(run, grant, 2, run.today - timedelta(days=6), pay=False)
    else:
        steps.disburse(run, grant, 2, midterm_day + timedelta(days=10))
    for day, spend in spending:
        if day >= midterm_day:
            _spend(run, grant, spend, day)
    if story == SETTLED:
        last = run.session.scalar(
            select(Tranche.position).where(Tranche.grant_id == grant.id).order_by(Tranche.position.desc())
        )
        steps.settle(run, grant, FINAL, signed_on + timedelta(days=300), FINAL_POINTS, last)
