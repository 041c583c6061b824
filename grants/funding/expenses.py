"""Expenses with receipts (支出与票据): the team's lead records them against a budget line of the
current budget; the community's staff or the organizer accept or reject each with a reason.

Rules checked under the grant's row lock: the grant is in a state that allows spending; the line
has money in the current budget and is not overspent (pending + accepted + this ≤ the line); the
invoice number is new within the edition (also a partial unique index, so a concurrent duplicate
fails at the database); the edition's budget rules hold on the actual spending
(grants/proposals/budget.py check_spending, the same rules the proposal form applies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding import balances, policy, service
from grants.funding.models import (
    BudgetItem,
    BudgetVersionLine,
    Expense,
    ExpenseStatus,
    Grant,
    GrantStatus,
)
from grants.money import format_fen
from grants.proposals import attachments, budget
from grants.proposals.attachments import Upload
from grants.proposals.models import Attachment, BudgetCategory

# States in which the team may record expenses (money is, or is about to be, in hand).
SPENDING = (GrantStatus.SIGNED.value, GrantStatus.IN_PROGRESS.value, GrantStatus.COMPLETING.value)
INVOICE_RE = re.compile(r"^[0-9A-Z]{8,20}$")
MAX_PAYEE = 100
MAX_PURPOSE = 200
MAX_REASON = 500


@dataclass
class ExpenseData:
    """One expense as the lead typed it (amounts already in fen)."""

    spent_on: date | None
    item_id: int | None
    payee: str
    amount_fen: int
    purpose: str
    invoice_no: str
    unit_price_fen: int | None = None
    quantity: int | None = None
    # The receipt as uploaded (checked by content when stored), or already checked by the view
    # before its write transaction (grants/uploads.py); None when none was chosen.
    receipt: Upload | attachments.CheckedUpload | None = None


@dataclass(frozen=True)
class LineFigures:
    """One budget line of the current version with what was spent on it, in fen."""

    item: BudgetItem
    category: str
    budget_fen: int
    accepted_fen: int
    pending_fen: int

    @property
    def balance_fen(self) -> int:
        return self.budget_fen - self.accepted_fen - self.pending_fen


def normalise_invoice(text: str) -> str:
    """发票号码 as stored: without any whitespace (also full-width), upper case."""
    return "".join((text or "").split()).replace("\u3000", "").upper()


def spent_by_item(session: Session, grant_id: int) -> dict[int, tuple[int, int]]:
    """{item id: (accepted fen, pending fen)} of one grant, in one grouped query."""
    rows = session.execute(
        select(
            Expense.item_id,
            func.sum(case((Expense.status == ExpenseStatus.ACCEPTED.value, Expense.amount_fen), else_=0)),
            func.sum(case((Expense.status == ExpenseStatus.PENDING.value, Expense.amount_fen), else_=0)),
        )
        .where(Expense.grant_id == grant_id, Expense.status != ExpenseStatus.REJECTED.value)
        .group_by(Expense.item_id)
    )
    return {item_id: (int(accepted or 0), int(pending or 0)) for item_id, accepted, pending in rows}


def line_figures(session: Session, grant_id: int) -> list[LineFigures]:
    """Every line of the grant with money in the current budget or spending on it (bounded queries)."""
    version = service.current_budget(session, grant_id)
    if version is None:
        return []
    amounts = dict(
        session.execute(
            select(BudgetVersionLine.item_id, BudgetVersionLine.amount_fen).where(
                BudgetVersionLine.version_id == version.id
            )
        ).all()
    )
    spent = spent_by_item(session, grant_id)
    rows = session.execute(
        select(BudgetItem, BudgetCategory.name)
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .where(BudgetItem.grant_id == grant_id)
        .order_by(BudgetItem.position)
    ).all()
    return [
        LineFigures(item, category, amounts.get(item.id, 0), *spent.get(item.id, (0, 0)))
        for item, category in rows
        if amounts.get(item.id) or item.id in spent
    ]


def expenses_of(session: Session, grant_id: int) -> list[Expense]:
    return list(
        session.scalars(
            select(Expense).where(Expense.grant_id == grant_id).order_by(Expense.spent_on.desc(), Expense.id.desc())
        )
    )


def spending_refusal(grant: Grant) -> str | None:
    """Why the team may not record an expense on this grant now, or None."""
    if grant.status == GrantStatus.SUSPENDED.value:
        return _("资助已停拨，恢复之前不能登记支出。")
    if grant.status == GrantStatus.APPROVED.value:
        return _("资助协议签订后才能登记支出。")
    if grant.status not in SPENDING:
        return _("资助项目已结束，不能再登记支出。")
    return None


def _check_fields(grant: Grant, data: ExpenseData) -> tuple[str, str, str]:
    """(payee, purpose, invoice number) cleaned.

    Raises: DomainError naming the field.
    """
    if data.spent_on is None:
        raise DomainError(_("请填写支出日期。"), field="spent_on")
    if data.spent_on > timeutil.today():
        raise DomainError(_("支出日期不能晚于今天。"), field="spent_on")
    if grant.signed_on is not None and data.spent_on < grant.signed_on:
        raise DomainError(
            _("支出日期不能早于协议签订日期（%(day)s）。", day=grant.signed_on.isoformat()), field="spent_on"
        )
    payee, purpose = data.payee.strip(), data.purpose.strip()
    if not payee or len(payee) > MAX_PAYEE:
        raise DomainError(_("请填写收款方（不超过%(n)d个字符）。", n=MAX_PAYEE), field="payee")
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise DomainError(_("请填写支出用途（不超过%(n)d个字符）。", n=MAX_PURPOSE), field="purpose")
    if data.amount_fen <= 0:
        raise DomainError(_("金额必须大于0。"), field="amount")
    if (data.unit_price_fen is None) != (data.quantity is None):
        raise DomainError(_("单价和数量请同时填写，或都不填。"), field="unit_price")
    if data.unit_price_fen is not None and data.quantity is not None:
        if data.unit_price_fen <= 0 or not 0 < data.quantity <= budget.MAX_QUANTITY:
            raise DomainError(_("单价必须大于0，数量必须是正整数。"), field="unit_price")
        if data.unit_price_fen * data.quantity != data.amount_fen:
            raise DomainError(
                _(
                    "单价×数量为%(product)s，与金额%(amount)s不一致。",
                    product=format_fen(data.unit_price_fen * data.quantity),
                    amount=format_fen(data.amount_fen),
                ),
                field="amount",
            )
    if not data.receipt:
        raise DomainError(_("请上传票据照片或PDF。"), field="receipt")
    invoice = normalise_invoice(data.invoice_no)
    if not INVOICE_RE.match(invoice):
        raise DomainError(_("发票号码应为8到20位字母或数字。"), field="invoice_no")
    return payee, purpose, invoice


def invoice_taken(session: Session, edition_id: int, invoice: str) -> bool:
    """Whether a live (pending or accepted) expense of the edition has this invoice number."""
    return (
        session.scalar(
            select(Expense.id).where(
                Expense.edition_id == edition_id,
                Expense.invoice_no == invoice,
                Expense.status != ExpenseStatus.REJECTED.value,
            )
        )
        is not None
    )


def _duplicate(invoice: str) -> Conflict:
    return Conflict(_("发票号码%(no)s在本届已经登记过，同一张发票不能重复报销。", no=invoice), field="invoice_no")


def _spending_message(problem: budget.BudgetProblem, unit_price_given: bool) -> str:
    P = budget.Problem
    if problem.problem == P.UNIT_PRICE_OVER_LIMIT:
        message = _(
            "“%(category)s”类支出单价不能超过%(limit)s（本笔为%(actual)s）。",
            category=problem.category,
            limit=format_fen(problem.limit),
            actual=format_fen(problem.actual),
        )
        if not unit_price_given:
            message += _("如果本笔支出购买了多件，请填写单价和数量。")
        return message
    if problem.problem == P.SHARE_OVER_LIMIT:
        return _(
            "“%(category)s”类支出（含待审核和本笔）不能超过核定金额的%(limit)d%%（将达到约%(actual)d%%）。",
            category=problem.category,
            limit=problem.limit,
            actual=problem.actual,
        )
    return _("这笔支出不符合本届预算规则。")


def _category_rules(session: Session, edition_id: int) -> dict[int, budget.CategoryRule]:
    categories = session.scalars(select(BudgetCategory).where(BudgetCategory.edition_id == edition_id))
    return {c.id: budget.CategoryRule(c.id, c.name, c.max_share_percent, c.max_unit_price_fen) for c in categories}


def _check_budget_rules(session: Session, grant: Grant, item: BudgetItem, data: ExpenseData) -> None:
    """Raises: DomainError when the edition's budget rules do not hold on the actual spending."""
    spent = dict(
        session.execute(
            select(BudgetItem.category_id, func.sum(Expense.amount_fen))
            .join(BudgetItem, BudgetItem.id == Expense.item_id)
            .where(Expense.grant_id == grant.id, Expense.status != ExpenseStatus.REJECTED.value)
            .group_by(BudgetItem.category_id)
        ).all()
    )
    unit = data.unit_price_fen if data.unit_price_fen is not None else data.amount_fen
    line = budget.Line(1, item.category_id, item.item, unit, data.quantity or 1)
    problems = budget.check_spending(
        {k: int(v or 0) for k, v in spent.items()}, line, _category_rules(session, grant.edition_id), grant.approved_fen
    )
    if problems:
        raise DomainError(_spending_message(problems[0], data.unit_price_fen is not None), field="amount")


def _check_money_left(session: Session, grant: Grant, amount_fen: int) -> None:
    """Raises: DomainError when the grant's surplus was already returned (结余退回) and this
    expense would claim money that is no longer the grant's: expenses (accepted and waiting)
    plus refunds may not exceed the approved amount, or the books could never balance."""
    figures = balances.of_grant(session, grant.id)
    if not figures.refunded_fen:
        return
    left = grant.approved_fen - figures.refunded_fen - figures.accepted_expenses_fen - figures.pending_expenses_fen
    if amount_fen > left:
        raise DomainError(
            _(
                "已退回结余%(refunded)s，本项目还可登记的支出为%(left)s，不够这笔%(amount)s。",
                refunded=format_fen(figures.refunded_fen),
                left=format_fen(max(left, 0)),
                amount=format_fen(amount_fen),
            ),
            field="amount",
        )


def record_expense(session: Session, *, actor, grant: Grant, data: ExpenseData, upload_dir: Path) -> Expense:
    """Record one expense with its receipt, pending review.

    Raises:
        NotAllowed: not the team's lead.
        DomainError: the grant's state, a field, the line (unknown, overspent), money already
            returned (refunds + expenses may not exceed the approved amount), the budget rules, the receipt (missing, not a photo or PDF by its content).
        Conflict: the invoice number was already recorded in this edition.
    """
    if not policy.can_report(actor, grant):
        raise NotAllowed(_("只有项目负责人可以登记支出。"))
    grant = service.lock(session, grant)
    refusal = spending_refusal(grant)
    if refusal:
        raise DomainError(refusal)
    payee, purpose, invoice = _check_fields(grant, data)
    item = session.get(BudgetItem, data.item_id) if data.item_id is not None else None
    figures = {f.item.id: f for f in line_figures(session, grant.id)}
    line = figures.get(item.id) if item is not None and item.grant_id == grant.id else None
    if line is None or line.budget_fen <= 0:
        raise DomainError(_("请选择当前预算中的一个预算科目。"), field="item_id")
    if data.amount_fen > line.balance_fen:
        raise DomainError(
            _(
                "“%(item)s”预算%(budget)s，已认可%(accepted)s、待审核%(pending)s，余额%(balance)s，不够这笔%(amount)s。",
                item=item.item,
                budget=format_fen(line.budget_fen),
                accepted=format_fen(line.accepted_fen),
                pending=format_fen(line.pending_fen),
                balance=format_fen(line.balance_fen),
                amount=format_fen(data.amount_fen),
            ),
            field="amount",
        )
    _check_money_left(session, grant, data.amount_fen)
    _check_budget_rules(session, grant, item, data)
    if invoice_taken(session, grant.edition_id, invoice):
        raise _duplicate(invoice)
    receipt = attachments.store_checked_upload(
        session,
        actor=actor,
        upload=data.receipt,
        upload_dir=upload_dir,
    )
    expense = Expense(
        grant_id=grant.id,
        edition_id=grant.edition_id,
        item_id=item.id,
        spent_on=data.spent_on,
        payee=payee,
        amount_fen=data.amount_fen,
        unit_price_fen=data.unit_price_fen,
        quantity=data.quantity,
        purpose=purpose,
        invoice_no=invoice,
        receipt_id=receipt.id,
        status=ExpenseStatus.PENDING.value,
        recorded_by_id=actor.id,
    )
    try:
        # Another grant of the edition may have booked the same invoice since the check (their
        # locks differ): the partial unique index refuses it, and the user gets the same message.
        with session.begin_nested():
            session.add(expense)
            session.flush()
    except IntegrityError:
        raise _duplicate(invoice) from None
    audit.record(
        session,
        actor=actor,
        action="expense.record",
        obj=expense,
        district_id=grant.edition.district_id,
        after={
            "grant_id": grant.id,
            "item": item.item,
            "amount_fen": data.amount_fen,
            "invoice_no": invoice,
            "payee": payee,
            "receipt_sha256": receipt.sha256,
        },
    )
    return expense


def review_expense(session: Session, *, actor, expense: Expense, accept: bool, reason: str) -> Expense:
    """Accept or reject a pending expense (a rejection needs a reason).

    Raises:
        NotAllowed: not community staff of the grant's community nor its organizer.
        InvalidTransition: the expense was already reviewed.
        DomainError: no reason for a rejection, or a reason too long.
    """
    grant = session.get(Grant, expense.grant_id)
    if not policy.can_review_expenses(actor, grant):
        raise NotAllowed(_("您没有权限审核这个项目的支出。"))
    service.lock(session, grant)
    session.refresh(expense)
    if expense.status != ExpenseStatus.PENDING.value:
        raise InvalidTransition(_("这笔支出已经审核过了。"))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError(_("不认可支出时请填写原因。"), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("原因不能超过%(n)d个字符。", n=MAX_REASON), field="reason")
    target = ExpenseStatus.ACCEPTED.value if accept else ExpenseStatus.REJECTED.value
    expense.status, expense.review_note = target, reason
    expense.reviewed_by_id, expense.reviewed_at = actor.id, timeutil.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="expense.accept" if accept else "expense.reject",
        obj=expense,
        district_id=grant.edition.district_id,
        before={"status": ExpenseStatus.PENDING.value},
        after={"status": target},
        reason=reason or None,
    )
    return expense


def receipt_of(session: Session, expense: Expense) -> Attachment | None:
    return session.get(Attachment, expense.receipt_id) if expense.receipt_id is not None else None


EXPENSE_STATUS_LABELS = {
    ExpenseStatus.PENDING.value: _l("待审核"),
    ExpenseStatus.ACCEPTED.value: _l("已认可"),
    ExpenseStatus.REJECTED.value: _l("不予认可"),
}


@dataclass(frozen=True)
class Section:
    """What the grant page's expense section shows to this user."""

    lines: list[LineFigures]
    expenses: list[Expense]
    items: dict[int, str]
    may_record: bool
    may_review: bool
    status_labels: dict[str, object]
    record_refusal: str | None = None  # why the team's lead may not record an expense now


def section(session: Session, grant: Grant, user) -> Section:
    """The grant page's expense section (a fixed number of queries, whatever the number of expenses)."""
    lines = line_figures(session, grant.id)
    items = {line.item.id: f"{line.category} · {line.item.item}" for line in lines}
    refusal = spending_refusal(grant) if policy.can_report(user, grant) else None
    return Section(
        lines=lines,
        expenses=expenses_of(session, grant.id),
        items=items,
        may_record=policy.can_report(user, grant) and refusal is None,
        may_review=policy.can_review_expenses(user, grant),
        status_labels=EXPENSE_STATUS_LABELS,
        record_refusal=refusal,
    )
