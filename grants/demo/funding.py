"""Demo data for funding (资金拨付): the past edition's five grants carried through the funding
services, as the organizer, finance, the teams' leads and the community reviewers would.

Agreements signed with a scan; first tranches requested by ``organizer`` and approved and paid by
``finance`` (four eyes); expenses with receipt photos recorded by the leads, most accepted, some
rejected with a reason, some pending; one budget change approved; mid-term reports and
evaluations (one failed, so that grant is suspended); one grant completed with its final report,
a passed final evaluation, its surplus returned and the grant settled. ``finance`` finds work
waiting: one second tranche requested by the organizer, one approved and not yet paid.

Dates the services take (signing, payment, spending, refund dates) follow the past edition's
calendar; the times the services stamp on their own rows (requested, approved, recorded,
reviewed, submitted, evaluated) are then set to the same calendar. The ledger and the audit log
are append-only and keep the moment the demo was loaded, as for the past edition.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth.models import User
from grants.editions.models import Edition
from grants.funding import (
    agreement,
    balances,
    budget_changes,
    disbursements,
    evaluations,
    expenses,
    plan,
    policy,
    reports,
    rubrics,
    service,
)
from grants.funding import settlement as settlement_service
from grants.funding.models import BudgetItem, Grant, GrantStatus, ReportKind, Tranche
from grants.funding.tranches import Condition, Part
from grants.money import yuan_to_fen
from grants.proposals.models import BudgetCategory
from grants.results.models import Publication

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
BANKS = {
    "枫林社区": "东湖农商银行枫林支行",
    "翠竹社区": "东湖农商银行东湖街道支行",
    "樱桃社区": "东湖农商银行东湖街道支行",
    "松涛社区": "东湖农商银行西岭支行",
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


def _when(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Beijing) time on that day, in UTC."""
    return timeutil.local_day_start(day) + timedelta(hours=hour, minutes=minute)


def _png(size: tuple[int, int], lines: int, seed: int) -> bytes:
    """A small picture of a paper with lines of text on it (a scan, a receipt, a photo)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (250, 248, 240))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((8, 8, width - 9, 28), fill=(200, 40, 40))
    for n in range(lines):
        y = 40 + n * (height - 60) // max(lines, 1)
        draw.line((16, y, 16 + rng.randint(width // 3, width - 40), y), fill=(60, 60, 60), width=3)
    draw.ellipse((width - 70, height - 70, width - 20, height - 20), outline=(200, 40, 40), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class _Run:
    """The people, settings and calendar of one demo run."""

    def __init__(self, session: Session, edition: Edition):
        self.session = session
        self.edition = edition
        logins = ["organizer", "finance", "staff1"]
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
        self.organizer, self.finance, self.staff = users["organizer"], users["finance"], users.get("staff1")
        config = current_app.config
        self.upload_dir = Path(config["UPLOAD_DIR"])
        self.max_bytes, self.max_pixels = config["ATTACHMENT_MAX_BYTES"], config["IMAGE_MAX_PIXELS"]
        self.rng = random.Random(13)
        self.last_invoice = ""
        self.today = timeutil.today()
        final = session.scalar(
            select(Publication.finalized_at).where(
                Publication.edition_id == edition.id, Publication.finalized_at.is_not(None)
            )
        )
        self.start = timeutil.to_local(final).date()

    def reviewer(self, grant: Grant) -> User:
        """Who reviews the grant's expenses: its community's staff (staff1 of 桂花社区), else the organizer."""
        if self.staff is not None and policy.can_review_expenses(self.staff, grant):
            return self.staff
        return self.organizer

    def invoice(self) -> str:
        return f"{self.rng.randint(10**11, 10**12 - 1)}{self.rng.randint(10**7, 10**8 - 1)}"


def _sign(run: _Run, grant: Grant, signed_on: date) -> None:
    community = grant.proposal.community.name
    agreement.sign_agreement(
        run.session,
        actor=run.organizer,
        grant=grant,
        signed_on=signed_on,
        receiving_unit=agreement.suggested_receiving_unit(grant),
        account_name=agreement.suggested_receiving_unit(grant),
        account_bank=BANKS.get(community, "东湖农商银行"),
        account_no=f"6228 4800 {grant.id:04d} {1000 + grant.proposal_id:04d}",
        upload=agreement.Upload(
            "资助协议（签字盖章）.png", _png((420, 594), 14, grant.id), run.max_bytes, run.max_pixels
        ),
        upload_dir=run.upload_dir,
    )
    grant.signed_at = _when(signed_on, 16, 20)


def _disburse(run: _Run, grant: Grant, position: int, asked: date, *, approve: bool = True, pay: bool = True):
    """The organizer asks for the tranche; finance (a different person) approves it and pays it."""
    tranche = run.session.scalar(select(Tranche).where(Tranche.grant_id == grant.id, Tranche.position == position))
    disbursement = disbursements.request(run.session, actor=run.organizer, tranche=tranche)
    disbursement.requested_at = _when(asked, 10, 5)
    if approve:
        approved = min(asked + timedelta(days=1), run.today)
        disbursements.approve(run.session, actor=run.finance, disbursement=disbursement)
        disbursement.approved_at = _when(approved, 9, 40)
        if pay:
            paid_on = min(asked + timedelta(days=2), run.today)
            voucher = f"记-{paid_on:%Y%m}-{grant.id:02d}{position:02d}"
            disbursements.record_payment(
                run.session, actor=run.finance, disbursement=disbursement, paid_on=paid_on, voucher_ref=voucher
            )
    run.session.flush()
    return disbursement


def _budget_change(run: _Run, grant: Grant, day: date) -> None:
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
    change = budget_changes.request_change(run.session, actor=lead, grant=grant, lines=proposed, reason=reason)
    change.requested_at = _when(day, 20, 15)
    budget_changes.decide_change(
        run.session, actor=run.organizer, change=change, approve=True, note="同意。工具维修配件请保留购买票据。"
    )
    change.decided_at = _when(day + timedelta(days=2), 11, 0)
    service.current_budget(run.session, grant.id).approved_at = change.decided_at


def _spend(run: _Run, grant: Grant, spend: Spend, spent_on: date) -> None:
    item_id = run.session.scalar(
        select(BudgetItem.id).where(BudgetItem.grant_id == grant.id, BudgetItem.item == spend.item)
    )
    invoice = run.last_invoice if spend.again else run.invoice()
    run.last_invoice = invoice
    unit = yuan_to_fen(str(spend.unit_yuan))
    expense = expenses.record_expense(
        run.session,
        actor=grant.proposal.applicant,
        grant=grant,
        data=expenses.ExpenseData(
            spent_on=spent_on,
            item_id=item_id,
            payee=spend.payee,
            amount_fen=unit * spend.quantity,
            purpose=spend.purpose,
            invoice_no=invoice,
            unit_price_fen=unit,
            quantity=spend.quantity,
            filename=f"票据-{invoice[-6:]}.png",
            receipt=_png((240, 320), 8, int(invoice[-8:])),
        ),
        upload_dir=run.upload_dir,
        max_bytes=run.max_bytes,
        max_pixels=run.max_pixels,
    )
    expense.recorded_at = _when(spent_on, 19, 30)
    if spend.outcome == PENDING:
        return
    accept = spend.outcome == ACCEPT
    expenses.review_expense(
        run.session, actor=run.reviewer(grant), expense=expense, accept=accept, reason="" if accept else spend.outcome
    )
    expense.reviewed_at = _when(min(spent_on + timedelta(days=3), run.today), 15, 10)


def _report(run: _Run, grant: Grant, kind: str, text: tuple[str, int, int], day: date, points, comment: str):
    """The lead submits the report (with a photo); the organizer scores it a week later."""
    summary, served, held = text
    photo = reports.Upload("活动照片.png", _png((480, 320), 5, grant.id * 7 + len(kind)), run.max_bytes, run.max_pixels)
    report = reports.submit_report(
        run.session,
        actor=grant.proposal.applicant,
        grant=grant,
        kind=kind,
        summary=summary,
        beneficiaries=served,
        activities_count=held,
        photos=[photo],
        upload_dir=run.upload_dir,
    )
    report.submitted_at = _when(day, 21, 0)
    rubric = rubrics.ensure_rubric(run.session, grant.edition_id, kind)
    evaluation = evaluations.evaluate_report(
        run.session,
        actor=run.organizer,
        report=report,
        scores={i.id: str(p) for i, p in zip(rubric.indicators, points, strict=True)},
        comment=comment,
    )
    evaluation.evaluated_at = _when(min(day + timedelta(days=7), run.today), 15, 30)


def _carry(run: _Run, grant: Grant, login: str, signed_on: date) -> None:
    """One grant's year, from its agreement to where the demo leaves it."""
    story = STORY[login]
    _sign(run, grant, signed_on)
    _disburse(run, grant, 1, signed_on + timedelta(days=1))
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
    _report(run, grant, ReportKind.MIDTERM.value, MIDTERM[login], midterm_day, MIDTERM_POINTS[login], comment)
    if not passed:
        return  # suspended: no more spending, no second tranche
    if story == AWAITING_APPROVAL:
        _disburse(run, grant, 2, run.today - timedelta(days=3), approve=False)
    elif story == AWAITING_PAYMENT:
        _disburse(run, grant, 2, run.today - timedelta(days=6), pay=False)
    else:
        _disburse(run, grant, 2, midterm_day + timedelta(days=10))
    for day, spend in spending:
        if day >= midterm_day:
            _spend(run, grant, spend, day)
    if story == SETTLED:
        _settle(run, grant, signed_on + timedelta(days=300))


def _settle(run: _Run, grant: Grant, day: date) -> None:
    """Final report and evaluation, the surplus returned by finance, the grant settled."""
    _report(run, grant, ReportKind.FINAL.value, FINAL, day, FINAL_POINTS, "目标全部完成，资金使用规范，同意结项。")
    _disburse(run, grant, 3, day + timedelta(days=9))
    surplus = balances.of_grant(run.session, grant.id).unspent_fen
    settlement_service.record_refund(
        run.session,
        actor=run.finance,
        grant=grant,
        returned_on=day + timedelta(days=14),
        amount=f"{surplus // 100}.{surplus % 100:02d}",
        ref=f"退-{day + timedelta(days=14):%Y%m}-{grant.id:02d}",
    )
    service.change_status(run.session, actor=run.organizer, grant=grant, target=GrantStatus.SETTLED.value, reason=None)


def seed_past_funding(session: Session, edition: Edition) -> bool:
    """Carry the past edition's grants through funding once; returns whether anything was done."""
    grants = session.scalars(select(Grant).where(Grant.edition_id == edition.id).order_by(Grant.id)).all()
    if not grants or any(g.status != GrantStatus.APPROVED.value for g in grants):
        return False
    run = _Run(session, edition)
    # The organizer's plan for the edition: half on signing, 40 % after the mid-term, the rest at the end.
    plan.replace_plan(session, actor=run.organizer, edition=edition, parts=list(PLAN))
    for n, grant in enumerate(grants):
        login = grant.proposal.applicant.username
        if login not in STORY:
            continue
        _carry(run, grant, login, run.start + timedelta(days=12 + 2 * n))
    session.flush()
    return True
